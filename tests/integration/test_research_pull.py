"""A researcher's pull from the real S3 endpoint: a release made by the real stack, pulled,
checked against its manifest, resumed, and scanned for identifiers of the source."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from phr_share.ccda.identity import collect_identifiers
from phr_share.ccda.xml import parse_xml
from phr_share.deid.scanner import scan
from phr_share.models import SegmentKind
from phr_share.research import catalogue, pull
from phr_share.research.pull import JOURNAL_FILE
from phr_share.settings import Settings
from phr_share.sharing import (
    OPERATOR,
    ReleaseReport,
    Services,
    choose_release,
    ingest_document,
    open_services,
    run_release,
)
from phr_share.storage import open_public_store

KINDS = {SegmentKind.PHYSICAL_SIGNS, SegmentKind.HEALTH_STATUS}
PATIENTS = [uuid.uuid4() for _ in range(3)]


@pytest.fixture
def released(
    stack_settings: Settings, database_url: str, tmp_path: Path, demo_ccd: bytes
) -> Iterator[tuple[Services, ReleaseReport]]:
    settings = replace(
        stack_settings,
        database_url=database_url,
        state_dir=tmp_path,
        s3_bucket=f"research-{uuid.uuid4().hex[:12]}",
        deid_secret=bytes(range(32)),
        kanon_k=2,
    )
    svc = open_services(settings)
    for patient in PATIENTS:
        choose_release(svc, OPERATOR, patient, KINDS)
        ingest_document(svc, OPERATOR, demo_ccd, patient)
    report = run_release(svc, OPERATOR)
    assert report.release_id is not None
    yield svc, report
    svc.public.delete_container(settings.s3_bucket)
    svc.db.dispose()


def test_a_pull_from_s3_matches_the_manifest_and_holds_no_identifier(
    released: tuple[Services, ReleaseReport], tmp_path: Path, demo_ccd: bytes
) -> None:
    svc, release = released
    store, bucket = open_public_store(svc.settings), svc.settings.s3_bucket
    (info,) = catalogue(store, bucket)
    assert info.release_id == str(release.release_id)
    manifest = store.get(bucket, release.manifest or "").data
    assert info.manifest_sha256 == hashlib.sha256(manifest).hexdigest()
    listed = {o["name"]: o["sha256"] for o in json.loads(manifest)["objects"]}
    kind = SegmentKind.HEALTH_STATUS.value
    wanted = {n for n in listed if n.startswith(f"records/kind={kind}/")}
    assert wanted

    out = tmp_path / "pulled"
    report = pull(store, bucket, kind, date(1900, 1, 1), out)
    assert report.downloaded == len(wanted)
    pulled = {str(p.relative_to(out)) for p in out.rglob("*.jsonl")}
    assert pulled == wanted
    for name in wanted:  # nothing filtered out, so each file is the published object
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == listed[name]
    table = pq.read_table(out / f"{kind}.parquet")
    assert table.num_rows == report.records_written == report.parquet_records > 0
    assert set(table.column("release").to_pylist()) == {info.release_id}

    identifiers = collect_identifiers(parse_xml(demo_ccd))
    for path in [*(out / n for n in wanted), out / JOURNAL_FILE]:
        assert not scan(path.read_bytes(), identifiers), path.name
    for row in table.to_pylist():
        assert not scan(json.dumps(row, default=str), identifiers)
    everything = b"".join(p.read_bytes() for p in out.rglob("*") if p.is_file())
    assert not any(str(patient).encode() in everything for patient in PATIENTS)

    again = pull(store, bucket, kind, date(1900, 1, 1), out)
    assert (again.downloaded, again.skipped) == (0, len(wanted))


def test_a_pull_since_a_later_year_keeps_only_later_records(
    released: tuple[Services, ReleaseReport], tmp_path: Path
) -> None:
    svc, _ = released
    store, bucket = open_public_store(svc.settings), svc.settings.s3_bucket
    kind = SegmentKind.HEALTH_STATUS.value
    everything = pull(store, bucket, kind, date(1900, 1, 1), tmp_path / "all")
    years = pq.read_table(tmp_path / "all" / f"{kind}.parquet").column("year").to_pylist()
    cut = sorted({int(y[-4:]) for y in years if y})[-1]  # the latest year published
    later = pull(store, bucket, kind, date(cut, 1, 1), tmp_path / "later")
    kept = pq.read_table(tmp_path / "later" / f"{kind}.parquet").column("year").to_pylist()
    assert 0 < later.parquet_records < everything.parquet_records
    assert all(int(y[-4:]) >= cut for y in kept if y)
    assert later.parquet_records == sum(1 for y in years if not y or int(y[-4:]) >= cut)
