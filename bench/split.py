"""Split pipeline throughput against raw lxml parsing, on the C-CDA corpus, in one run.

Both sides read the same documents from memory, one at a time, on one thread, and
drop each tree before the next; the rounds alternate so that machine noise hits both.
The figure that matters is the ratio: goal >= 0.50 (the split pipeline, which parses,
checks, classifies, canonicalises and hashes every section, at half the raw parse rate
or better).

    python bench/split.py [--corpus DIR] [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from lxml import etree

from phr_share.ccda import split_document

GOAL = 0.50
DEFAULT_CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"


def load(corpus: Path) -> list[bytes]:
    files = sorted(p for p in corpus.rglob("*") if p.is_file() and p.suffix.lower() == ".xml")
    if not files:
        sys.exit(f"no *.xml documents under {corpus} (pass --corpus DIR)")
    return [p.read_bytes() for p in files]


def raw_parse(docs: list[bytes]) -> None:
    for data in docs:
        etree.fromstring(data)


def split_all(docs: list[bytes]) -> None:
    patient = uuid.UUID("2f1f5c1e-8a7b-4c1e-9a51-6c0f2b7d9e10")
    for data in docs:
        split_document(data, patient)


def timed(run: Callable[[list[bytes]], None], docs: list[bytes]) -> float:
    start = time.perf_counter()
    run(docs)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    docs = load(args.corpus)
    megabytes = sum(map(len, docs)) / 1e6
    split_all(docs)  # warm up: schemas, tables, allocator
    raw_times, split_times = [], []
    for _ in range(args.rounds):
        raw_times.append(timed(raw_parse, docs))
        split_times.append(timed(split_all, docs))
    raw, split = statistics.median(raw_times), statistics.median(split_times)
    print(f"corpus: {len(docs)} documents, {megabytes:.1f} MB, {args.rounds} rounds (median)")
    for name, seconds in (("raw lxml parse", raw), ("split pipeline", split)):
        print(f"  {name:15s} {len(docs) / seconds:8.0f} docs/s {megabytes / seconds:8.1f} MB/s")
    ratio = raw / split
    verdict = "meets" if ratio >= GOAL else "MISSES"
    print(f"  ratio split/raw {ratio:8.2f}  ({verdict} the goal of {GOAL:.2f})")


if __name__ == "__main__":
    main()
