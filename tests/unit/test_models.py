"""Tracking ids, segment ordering and the words kinds are shown with."""

from __future__ import annotations

import uuid

from phr_share.models import (
    _TRACKING_NAMESPACE,
    DocumentRef,
    InstanceId,
    Segment,
    SegmentKind,
    path_sort_key,
    tracking_id_for,
)


def test_tracking_ids_are_uuid5_of_patient_document_and_path() -> None:
    patient = uuid.UUID("2f1f5c1e-8a7b-4c1e-9a51-6c0f2b7d9e10")
    document = InstanceId("2.16.840.1.113883.19.5", "D1")
    expected = uuid.uuid5(_TRACKING_NAMESPACE, f"{patient}|2.16.840.1.113883.19.5|D1|body/3")
    assert tracking_id_for(patient, document, "body/3") == expected
    assert expected == uuid.UUID(
        "1126a0a1-8e60-53f1-9af0-ec358120f4c3"
    )  # pinned: ids must not drift


def test_paths_sort_in_document_order() -> None:
    paths = ["body/10", "body/2/1", "header", "body/2", "body/1"]
    assert sorted(paths, key=path_sort_key) == ["header", "body/1", "body/2", "body/2/1", "body/10"]


def test_a_segment_hashes_its_content_and_knows_its_parent() -> None:
    segment = Segment(
        kind=SegmentKind.OTHER,
        tracking_id=uuid.uuid4(),
        patient_id=uuid.uuid4(),
        document=DocumentRef(InstanceId("1.2")),
        path="body/2/1",
        content=b"abc",
    )
    assert segment.sha256 == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert segment.parent_path == "body/2"
    assert Segment(**{**_fields(segment), "path": "body/2"}).parent_path is None


def _fields(segment: Segment) -> dict[str, object]:
    return {
        name: getattr(segment, name)
        for name in ("kind", "tracking_id", "patient_id", "document", "path", "content")
    }


def test_every_kind_reads_as_words_for_people() -> None:
    labels = [kind.label for kind in SegmentKind]
    assert len(set(labels)) == len(labels)
    assert all(label[0].isupper() and "-" not in label for label in labels)
    assert all(kind.about for kind in SegmentKind)
    assert SegmentKind.PHYSICAL_SIGNS.label == "Vital signs"
