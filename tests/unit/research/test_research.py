"""The research side of the public bucket: catalogue, verified records, Parquet, the pull."""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from phr_share.cli import research as research_cli
from phr_share.crypto import LocalKeyStore, ScryptCost
from phr_share.db import Database
from phr_share.deid import FlatRecord, build_release
from phr_share.errors import IntegrityError, InvalidInput, NotFound, StoreUnavailable
from phr_share.models import SegmentKind
from phr_share.policy import load_routing_policy
from phr_share.public_layout import Manifest, RecordsName, SegmentName
from phr_share.research import (
    AgeRange,
    RecordQuery,
    catalogue,
    pull,
    records_to_parquet,
    release_records,
    wanted_objects,
)
from phr_share.research.pull import JOURNAL_FILE
from phr_share.settings import Settings
from phr_share.sharing import OPERATOR, Services, choose_release, ingest_document, run_release
from phr_share.storage import Blob, MemoryStore

BUCKET = "research"
FIRST, SECOND = str(uuid.UUID(int=1)), str(uuid.UUID(int=2))
VITALS = "physical-signs"
STATUS = "health-status"


class FlakyStore(MemoryStore):
    """A memory store whose reads stop working after ``gets_left`` more of them."""

    def __init__(self) -> None:
        super().__init__()
        self.gets_left: int | None = None
        self.gets = 0

    def get(self, container: str, name: str) -> Blob:
        self.gets += 1
        if self.gets_left is not None:
            if self.gets_left <= 0:
                raise StoreUnavailable("the object store is unavailable")
            self.gets_left -= 1
        return super().get(container, name)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _record(
    kind: str,
    person: int,
    year: str,
    *,
    day: str | None = None,
    value: str | None = "120",
    band: str | None = "40-44",
) -> FlatRecord:
    return FlatRecord(
        kind=kind,
        pseudonym=f"{person:032x}",
        age_band=band,
        sex="F",
        zip3="970",
        year=year,
        date=day,
        statement="observation",
        codes=("2.16.840.1.113883.6.1|8480-6",),
        loinc="8480-6",
        snomed=None,
        rxnorm=None,
        value=value,
        unit="mm[Hg]",
        narrative=None,
    )


def _publish(
    store: MemoryStore, release_id: str, records: Sequence[FlatRecord], published: date
) -> str:
    """Write a release the way phr_share.sharing.release does: objects, then the manifest."""
    gated = build_release(records, k=1)
    release = uuid.UUID(release_id)
    objects = {SegmentName(VITALS, "2023", release.hex[-12:]).name: b"<section/>"}
    for obj in gated.objects:
        objects[RecordsName(obj.kind, obj.year, release).name] = obj.data
    manifest = Manifest.of(release, published, gated.gate, objects)
    store.ensure_container(BUCKET)
    for name, data in [*objects.items(), (manifest.name, manifest.to_bytes())]:
        store.put(BUCKET, name, data, {"sha256": _sha(data)})
    return manifest.name


FIRST_RECORDS = [
    *(_record(VITALS, p, "2019") for p in range(3)),
    *(_record(VITALS, p, "2021", value="90+") for p in range(2)),
    _record(VITALS, 1, "2023", day="2023-03-01"),
    _record(VITALS, 2, "2023", day="2023-09-30", value="131.5"),
    _record(VITALS, 3, "2023"),  # year only: kept for any since in 2023
    *(_record(STATUS, p, "2023", value=None) for p in range(4)),
]
SECOND_RECORDS = [
    *(_record(VITALS, p, "2024") for p in range(2)),
    _record(VITALS, 9, ""),  # no year at all: an "unknown" object, always pulled
]


@pytest.fixture
def store() -> FlakyStore:
    store = FlakyStore()
    _publish(store, SECOND, SECOND_RECORDS, date(2026, 2, 1))
    _publish(store, FIRST, FIRST_RECORDS, date(2026, 1, 15))
    return store


def test_the_catalogue_reads_every_manifest_oldest_first(store: FlakyStore) -> None:
    first, second = catalogue(store, BUCKET)
    assert (first.release_id, second.release_id) == (FIRST, SECOND)
    assert first.published == "2026-01-15"
    assert first.kinds == (STATUS, VITALS)
    assert first.period == ("2019", "2021", "2023")
    assert second.period == ("2024", "unknown")
    assert (first.records, second.records) == (len(FIRST_RECORDS), len(SECOND_RECORDS))
    assert (first.k_achieved, second.k_achieved) == (2, 1)  # smallest groups: 2021, unknown
    manifest = store.get(BUCKET, f"manifests/release={FIRST}.json").data
    assert first.manifest_sha256 == _sha(manifest)
    assert all(o.name.startswith("records/") for o in first.objects)  # no segment XML


def test_a_release_without_its_manifest_is_not_listed(store: FlakyStore) -> None:
    store.delete(BUCKET, f"manifests/release={SECOND}.json")
    assert [r.release_id for r in catalogue(store, BUCKET)] == [FIRST]
    assert catalogue(MemoryStore(), BUCKET) == []


def test_release_records_are_verified_and_filtered_by_kind(store: FlakyStore) -> None:
    everything = release_records(store, BUCKET, FIRST)
    assert len(everything) == len(FIRST_RECORDS)
    status = release_records(store, BUCKET, FIRST, RecordQuery(kind=STATUS))
    assert len(status) == 4
    assert {r["kind"] for r in status} == {STATUS}
    with pytest.raises(NotFound):
        release_records(store, BUCKET, str(uuid.UUID(int=7)))
    with pytest.raises(NotFound):
        release_records(store, BUCKET, "../manifests")


def test_release_records_answer_a_query_by_date_and_age_range(store: FlakyStore) -> None:
    since = release_records(store, BUCKET, FIRST, RecordQuery(VITALS, date(2023, 6, 1)))
    # The September record, and the one with only its year; March is before.
    assert [r.get("date") for r in since] == ["2023-09-30", None]
    third = str(uuid.UUID(int=3))
    bands = ["35-39", "40-44", "40-49", "60-64", "65-69", "90+", None]
    _publish(
        store,
        third,
        [_record(VITALS, p, "2024", band=b) for p, b in enumerate(bands)],
        date(2026, 3, 1),
    )

    def ages(text: str) -> list[str | None]:
        query = RecordQuery(ages=AgeRange.parse(text))
        return [r["age_band"] for r in release_records(store, BUCKET, third, query)]

    assert ages("40-64") == ["40-44", "40-49", "60-64"]
    assert ages("40-45") == ["40-44"]  # 40-49 may hold a 48-year-old
    assert ages("65+") == ["65-69", "90+"]
    assert ages("0+") == [b for b in bands if b is not None]
    assert "90+" not in ages("0-120")  # no closed range holds an open band


def test_a_tampered_record_object_fails_its_integrity_check(store: FlakyStore) -> None:
    name = f"records/kind={STATUS}/year=2023/release={FIRST}.jsonl"
    blob = store.get(BUCKET, name)
    store.put(BUCKET, name, blob.data.replace(b'"F"', b'"M"'), blob.metadata)
    with pytest.raises(IntegrityError, match=r"^a stored object failed its integrity check$"):
        release_records(store, BUCKET, FIRST)
    vitals = release_records(store, BUCKET, FIRST, RecordQuery(kind=VITALS))
    assert len(vitals) == len(FIRST_RECORDS) - 4


def test_a_manifest_naming_a_path_outside_the_layout_is_refused(store: FlakyStore) -> None:
    name = f"manifests/release={FIRST}.json"
    manifest = json.loads(store.get(BUCKET, name).data)
    manifest["objects"][0]["name"] = f"records/kind=x/../../../etc/release={FIRST}.jsonl"
    store.put(BUCKET, name, json.dumps(manifest).encode(), {})
    with pytest.raises(IntegrityError):
        catalogue(store, BUCKET)
    store.put(BUCKET, name, b"{not json", {})
    with pytest.raises(IntegrityError):
        catalogue(store, BUCKET)


def test_parquet_round_trips_with_typed_columns_in_a_stable_order() -> None:
    rows = [r.as_json() for r in FIRST_RECORDS[5:8]]
    rows[0]["release"], rows[1]["release"] = FIRST, SECOND
    rows[0]["weight"], rows[2]["weight"] = 3, 4.5
    table = pq.read_table(io.BytesIO(records_to_parquet(rows)))
    assert table.column_names[:4] == ["kind", "pseudonym", "age_band", "sex"]
    assert table.column_names[-2:] == ["release", "weight"]
    assert table.schema.field("date").type == pa.date32()
    assert table.schema.field("codes").type == pa.list_(pa.string())
    assert table.schema.field("value").type == pa.float64()
    assert table.schema.field("value_text").type == pa.string()
    assert table.schema.field("weight").type == pa.float64()
    assert table.schema.field("year").type == pa.string()
    read = table.to_pylist()
    assert read[0]["date"] == date(2023, 3, 1)
    assert read[2]["date"] is None
    assert [r["value"] for r in read] == [120.0, 131.5, 120.0]
    assert [r["value_text"] for r in read] == [None, None, None]
    assert read[0]["codes"] == ["2.16.840.1.113883.6.1|8480-6"]
    assert [r["release"] for r in read] == [FIRST, SECOND, None]
    assert read[2]["weight"] == 4.5
    empty = pq.read_table(io.BytesIO(records_to_parquet([])))
    assert empty.num_rows == 0
    assert empty.column_names == table.column_names[:-2]


def test_parquet_refuses_a_malformed_date_and_types_integer_columns() -> None:
    with pytest.raises(InvalidInput):
        records_to_parquet([{"date": "23/03/2023"}])
    table = pq.read_table(io.BytesIO(records_to_parquet([{"n": 1}, {"n": 2}, {"flag": True}])))
    assert table.schema.field("n").type == pa.int64()
    assert table.schema.field("flag").type == pa.bool_()
    assert table.column("value").to_pylist() == [None, None, None]
    # A release published when values were text is read as numbers all the same.
    old = pq.read_table(io.BytesIO(records_to_parquet([{"value": "131.5"}, {"value": "90+"}])))
    assert old.column("value").to_pylist() == [131.5, None]


def _files(out: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(out)): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.name != JOURNAL_FILE
    }


def _journal(out: Path) -> dict[str, dict[str, object]]:
    """The objects the journal names as done, each by its latest line."""
    header, *lines = (out / JOURNAL_FILE).read_bytes().splitlines()
    assert json.loads(header) == {"format": "phr-share-pull-journal/1"}
    return {entry["name"]: entry for entry in map(json.loads, lines)}


def test_pull_writes_the_kind_since_a_date_mirroring_the_bucket(
    store: FlakyStore, tmp_path: Path
) -> None:
    report = pull(store, BUCKET, VITALS, date(2023, 6, 1), tmp_path)
    assert sorted(_files(tmp_path)) == [
        f"{VITALS}.parquet",
        f"records/kind={VITALS}/year=2023/release={FIRST}.jsonl",
        f"records/kind={VITALS}/year=2024/release={SECOND}.jsonl",
        f"records/kind={VITALS}/year=unknown/release={SECOND}.jsonl",
    ]
    assert (report.downloaded, report.skipped) == (3, 0)
    # 2023: the record dated March is before since; the September and year-only ones stay.
    assert report.records_written == 2 + 2 + 1 == report.parquet_records
    partial = (tmp_path / f"records/kind={VITALS}/year=2023/release={FIRST}.jsonl").read_text()
    assert [json.loads(line).get("date") for line in partial.splitlines()] == ["2023-09-30", None]
    whole = f"records/kind={VITALS}/year=2024/release={SECOND}.jsonl"
    assert (tmp_path / whole).read_bytes() == store.get(BUCKET, whole).data
    table = pq.read_table(tmp_path / f"{VITALS}.parquet")
    assert set(table.column("kind").to_pylist()) == {VITALS}
    assert table.column("release").to_pylist() == [FIRST, FIRST, SECOND, SECOND, SECOND]
    state = _journal(tmp_path)
    assert sorted(state) == sorted(n for n in _files(tmp_path) if n.startswith("records/"))


def test_pull_since_an_early_date_takes_every_object_of_the_kind(
    store: FlakyStore, tmp_path: Path
) -> None:
    report = pull(store, BUCKET, STATUS, date(2000, 1, 1), tmp_path)
    assert (report.downloaded, report.records_written, report.parquet_records) == (1, 4, 4)
    assert len(wanted_objects(store, BUCKET, VITALS, date(2000, 1, 1))) == 5
    assert len(wanted_objects(store, BUCKET, VITALS, date(2022, 12, 31))) == 3
    with pytest.raises(InvalidInput):
        pull(store, BUCKET, "../x", date(2000, 1, 1), tmp_path)


def test_an_interrupted_pull_keeps_a_consistent_state_and_the_next_run_finishes(
    store: FlakyStore, tmp_path: Path
) -> None:
    since = date(2019, 1, 1)
    clean = tmp_path / "clean"
    pull(store, BUCKET, VITALS, since, clean)
    out = tmp_path / "out"
    store.gets_left = 2 + 2  # both manifests, then two of the five objects
    with pytest.raises(StoreUnavailable):
        pull(store, BUCKET, VITALS, since, out)
    state = _journal(out)
    assert len(state) == 2
    assert sorted(_files(out)) == sorted(state)  # no half file, no temporary
    store.gets_left = None
    store.gets = 0
    report = pull(store, BUCKET, VITALS, since, out)
    assert (report.downloaded, report.skipped) == (3, 2)
    assert store.gets == 2 + 3
    assert _files(out) == _files(clean)
    again = pull(store, BUCKET, VITALS, since, out)
    assert (again.downloaded, again.skipped, again.records_written) == (0, 5, 0)
    assert again.parquet_records == report.parquet_records == 11


def test_missing_or_changed_local_files_are_fetched_again(
    store: FlakyStore, tmp_path: Path
) -> None:
    since = date(2019, 1, 1)
    pull(store, BUCKET, VITALS, since, tmp_path)
    names = sorted(n for n in _files(tmp_path) if n.startswith("records/"))
    (tmp_path / names[0]).unlink()
    (tmp_path / names[1]).write_bytes(b'{"kind": "edited"}\n')
    report = pull(store, BUCKET, VITALS, since, tmp_path)
    assert (report.downloaded, report.skipped) == (2, 3)
    assert (tmp_path / names[1]).read_bytes() == store.get(BUCKET, names[1]).data
    # Another since filters differently, so every object is fetched again.
    assert pull(store, BUCKET, VITALS, date(2021, 1, 1), tmp_path).downloaded == 5 - 1


def test_a_later_since_removes_what_an_earlier_pull_wrote_out_of_range(
    store: FlakyStore, tmp_path: Path
) -> None:
    pull(store, BUCKET, STATUS, date(2019, 1, 1), tmp_path)
    pull(store, BUCKET, VITALS, date(2019, 1, 1), tmp_path)
    (tmp_path / "notes.txt").write_text("mine")
    before = set(_files(tmp_path))
    report = pull(store, BUCKET, VITALS, date(2021, 1, 1), tmp_path)
    gone = before - set(_files(tmp_path))
    assert report.removed == len(gone) == 1
    assert all(VITALS in name and "2019" in name for name in gone)
    assert (tmp_path / "notes.txt").read_text() == "mine"  # not the pull's: left alone
    assert any(STATUS in name for name in _files(tmp_path))  # another kind: left alone
    state = _journal(tmp_path)
    assert not gone & set(state)
    assert pull(store, BUCKET, VITALS, date(2021, 1, 1), tmp_path).removed == 0


def test_a_tampered_object_stops_the_pull_and_is_never_marked_done(
    store: FlakyStore, tmp_path: Path
) -> None:
    name = f"records/kind={VITALS}/year=2021/release={FIRST}.jsonl"
    blob = store.get(BUCKET, name)
    store.put(BUCKET, name, blob.data + b'{"kind": "planted"}\n', blob.metadata)
    with pytest.raises(IntegrityError):
        pull(store, BUCKET, VITALS, date(2019, 1, 1), tmp_path)
    state = _journal(tmp_path)
    assert list(state) == [f"records/kind={VITALS}/year=2019/release={FIRST}.jsonl"]
    assert not (tmp_path / name).exists()


def test_pull_by_age_range_keeps_the_bands_inside_it_and_refetches_when_it_changes(
    store: FlakyStore, tmp_path: Path
) -> None:
    third = str(uuid.UUID(int=3))
    bands = ["35-39", "40-44", "45-49", "50-54", "90+"]
    _publish(
        store,
        third,
        [_record(VITALS, p, "2025", band=b) for p, b in enumerate(bands)],
        date(2026, 3, 1),
    )
    name = f"records/kind={VITALS}/year=2025/release={third}.jsonl"
    since = date(2025, 1, 1)
    report = pull(store, BUCKET, VITALS, since, tmp_path, ages=AgeRange(40, 49))
    assert report.ages == AgeRange(40, 49)
    kept = [json.loads(line)["age_band"] for line in (tmp_path / name).read_text().splitlines()]
    assert kept == ["40-44", "45-49"]
    table = pq.read_table(tmp_path / f"{VITALS}.parquet")
    assert set(table.column("age_band").to_pylist()) == {"40-44", "45-49"}
    assert pull(store, BUCKET, VITALS, since, tmp_path, ages=AgeRange(40, 49)).downloaded == 0
    wider = pull(store, BUCKET, VITALS, since, tmp_path, ages=AgeRange(40))
    assert wider.downloaded >= 1
    kept = [json.loads(line)["age_band"] for line in (tmp_path / name).read_text().splitlines()]
    assert kept == ["40-44", "45-49", "50-54", "90+"]
    everyone = pull(store, BUCKET, VITALS, since, tmp_path)
    assert everyone.downloaded >= 1
    assert (tmp_path / name).read_bytes() == store.get(BUCKET, name).data


def test_an_unreadable_state_file_means_starting_afresh(store: FlakyStore, tmp_path: Path) -> None:
    (tmp_path / JOURNAL_FILE).write_text("[1, 2")
    assert pull(store, BUCKET, STATUS, date(2019, 1, 1), tmp_path).downloaded == 1
    (tmp_path / JOURNAL_FILE).write_text("[]")
    assert pull(store, BUCKET, STATUS, date(2019, 1, 1), tmp_path).downloaded == 1


def _run(
    argv: list[str], store: MemoryStore, monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> tuple[int, str]:
    # The CLI opens S3 from settings; here the public store is the memory one.
    monkeypatch.setattr(research_cli, "open_public_store", lambda _: store)
    parser = argparse.ArgumentParser(prog="phr-share")
    research_cli.add_research_commands(parser.add_subparsers(required=True))
    args = parser.parse_args(argv)
    out = io.StringIO()
    code: int = args.handler(args, settings, out)
    return code, out.getvalue()


def test_the_cli_lists_releases_and_pulls(
    store: FlakyStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(state_dir=tmp_path, s3_bucket=BUCKET)
    code, table = _run(["research", "list"], store, monkeypatch, settings)
    assert code == 0
    assert table.splitlines()[0].split()[:3] == ["RELEASE", "PUBLISHED", "KINDS"]
    assert FIRST in table.splitlines()[1]
    assert "2019..2023 (3)" in table
    code, listed = _run(["research", "list", "--json"], store, monkeypatch, settings)
    assert [r["release"] for r in json.loads(listed)] == [FIRST, SECOND]
    out = tmp_path / "pulled"
    argv = ["research", "pull", "--kind", VITALS, "--since", "2023-06-01", "--out", str(out)]
    code, summary = _run(argv, store, monkeypatch, settings)
    assert code == 0
    assert "3 objects downloaded, 0 already up to date; 5 records written" in summary
    assert (out / f"{VITALS}.parquet").is_file()
    with pytest.raises(SystemExit):
        _run([*argv[:5], "2023-13-01", *argv[6:]], store, monkeypatch, settings)
    code, summary = _run([*argv, "--ages", "65+"], store, monkeypatch, settings)
    assert code == 0
    assert ", ages 65+: 3 objects downloaded" in summary
    assert "0 records written" in summary  # everyone here is 40-44
    with pytest.raises(SystemExit):
        _run([*argv, "--ages", "old"], store, monkeypatch, settings)


@pytest.fixture
def services(tmp_path: Path, database_url: str) -> Iterator[Services]:
    secret = bytes(range(32))
    settings = Settings(
        state_dir=tmp_path,
        database_url=database_url,
        deid_secret=secret,
        kanon_k=3,
        store_concurrency=4,
        s3_bucket=BUCKET,
    )
    db = Database(database_url)
    db.migrate()
    yield Services(
        settings=settings,
        db=db,
        private=MemoryStore(),
        public=MemoryStore(),
        keystore=LocalKeyStore(tmp_path / "keys"),
        routing=load_routing_policy(),
        deid_secret=secret,
        clock=lambda: datetime(2026, 11, 22, 12, 0, tzinfo=UTC),
        password_cost=ScryptCost(log_n=10),
    )
    db.dispose()


def test_a_real_release_is_catalogued_and_pulled(
    services: Services, demo_ccd: bytes, tmp_path: Path
) -> None:
    for person in range(1, 5):
        patient = uuid.UUID(int=person)
        choose_release(
            services,
            OPERATOR,
            patient,
            {SegmentKind.PHYSICAL_SIGNS, SegmentKind.HEALTH_STATUS},
        )
        ingest_document(services, OPERATOR, demo_ccd, patient)
    report = run_release(services, OPERATOR)
    (info,) = catalogue(services.public, BUCKET)
    assert info.release_id == str(report.release_id)
    assert info.published == "2026-11-22"
    assert info.kinds == (STATUS, VITALS)
    assert info.records == report.records_in - report.records_suppressed
    assert info.k_achieved == report.k_achieved
    records = release_records(services.public, BUCKET, info.release_id)
    assert len(records) == info.records
    pulled = pull(services.public, BUCKET, STATUS, date(1900, 1, 1), tmp_path / "out")
    assert pulled.parquet_records == sum(1 for r in records if r["kind"] == STATUS)
