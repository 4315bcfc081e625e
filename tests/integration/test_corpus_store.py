"""The whole corpus (HL7's shipped examples, and $PHR_CORPUS_DIR's documents when it is
set) through the real stores: read back, release, scan for leaks."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import replace

import pytest
from sqlalchemy import select

from phr_share.ccda import split_document
from phr_share.ccda.identity import collect_identifiers
from phr_share.ccda.xml import parse_xml
from phr_share.db import ReleaseItem, StoredSegment
from phr_share.deid.pseudonym import pseudonym
from phr_share.deid.scanner import scan
from phr_share.models import SegmentKind
from phr_share.settings import Settings
from phr_share.sharing import (
    OPERATOR,
    IngestResult,
    Services,
    choose_release,
    ingest_batch,
    open_services,
    read_segment,
    run_release,
    segments_of,
)
from phr_share.stack import StackInfo
from tests.conftest import corpus_dir, corpus_files, owner

FILES = corpus_files()
RELEASED = {SegmentKind.PHYSICAL_SIGNS, SegmentKind.BODY_MEASURES, SegmentKind.HEALTH_STATUS}
SAFE = re.compile(r"^[a-z0-9._/=-]+$", re.IGNORECASE)
# HL7's thirteen examples alone are a handful of people of different ages and places:
# no group of five is there to be made, so the release over them asks for pairs and may
# suppress up to half its records (a third of them stand alone).
KANON_K, KANON_MAX_SUPPRESSED = (5, 0.25) if corpus_dir() is not None else (2, 0.5)

pytestmark = pytest.mark.corpus


@pytest.fixture(scope="module")
def ingested(
    stack: StackInfo, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Services, dict[uuid.UUID, bytes]]]:
    state = tmp_path_factory.mktemp("corpus-store")
    settings = replace(
        Settings.from_env({**stack.env, "PHR_STATE_DIR": str(state)}),
        database_url=f"sqlite:///{state / 'phr-share.db'}",
        s3_bucket=f"corpus-{uuid.uuid4().hex[:12]}",
        deid_secret=bytes(range(32)),
        kanon_max_suppressed=KANON_MAX_SUPPRESSED,
        kanon_k=KANON_K,
    )
    svc = open_services(settings)
    documents = {uuid.uuid4(): path.read_bytes() for path in FILES}
    for patient in documents:
        choose_release(svc, OPERATOR, patient, RELEASED)
    outcomes = ingest_batch(svc, OPERATOR, [(data, patient) for patient, data in documents.items()])
    failures = [o for o in outcomes if not isinstance(o, IngestResult)]
    assert not failures, failures[:3]
    yield svc, documents
    svc.db.dispose()


def test_every_segment_reads_back_byte_identical(
    ingested: tuple[Services, dict[uuid.UUID, bytes]],
) -> None:
    svc, documents = ingested
    for patient, data in documents.items():
        expected = {s.tracking_id: s.content for s in split_document(data, patient).segments}
        records = segments_of(svc, OPERATOR, patient)
        assert {r.tracking_id for r in records} == set(expected)
        for record in records:
            assert read_segment(svc, owner(record), record) == expected[record.tracking_id]


def test_swift_names_and_metadata_hold_no_identifier(
    ingested: tuple[Services, dict[uuid.UUID, bytes]],
) -> None:
    svc, documents = ingested
    for patient, data in documents.items():
        identifiers = collect_identifiers(parse_xml(data))
        for name in svc.private.list(str(patient)):
            metadata = svc.private.head(str(patient), name)
            assert SAFE.match(name)
            assert all(SAFE.match(v) for v in metadata.values())
            assert not scan(" ".join([name, *metadata.values()]), identifiers)


def test_the_public_bucket_holds_exactly_the_released_kinds_and_no_identifier(
    ingested: tuple[Services, dict[uuid.UUID, bytes]],
) -> None:
    svc, documents = ingested
    report = run_release(svc, OPERATOR)
    assert report.release_id is not None
    assert report.k_achieved >= svc.settings.kanon_k
    bucket = svc.settings.s3_bucket
    names = svc.public.list(bucket)
    data_names = [n for n in names if not n.startswith("manifests/")]
    published = {n.split("/")[1].removeprefix("kind=") for n in data_names}
    with svc.db.session() as session:
        expected = set(
            session.scalars(
                select(StoredSegment.kind)
                .join(ReleaseItem, ReleaseItem.segment_id == StoredSegment.id)
                .where(ReleaseItem.outcome == "published")
            )
        )
    assert published == expected
    assert expected
    assert expected <= {k.value for k in RELEASED}
    # Each object is scanned against the identifiers of the person it is about: records
    # by their pseudonym, segments by the release item that named them. (Scanning against
    # everyone's identifiers at once flags one patient's ZIP code as another's byte count.)
    identifiers = {p: collect_identifiers(parse_xml(d)) for p, d in documents.items()}
    by_pseudonym = {pseudonym(svc.deid_secret, p): p for p in documents}
    with svc.db.session() as session:
        owner = dict(
            session.execute(
                select(ReleaseItem.object_name, StoredSegment.patient_id).join(
                    StoredSegment, ReleaseItem.segment_id == StoredSegment.id
                )
            ).all()
        )
    for name in data_names:
        data = svc.public.get(bucket, name).data
        if name.startswith("segments/"):
            leaks = scan(data, identifiers[owner[name]])
            assert not leaks, f"{name}: {sorted({f.kind.value for f in leaks})}"
            continue
        for line in data.decode().splitlines():
            person = by_pseudonym[json.loads(line)["pseudonym"]]
            leaks = scan(line, identifiers[person])
            assert not leaks, f"{name}: {sorted({f.kind.value for f in leaks})}"
    manifest = json.loads(svc.public.get(bucket, report.manifest or "").data)
    assert {o["name"] for o in manifest["objects"]} == set(data_names)
    assert not any(str(p) in json.dumps(manifest) for p in documents)
