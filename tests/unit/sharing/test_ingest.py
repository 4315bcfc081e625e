"""Ingest: every segment sealed into the patient's container, indexed, all or nothing."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import event, func, select

from phr_share.audit import Action
from phr_share.ccda import split_document
from phr_share.ccda.xml import HL7
from phr_share.consent import Role
from phr_share.crypto import ALGORITHM
from phr_share.db import Document, StoredSegment
from phr_share.errors import AccessDenied, InvalidDocument, NotFound, StoreUnavailable
from phr_share.models import SegmentKind
from phr_share.sharing import (
    OPERATOR,
    Services,
    audit_entries,
    choose_release,
    create_user,
    current_segments,
    export_document,
    find_segment,
    ingest_document,
    read_segment,
    recover,
    segments_of,
    stored_documents,
)
from phr_share.storage import MemoryStore
from tests.conftest import PATIENT, many_sections, owner

SAFE = re.compile(r"^[A-Za-z0-9._/-]+$")


def _rows(svc: Services) -> tuple[int, int]:
    with svc.db.session() as session:
        documents = session.scalar(select(func.count()).select_from(Document))
        segments = session.scalar(select(func.count()).select_from(StoredSegment))
    return documents or 0, segments or 0


def test_every_segment_is_stored_sealed_and_reads_back_byte_identical(
    services: Services, demo_ccd: bytes
) -> None:
    result = ingest_document(services, OPERATOR, demo_ccd, PATIENT)
    split = split_document(demo_ccd, PATIENT)
    assert result.created
    assert result.version == 1
    assert [p.tracking_id for p in result.placements] == [s.tracking_id for s in split.segments]
    names = services.private.list(str(PATIENT))
    assert sorted(names) == sorted(p.object_name for p in result.placements)
    for segment in split.segments:
        record = find_segment(services, OPERATOR, segment.tracking_id)
        blob = services.private.get(record.container, record.object_name)
        assert segment.content not in blob.data
        assert read_segment(services, owner(record), record) == segment.content


def test_names_and_metadata_carry_ids_kinds_and_hashes_only(
    services: Services, demo_ccd: bytes
) -> None:
    result = ingest_document(services, OPERATOR, demo_ccd, PATIENT)
    for placement in result.placements:
        assert placement.container == str(PATIENT)
        assert placement.object_name == (
            f"{placement.kind.value}/{placement.tracking_id}/v{result.version}"
        )
        metadata = services.private.head(placement.container, placement.object_name)
        assert set(metadata) == {
            "tracking-id",
            "kind",
            "key-id",
            "alg",
            "format",
            "ciphertext-sha256",
        }
        assert metadata["alg"] == ALGORITHM
        assert all(SAFE.match(value) for value in metadata.values())
    assert b"Jordan" not in demo_ccd or all(
        "Jordan" not in n for n in services.private.list(str(PATIENT))
    )


def test_re_ingesting_is_idempotent(services: Services, demo_ccd: bytes) -> None:
    first = ingest_document(services, OPERATOR, demo_ccd, PATIENT)
    before = (_rows(services), services.private.list(str(PATIENT)))
    again = ingest_document(services, OPERATOR, demo_ccd, PATIENT)
    assert not again.created
    assert again.placements == first.placements
    assert (_rows(services), services.private.list(str(PATIENT))) == before


def test_a_new_version_keeps_the_old_one_readable(services: Services, demo_ccd: bytes) -> None:
    ingest_document(services, OPERATOR, demo_ccd, PATIENT)
    revised = demo_ccd.replace(b"</ClinicalDocument>", b"<!-- amended --></ClinicalDocument>")
    second = ingest_document(services, OPERATOR, revised, PATIENT)
    assert second.version == 2
    tracking = second.placements[1].tracking_id
    assert find_segment(services, OPERATOR, tracking).version == 2
    old = find_segment(services, OPERATOR, tracking, version=1)
    new = find_segment(services, OPERATOR, tracking)
    assert read_segment(services, owner(old), old) == read_segment(services, owner(new), new)


def test_a_document_sent_again_under_a_new_id_replaces_the_earlier_one_whole(
    services: Services, demo_ccd: bytes
) -> None:
    ingest_document(services, OPERATOR, demo_ccd, PATIENT)
    before = current_segments(services, OPERATOR, PATIENT)
    # What an EHR sends when it revises a document: a new id, the same set id, a higher
    # version number; here it also drops the results section.
    revised = re.sub(
        rb"<component>\s*<section>\s*<templateId root=\"2\.16\.840\.1\.113883\.10\.20\.22"
        rb"\.2\.3\.1\".*?</section>\s*</component>",
        b"",
        demo_ccd.replace(b'extension="DEMO-CCD-0001"', b'extension="DEMO-CCD-0002"').replace(
            b'<versionNumber value="1"/>', b'<versionNumber value="2"/>'
        ),
        count=1,
        flags=re.DOTALL,
    )
    assert revised.count(b"DEMO-CCD-0002") == 1
    second = ingest_document(services, OPERATOR, revised, PATIENT)
    assert second.version == 2
    after = current_segments(services, OPERATOR, PATIENT)
    assert {r.document_id for r in after} == {second.document_id}  # none of the first
    assert len(after) == len(before) - 1  # the dropped section is no longer current
    assert not {r.tracking_id for r in after} & {r.tracking_id for r in before}  # new ids
    assert len(segments_of(services, OPERATOR, PATIENT)) == len(before) + len(after)  # both kept
    current = {d.id: d.current for d in stored_documents(services, OPERATOR, PATIENT)}
    assert sorted(current.values()) == [False, True]


def test_stored_documents_come_newest_first_with_their_type_code(
    services: Services, demo_ccd: bytes
) -> None:
    assert stored_documents(services, OPERATOR, PATIENT) == []
    ingest_document(services, OPERATOR, demo_ccd, PATIENT)
    revised = demo_ccd.replace(b"</ClinicalDocument>", b"<!-- amended --></ClinicalDocument>")
    ingest_document(services, OPERATOR, revised, PATIENT)
    first, second = sorted(stored_documents(services, OPERATOR, PATIENT), key=lambda d: d.version)
    assert [d.version for d in stored_documents(services, OPERATOR, PATIENT)] == [2, 1]
    assert first.type_code == second.type_code == "34133-9"
    assert [s.path for s in first.segments] == [
        s.path for s in segments_of(services, OPERATOR, PATIENT)
    ][: len(first.segments)]
    assert first.size == sum(s.size for s in first.segments)
    assert sum(first.kinds.values()) == len(first.segments)
    assert first.kinds[SegmentKind.PERSONAL] == 1


@pytest.mark.parametrize(
    ("code", "kept"),
    [
        (b'code="34133-9" codeSystem="2.16.840.1.113883.6.1"', "34133-9"),
        (b'code="34133-9" codeSystem="2.16.840.1.113883.6.96"', None),  # not LOINC
        (b'code="Jordan Sample" codeSystem="2.16.840.1.113883.6.1"', None),  # not a code
    ],
)
def test_only_a_well_formed_loinc_type_code_is_indexed(
    services: Services, demo_ccd: bytes, code: bytes, kept: str | None
) -> None:
    document = demo_ccd.replace(b'code="34133-9" codeSystem="2.16.840.1.113883.6.1"', code, 1)
    ingest_document(services, OPERATOR, document, PATIENT)
    assert [d.type_code for d in stored_documents(services, OPERATOR, PATIENT)] == [kept]


def test_a_patient_downloads_a_stored_document_rebuilt_from_its_segments(
    services: Services, demo_ccd: bytes
) -> None:
    stored = ingest_document(services, OPERATOR, demo_ccd, PATIENT)
    patient = create_user(services, OPERATOR, "jordan", Role.PATIENT, patient_id=PATIENT)
    data = export_document(services, patient.principal, stored.document_id)
    rebuilt = split_document(data, PATIENT)
    original = split_document(demo_ccd, PATIENT)
    assert [(s.path, s.sha256) for s in rebuilt.segments] == [
        (s.path, s.sha256) for s in original.segments
    ]  # the same document, section for section
    assert data.count(f'<ClinicalDocument xmlns="{HL7}"'.encode()) == 1
    reads = [e for e in audit_entries(services, OPERATOR, PATIENT) if e.action is Action.READ]
    assert len(reads) == len(original.segments)  # every segment read as the owner's view
    other = create_user(services, OPERATOR, "sam", Role.PATIENT)
    with pytest.raises(NotFound):  # not yours: as if it did not exist
        export_document(services, other.principal, stored.document_id)
    doctor = create_user(services, OPERATOR, "dr.kim", Role.DOCTOR)
    with pytest.raises(AccessDenied):
        export_document(services, doctor.principal, stored.document_id)


def test_a_refused_document_writes_nothing(services: Services) -> None:
    with pytest.raises(InvalidDocument):
        ingest_document(services, OPERATOR, b"<ClinicalDocument/>", PATIENT)
    assert _rows(services) == (0, 0)
    assert services.private.list(str(PATIENT)) == []


def test_a_failure_halfway_rolls_the_whole_document_back(
    services: Services, demo_ccd: bytes
) -> None:
    store = services.private
    assert isinstance(store, MemoryStore)
    store.fail_after(5)
    with pytest.raises(StoreUnavailable):
        ingest_document(services, OPERATOR, demo_ccd, PATIENT)
    assert store.list(str(PATIENT)) == []
    assert _rows(services) == (0, 0)
    store.fail_after(None)
    result = ingest_document(services, OPERATOR, demo_ccd, PATIENT)
    assert result.created
    assert len(store.list(str(PATIENT))) == len(result.placements)


def test_when_cleanup_fails_too_the_journal_stays_hidden_until_a_retry_completes(
    services: Services, demo_ccd: bytes
) -> None:
    store = services.private
    assert isinstance(store, MemoryStore)
    store.fail_after(5, deletes=True)
    with pytest.raises(StoreUnavailable):
        ingest_document(services, OPERATOR, demo_ccd, PATIENT)
    split = split_document(demo_ccd, PATIENT)
    with pytest.raises(NotFound):
        find_segment(services, OPERATOR, split.segments[0].tracking_id)
    assert segments_of(services, OPERATOR, PATIENT) == []
    store.fail_after(None)
    result = ingest_document(services, OPERATOR, demo_ccd, PATIENT)
    assert result.created
    assert len(store.list(str(PATIENT))) == len(split.segments)
    assert _rows(services) == (1, len(split.segments))


def test_recover_removes_what_an_interrupted_ingest_left(
    services: Services, demo_ccd: bytes
) -> None:
    store = services.private
    assert isinstance(store, MemoryStore)
    store.fail_after(5, deletes=True)
    with pytest.raises(StoreUnavailable):
        ingest_document(services, OPERATOR, demo_ccd, PATIENT)
    assert store.list(str(PATIENT))  # the first writes are stranded
    store.fail_after(None)
    assert recover(services, OPERATOR) == 1
    assert store.list(str(PATIENT)) == []
    assert _rows(services) == (0, 0)


def test_released_kinds_are_queued_for_research_not_written_public(
    services: Services, demo_ccd: bytes
) -> None:
    choose_release(services, OPERATOR, PATIENT, {SegmentKind.PHYSICAL_SIGNS})
    result = ingest_document(services, OPERATOR, demo_ccd, PATIENT)
    queued = {p.kind for p in result.placements if p.research}
    assert queued == {SegmentKind.PHYSICAL_SIGNS}
    assert services.public.list("research") == []


def test_patients_get_their_own_container_and_key(services: Services, demo_ccd: bytes) -> None:
    other = uuid.uuid4()
    ingest_document(services, OPERATOR, demo_ccd, PATIENT)
    ingest_document(services, OPERATOR, demo_ccd, other)
    mine, theirs = (
        segments_of(services, OPERATOR, PATIENT),
        segments_of(services, OPERATOR, other),
    )
    assert {r.container for r in mine} == {str(PATIENT)}
    assert {r.container for r in theirs} == {str(other)}
    assert not {r.tracking_id for r in mine} & {r.tracking_id for r in theirs}


def _statements(svc: Services, document: bytes, patient: uuid.UUID) -> list[str]:
    """The SQL statements (an executemany counts once) an ingest of ``document`` sends."""
    sent: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        sent.append(statement.split(None, 1)[0])

    event.listen(svc.db.engine, "before_cursor_execute", note)
    try:
        assert ingest_document(svc, OPERATOR, document, patient).created
    finally:
        event.remove(svc.db.engine, "before_cursor_execute", note)
    return sent


def test_the_index_takes_as_many_statements_for_500_sections_as_for_5(
    services: Services,
) -> None:
    few = _statements(services, many_sections(5), uuid.uuid4())
    many = _statements(services, many_sections(500), uuid.uuid4())
    assert len(many) == len(few), "a statement per segment"
