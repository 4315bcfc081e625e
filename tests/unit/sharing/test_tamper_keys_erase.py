"""Reads fail with one integrity error on any tampering; rotation re-wraps; erasure shreds."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from phr_share.db import Erasure, PatientKey
from phr_share.errors import ConfigurationError, IntegrityError, KeyErased, NotFound
from phr_share.sharing import (
    OPERATOR,
    SegmentRecord,
    Services,
    erase_patient,
    find_segment,
    ingest_document,
    read_segment,
    retire_master,
    rotate_master,
    segments_of,
)
from tests.conftest import METADATA_FIELDS, PATIENT, forged_metadata, mismatch_logged, owner


@pytest.fixture
def stored(services: Services, demo_ccd: bytes) -> list[SegmentRecord]:
    ingest_document(services, OPERATOR, demo_ccd, PATIENT)
    return segments_of(services, OPERATOR, PATIENT)


def _rewrite(svc: Services, record: SegmentRecord, data: bytes, **meta: str) -> None:
    blob = svc.private.get(record.container, record.object_name)
    svc.private.put(record.container, record.object_name, data, {**blob.metadata, **meta})


def _message(svc: Services, record: SegmentRecord) -> str:
    with pytest.raises(IntegrityError) as caught:
        read_segment(svc, owner(record), record)
    return str(caught.value)


def test_every_kind_of_tampering_fails_with_the_same_opaque_error(
    services: Services, stored: list[SegmentRecord]
) -> None:
    first, second = stored[1], stored[2]
    pristine = services.private.get(first.container, first.object_name)
    original = pristine.data
    messages = set()

    flipped = bytearray(original)
    flipped[len(flipped) // 2] ^= 0x01
    _rewrite(services, first, bytes(flipped))
    messages.add(_message(services, first))

    _rewrite(services, first, original[:-7])
    messages.add(_message(services, first))

    swapped = services.private.get(second.container, second.object_name)
    services.private.put(first.container, first.object_name, swapped.data, swapped.metadata)
    messages.add(_message(services, first))

    _rewrite(services, first, original, **{"key-id": "pk2"})
    messages.add(_message(services, first))

    services.private.put(first.container, first.object_name, original, pristine.metadata)
    assert read_segment(services, owner(first), first)  # restored, it opens again
    assert messages == {"a stored object failed its integrity check"}


@pytest.mark.parametrize("field", METADATA_FIELDS)
def test_an_edited_metadata_field_fails_like_a_tampered_body_and_is_logged(
    services: Services,
    stored: list[SegmentRecord],
    field: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    target = stored[1]
    other = next(r for r in stored if r.kind != target.kind)
    pristine = services.private.get(target.container, target.object_name)
    _rewrite(services, target, pristine.data, **{field: forged_metadata(other)[field]})
    with caplog.at_level(logging.WARNING, logger="phr_share.store"):
        assert _message(services, target) == "a stored object failed its integrity check"
    # For the operator: which object, which field; no value, no content.
    assert [r.getMessage() for r in caplog.records if r.name == "phr_share.store"] == [
        mismatch_logged(target, field)
    ]
    services.private.put(target.container, target.object_name, pristine.data, pristine.metadata)
    assert read_segment(services, owner(target), target)


@pytest.mark.parametrize("change", ["dropped", "added"])
def test_a_dropped_or_added_metadata_field_fails_too(
    services: Services, stored: list[SegmentRecord], change: str
) -> None:
    target = stored[1]
    blob = services.private.get(target.container, target.object_name)
    metadata = dict(blob.metadata)
    if change == "dropped":
        del metadata["format"]
    else:
        metadata["owner"] = "someone"
    services.private.put(target.container, target.object_name, blob.data, metadata)
    assert _message(services, target) == "a stored object failed its integrity check"


def test_an_older_version_replayed_under_a_newer_name_is_refused(
    services: Services, demo_ccd: bytes, stored: list[SegmentRecord]
) -> None:
    revised = demo_ccd.replace(b"</title>", b" (amended)</title>", 2)
    ingest_document(services, OPERATOR, revised, PATIENT)
    header_v1 = find_segment(services, OPERATOR, stored[0].tracking_id, version=1)
    header_v2 = find_segment(services, OPERATOR, stored[0].tracking_id, version=2)
    assert read_segment(services, owner(header_v1), header_v1) != read_segment(
        services, owner(header_v2), header_v2
    )
    old = services.private.get(header_v1.container, header_v1.object_name)
    services.private.put(header_v2.container, header_v2.object_name, old.data, old.metadata)
    with pytest.raises(IntegrityError):
        read_segment(services, owner(header_v2), header_v2)


def test_rotation_rewraps_patient_keys_without_touching_objects(
    services: Services, stored: list[SegmentRecord]
) -> None:
    before = {r.object_name: services.private.get(r.container, r.object_name).data for r in stored}
    old_version = services.keystore.current_version()
    with services.db.session() as session:
        wrapped_before = session.scalars(select(PatientKey.wrapped)).all()
    services.key_cache.clear()
    report = rotate_master(services, OPERATOR)
    assert report.rewrapped == 1
    assert report.master_version != old_version
    with services.db.session() as session:
        rows = session.scalars(select(PatientKey)).all()
        assert {row.master_version for row in rows} == {report.master_version}
        assert [row.wrapped for row in rows] != wrapped_before
    after = {r.object_name: services.private.get(r.container, r.object_name).data for r in stored}
    assert after == before
    services.key_cache.clear()
    retire_master(services, OPERATOR, old_version)
    assert old_version not in services.keystore.versions()
    assert all(read_segment(services, owner(r), r) for r in stored)


def test_a_master_version_still_in_use_cannot_be_retired(
    services: Services, stored: list[SegmentRecord]
) -> None:
    current = services.keystore.current_version()
    services.keystore.rotate()
    with pytest.raises(ConfigurationError, match="rotate first"):
        retire_master(services, OPERATOR, current)


def test_erasure_shreds_keys_and_deletes_the_container(
    services: Services, stored: list[SegmentRecord]
) -> None:
    report = erase_patient(services, OPERATOR, PATIENT)
    assert (report.keys_destroyed, report.segments) == (1, len(stored))
    assert report.objects_deleted == len(stored)
    assert not services.private.container_exists(str(PATIENT))
    for record in stored:
        with pytest.raises(KeyErased):
            read_segment(services, owner(record), record)
    with services.db.session() as session:
        assert session.scalars(select(PatientKey.wrapped)).all() == [None]
        assert session.scalars(select(Erasure.objects_deleted)).all() == [len(stored)]


def test_erasing_an_unknown_patient_is_not_found(services: Services) -> None:
    with pytest.raises(NotFound):
        erase_patient(services, OPERATOR, PATIENT)
