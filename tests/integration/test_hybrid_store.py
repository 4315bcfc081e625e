"""The whole store against the real local Swift all-in-one and the S3 endpoint.

Ingest, read back, tamper, fault injection (a store stopped mid-batch), erasure, key
rotation under KMS, and Swift behind a real Keystone.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from swiftclient import client as swift_client

from phr_share import stack
from phr_share.crypto import KmsKeyStore
from phr_share.errors import IntegrityError, KeyErased, PhrShareError, StoreUnavailable
from phr_share.models import SegmentKind
from phr_share.settings import Settings
from phr_share.sharing import (
    OPERATOR,
    IngestResult,
    Services,
    choose_release,
    erase_patient,
    ingest_batch,
    ingest_document,
    open_services,
    read_segment,
    recover,
    rotate_master,
    run_release,
    segments_of,
)
from tests.conftest import METADATA_FIELDS, PATIENT, forged_metadata, mismatch_logged, owner
from tests.integration.conftest import DyingAfter

SAFE = re.compile(r"^[a-z0-9._/=-]+$", re.IGNORECASE)


def _services(settings: Settings, database_url: str, tmp_path: Path, **changes: object) -> Services:
    chosen = replace(
        settings,
        database_url=database_url,
        state_dir=tmp_path,
        s3_bucket=f"research-{uuid.uuid4().hex[:12]}",
        deid_secret=bytes(range(32)),
        **changes,
    )
    return open_services(chosen)


@pytest.fixture
def svc(stack_settings: Settings, database_url: str, tmp_path: Path) -> Iterator[Services]:
    services = _services(stack_settings, database_url, tmp_path, kanon_k=2)
    yield services
    services.db.dispose()


def _stored(svc: Services, patient: uuid.UUID) -> int:
    return len(segments_of(svc, OPERATOR, patient))


def test_a_document_round_trips_through_swift(svc: Services, demo_ccd: bytes) -> None:
    result = ingest_document(svc, OPERATOR, demo_ccd, PATIENT)
    records = segments_of(svc, OPERATOR, PATIENT)
    assert len(records) == len(result.placements)
    names = svc.private.list(str(PATIENT))
    assert sorted(names) == sorted(r.object_name for r in records)
    for record in records:
        metadata = svc.private.head(record.container, record.object_name)
        assert all(SAFE.match(v) for v in (record.object_name, *metadata.values()))
        assert read_segment(svc, owner(record), record)
    assert not ingest_document(svc, OPERATOR, demo_ccd, PATIENT).created
    assert sorted(svc.private.list(str(PATIENT))) == sorted(names)


def test_tampered_swift_objects_fail_with_the_integrity_error(
    svc: Services, demo_ccd: bytes
) -> None:
    ingest_document(svc, OPERATOR, demo_ccd, PATIENT)
    first, second, third, fourth = segments_of(svc, OPERATOR, PATIENT)[1:5]
    store = svc.private
    a = store.get(first.container, first.object_name)
    b = store.get(second.container, second.object_name)
    flipped = bytearray(a.data)
    flipped[-20] ^= 0x80
    store.put(first.container, first.object_name, bytes(flipped), a.metadata)
    store.put(second.container, second.object_name, a.data, a.metadata)  # swapped in
    c = store.get(third.container, third.object_name)
    store.put(third.container, third.object_name, c.data[: len(c.data) // 2], c.metadata)
    d = store.get(fourth.container, fourth.object_name)
    store.put(fourth.container, fourth.object_name, d.data, {**d.metadata, "key-id": "pk9"})
    for record in (first, second, third, fourth):
        with pytest.raises(IntegrityError, match=r"^a stored object failed its integrity check$"):
            read_segment(svc, owner(record), record)
    store.put(second.container, second.object_name, b.data, b.metadata)
    assert read_segment(svc, owner(second), second)


def test_metadata_edited_in_swift_fails_the_read_like_a_tampered_body(
    svc: Services, demo_ccd: bytes, stack_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    ingest_document(svc, OPERATOR, demo_ccd, PATIENT)
    records = segments_of(svc, OPERATOR, PATIENT)
    targets = records[1 : 1 + len(METADATA_FIELDS)]
    forged = forged_metadata(records[0])  # the header: another tracking id, kind, ciphertext
    swift = swift_client.Connection(
        authurl=stack_settings.swift_auth_url,
        user=stack_settings.swift_user,
        key=stack_settings.swift_key,
        auth_version="1",
    )
    for record, field in zip(targets, METADATA_FIELDS, strict=True):
        kept = swift.head_object(record.container, record.object_name)
        # A POST replaces all of an object's metadata: the other fields are sent again.
        headers = {k: v for k, v in kept.items() if k.startswith("x-object-meta-")}
        headers[f"x-object-meta-{field}"] = forged[field]
        swift.post_object(record.container, record.object_name, headers=headers)
    swift.close()
    with caplog.at_level(logging.WARNING, logger="phr_share.store"):
        for record in targets:
            with pytest.raises(
                IntegrityError, match=r"^a stored object failed its integrity check$"
            ):
                read_segment(svc, owner(record), record)
    assert [r.getMessage() for r in caplog.records if r.name == "phr_share.store"] == [
        mismatch_logged(r, field) for r, field in zip(targets, METADATA_FIELDS, strict=True)
    ]
    assert all(read_segment(svc, owner(r), r) for r in records[1 + len(METADATA_FIELDS) :])


def test_swift_dying_mid_batch_leaves_no_half_document_and_a_retry_completes(
    svc: Services, demo_ccd: bytes, stack_dir: Path
) -> None:
    patients = [uuid.uuid4() for _ in range(8)]
    items = [(demo_ccd, p) for p in patients]
    real = svc.private
    # The proxy stops after 30 of the batch's writes went through it, whatever the pace.
    svc.private = DyingAfter(real, stack_dir, 30, "swift-proxy")  # type: ignore[assignment]
    try:
        outcomes = ingest_batch(svc, OPERATOR, items)
    finally:
        stack.start_service(stack_dir, "swift-proxy")
        svc.private = real
    failed = [p for p, o in zip(patients, outcomes, strict=True) if isinstance(o, PhrShareError)]
    assert failed, "the proxy was stopped mid-batch, yet nothing failed"
    assert all(isinstance(o, StoreUnavailable | IngestResult) for o in outcomes)
    recover(svc, OPERATOR)
    for patient, outcome in zip(patients, outcomes, strict=True):
        indexed = sorted(r.object_name for r in segments_of(svc, OPERATOR, patient))
        stored = sorted(svc.private.list(str(patient)))
        assert stored == indexed, "store and index disagree"
        assert bool(indexed) == isinstance(outcome, IngestResult)
    retried = ingest_batch(svc, OPERATOR, items)
    assert all(isinstance(o, IngestResult) for o in retried)
    for patient in patients:
        records = segments_of(svc, OPERATOR, patient)
        assert sorted(svc.private.list(str(patient))) == sorted(r.object_name for r in records)
        assert all(read_segment(svc, owner(r), r) for r in records)


def test_s3_dying_mid_release_publishes_nothing_and_a_rerun_completes(
    svc: Services, demo_ccd: bytes, stack_dir: Path
) -> None:
    for _ in range(3):
        patient = uuid.uuid4()
        choose_release(
            svc,
            OPERATOR,
            patient,
            {SegmentKind.PHYSICAL_SIGNS, SegmentKind.HEALTH_STATUS},
        )
        ingest_document(svc, OPERATOR, demo_ccd, patient)
    real = svc.public
    svc.public = DyingAfter(real, stack_dir, 2)  # type: ignore[assignment]
    try:
        with pytest.raises(StoreUnavailable):
            run_release(svc, OPERATOR)
    finally:
        stack.start_service(stack_dir, "s3")
        svc.public = real
    real.ensure_container(svc.settings.s3_bucket)
    assert not [n for n in real.list(svc.settings.s3_bucket) if n.startswith("manifests/")]
    report = run_release(svc, OPERATOR)
    assert report.segments_published > 0
    names = real.list(svc.settings.s3_bucket)
    assert report.manifest in names
    assert set(names) == {*report.objects, report.manifest}


def test_erasure_makes_everything_unreadable_and_removes_the_container(
    svc: Services, demo_ccd: bytes
) -> None:
    ingest_document(svc, OPERATOR, demo_ccd, PATIENT)
    records = segments_of(svc, OPERATOR, PATIENT)
    report = erase_patient(svc, OPERATOR, PATIENT)
    assert report.objects_deleted == len(records)
    assert not svc.private.container_exists(str(PATIENT))
    for record in records:
        with pytest.raises(KeyErased):
            read_segment(svc, owner(record), record)


def test_kms_master_keys_rotate_without_reencrypting(
    stack_settings: Settings, database_url: str, tmp_path: Path, demo_ccd: bytes
) -> None:
    svc = _services(stack_settings, database_url, tmp_path, keystore="kms")
    assert isinstance(svc.keystore, KmsKeyStore)
    ingest_document(svc, OPERATOR, demo_ccd, PATIENT)
    records = segments_of(svc, OPERATOR, PATIENT)
    before = [svc.private.get(r.container, r.object_name).data for r in records]
    svc.key_cache.clear()
    rotation = rotate_master(svc, OPERATOR)
    assert rotation.rewrapped == 1
    assert len(rotation.versions) == 2
    svc.key_cache.clear()
    assert [svc.private.get(r.container, r.object_name).data for r in records] == before
    assert all(read_segment(svc, owner(r), r) for r in records)
    svc.db.dispose()


def test_swift_behind_keystone_ingests_and_reads(
    keystone_stack: stack.StackInfo, database_url: str, tmp_path: Path, demo_ccd: bytes
) -> None:
    settings = Settings.from_env({**keystone_stack.env, "PHR_STATE_DIR": str(tmp_path)})
    assert settings.swift_auth_version == "3"
    svc = _services(settings, database_url, tmp_path)
    ingest_document(svc, OPERATOR, demo_ccd, PATIENT)
    records = segments_of(svc, OPERATOR, PATIENT)
    assert records
    assert all(read_segment(svc, owner(r), r) for r in records)
    svc.db.dispose()
