"""The pull's journal, its concurrency and its streamed Parquet: crash, resume, memory."""

from __future__ import annotations

import io
import json
import threading
import uuid
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from phr_share.deid import build_release
from phr_share.errors import StoreUnavailable
from phr_share.public_layout import Manifest, RecordsName
from phr_share.research import parquet as parquet_module
from phr_share.research import pull, records_to_parquet, wanted_objects
from phr_share.research.catalogue import parse_jsonl
from phr_share.research.journal import JOURNAL_FILE, LEGACY_STATE_FILE
from phr_share.storage import Blob, MemoryStore
from tests.unit.research.test_research import _record

BUCKET, KIND = "research", "physical-signs"
SINCE = date(2000, 1, 1)
YEARS = [str(year) for year in range(2010, 2022)]


class FailingStore(MemoryStore):
    """A memory store that fails reads of one object, and counts every object read."""

    def __init__(self) -> None:
        super().__init__()
        self.failing: str | None = None
        self.got: list[str] = []
        self._lock = threading.Lock()

    def get(self, container: str, name: str) -> Blob:
        if name == self.failing:
            raise StoreUnavailable("the object store is unavailable")
        with self._lock:
            self.got.append(name)
        return super().get(container, name)


def _publish(store: MemoryStore, extra: dict[str, object] | None = None) -> list[str]:
    """One release of a record object per year, three records each; the object names."""
    release = uuid.UUID(int=11)
    gated = build_release(
        [_record(KIND, person, year) for year in YEARS for person in range(3)], k=1
    )
    objects = {}
    for obj in gated.objects:
        data = obj.data
        if extra:
            data = b"".join(
                json.dumps({**json.loads(line), **extra}, sort_keys=True).encode() + b"\n"
                for line in data.splitlines()
            )
        objects[RecordsName(obj.kind, obj.year, release).name] = data
    manifest = Manifest.of(release, date(2026, 1, 1), gated.gate, objects)
    store.ensure_container(BUCKET)
    for name, data in [*objects.items(), (manifest.name, manifest.to_bytes())]:
        store.put(BUCKET, name, data, {})
    return sorted(objects)


@pytest.fixture
def store() -> FailingStore:
    store = FailingStore()
    _publish(store)
    return store


def _records(store: MemoryStore) -> list[str]:
    return [o.name for o in wanted_objects(store, BUCKET, KIND, SINCE)]


def _before(out: Path, store: MemoryStore) -> bytes:
    """The Parquet file as the pull built it before it streamed: every row, then one file."""
    rows = [
        {**record, "release": obj.release_id}
        for obj in wanted_objects(store, BUCKET, KIND, SINCE)
        for record in parse_jsonl((out / obj.name).read_bytes())
    ]
    return records_to_parquet(rows)


def _lines(out: Path) -> list[dict[str, object]]:
    header, *lines = (out / JOURNAL_FILE).read_bytes().splitlines()
    assert json.loads(header)["format"] == "phr-share-pull-journal/1"
    return [json.loads(line) for line in lines]


def test_a_failure_at_object_k_resumes_with_exactly_the_rest(
    store: FailingStore, tmp_path: Path
) -> None:
    names = _records(store)
    clean = tmp_path / "clean"
    pull(store, BUCKET, KIND, SINCE, clean, concurrency=4)
    out = tmp_path / "out"
    k = 5
    store.failing = names[k]
    with pytest.raises(StoreUnavailable):
        pull(store, BUCKET, KIND, SINCE, out, concurrency=4)
    # Finished in order: the journal names exactly the objects before k, each once, and
    # no file, temporary or Parquet file is left for any other.
    assert [line["name"] for line in _lines(out)] == names[:k]
    left = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert left == sorted([JOURNAL_FILE, *names[:k]])
    store.failing, store.got = None, []
    report = pull(store, BUCKET, KIND, SINCE, out, concurrency=4)
    assert sorted(n for n in store.got if n.startswith("records/")) == names[k:]
    assert (report.downloaded, report.skipped) == (len(names) - k, k)
    table = pq.read_table(out / f"{KIND}.parquet")
    assert table.num_rows == report.parquet_records == 3 * len(names)  # no duplicate row
    assert table.equals(pq.read_table(clean / f"{KIND}.parquet"))
    assert sorted(line["name"] for line in _lines(out)) == names  # compacted: one line each


def test_a_torn_last_journal_line_is_ignored_and_its_object_fetched_again(
    store: FailingStore, tmp_path: Path
) -> None:
    names = _records(store)
    pull(store, BUCKET, KIND, SINCE, tmp_path)
    journal = tmp_path / JOURNAL_FILE
    data = journal.read_bytes()
    journal.write_bytes(data[: -len(data.splitlines(keepends=True)[-1]) // 2])  # torn mid-line
    store.got = []
    report = pull(store, BUCKET, KIND, SINCE, tmp_path)
    assert (report.downloaded, report.skipped) == (1, len(names) - 1)
    assert [n for n in store.got if n.startswith("records/")] == [names[-1]]
    assert journal.read_bytes().endswith(b"\n")
    assert sorted(line["name"] for line in _lines(tmp_path)) == names
    assert pull(store, BUCKET, KIND, SINCE, tmp_path).downloaded == 0


def test_the_parquet_file_holds_what_it_held_before_it_streamed(
    store: FailingStore, tmp_path: Path
) -> None:
    pull(store, BUCKET, KIND, SINCE, tmp_path, concurrency=3)
    table = pq.read_table(tmp_path / f"{KIND}.parquet")
    before = pq.read_table(io.BytesIO(_before(tmp_path, store)))
    assert table.schema.equals(before.schema)
    assert table.to_pylist() == before.to_pylist()
    # Resumed from disk, every object up to date: the same rows again.
    pull(store, BUCKET, KIND, SINCE, tmp_path, concurrency=3)
    assert pq.read_table(tmp_path / f"{KIND}.parquet").to_pylist() == before.to_pylist()


def test_records_with_a_key_outside_the_release_format_are_typed_as_before(
    tmp_path: Path,
) -> None:
    store = MemoryStore()
    _publish(store, {"weight": 2.5, "flag": True})
    pull(store, BUCKET, KIND, SINCE, tmp_path, concurrency=2)
    table = pq.read_table(tmp_path / f"{KIND}.parquet")
    before = pq.read_table(io.BytesIO(_before(tmp_path, store)))
    assert table.column_names[-3:] == ["flag", "release", "weight"]
    assert table.schema.equals(before.schema)
    assert table.to_pylist() == before.to_pylist()


def test_memory_is_bounded_by_construction_one_row_group_at_a_time(
    store: FailingStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = _records(store)
    monkeypatch.setattr(parquet_module, "ROW_GROUP_BYTES", 1)  # a row group per object
    pull(store, BUCKET, KIND, SINCE, tmp_path / "each", concurrency=4)
    metadata = pq.ParquetFile(tmp_path / "each" / f"{KIND}.parquet").metadata
    assert metadata.num_row_groups == len(names)
    assert all(metadata.row_group(i).num_rows == 3 for i in range(len(names)))
    monkeypatch.setattr(parquet_module, "ROW_GROUP_BYTES", 1 << 30)  # all in one
    pull(store, BUCKET, KIND, SINCE, tmp_path / "one", concurrency=4)
    assert pq.ParquetFile(tmp_path / "one" / f"{KIND}.parquet").metadata.num_row_groups == 1


def test_an_old_state_file_is_converted_once_into_a_journal(
    store: FailingStore, tmp_path: Path
) -> None:
    names = _records(store)
    pull(store, BUCKET, KIND, SINCE, tmp_path)
    entries = {line.pop("name"): line for line in _lines(tmp_path)}
    old = {"format": "phr-share-pull/1", "objects": entries}
    (tmp_path / LEGACY_STATE_FILE).write_text(json.dumps(old))
    (tmp_path / JOURNAL_FILE).unlink()
    store.got = []
    report = pull(store, BUCKET, KIND, SINCE, tmp_path)
    assert (report.downloaded, report.skipped) == (0, len(names))
    assert not [n for n in store.got if n.startswith("records/")]
    assert not (tmp_path / LEGACY_STATE_FILE).exists()
    assert sorted(line["name"] for line in _lines(tmp_path)) == names
