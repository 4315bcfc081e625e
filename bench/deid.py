"""De-identification throughput next to split throughput, on the C-CDA corpus, in one run.

Both are counted in segments per second over the same documents: splitting makes every
segment of a document; de-identification takes every segment but the personal ones
(Safe Harbor scrubbing, records and all), as a release of everything would. Its cost in
clinical meaning is counted too: how many words of each document's narrative it removes
(mean, median, max). The last line is all the figures as one JSON object.

    python bench/deid.py [--corpus DIR] [--rounds N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import uuid
from datetime import date
from pathlib import Path

from phr_share.ccda import split_document
from phr_share.ccda.split import SplitDocument
from phr_share.deid import DeidPolicy
from phr_share.deidentify import deidentify_document, narrative_words_removed
from phr_share.models import SegmentKind

DEFAULT_CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
PATIENT = uuid.UUID("2f1f5c1e-8a7b-4c1e-9a51-6c0f2b7d9e10")
POLICY = DeidPolicy(b"bench-secret-bench-secret-bench!", date(2026, 1, 1))


def load(corpus: Path) -> list[bytes]:
    files = sorted(p for p in corpus.rglob("*") if p.is_file() and p.suffix.lower() == ".xml")
    if not files:
        sys.exit(f"no *.xml documents under {corpus} (pass --corpus DIR)")
    return [p.read_bytes() for p in files]


def split_all(docs: list[bytes]) -> list[SplitDocument]:
    return [split_document(data, PATIENT) for data in docs]


def deidentify_all(splits: list[SplitDocument]) -> int:
    return sum(len(deidentify_document(split, POLICY)) for split in splits)


def words_removed(splits: list[SplitDocument]) -> tuple[list[int], int]:
    """Narrative words removed per document, and the corpus' narrative words in all."""
    per_document, total = [], 0
    for split in splits:
        sources = [s for s in split.segments if s.kind is not SegmentKind.PERSONAL]
        released = deidentify_document(split, POLICY)
        counts = [narrative_words_removed(s, r) for s, r in zip(sources, released, strict=True)]
        per_document.append(sum(removed for _, removed in counts))
        total += sum(words for words, _ in counts)
    return per_document, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    docs = load(args.corpus)
    splits = split_all(docs)
    made = sum(len(s.segments) for s in splits)
    released = deidentify_all(splits)  # warm up, and count
    split_times, deid_times = [], []
    for _ in range(args.rounds):
        start = time.perf_counter()
        split_all(docs)
        split_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        deidentify_all(splits)
        deid_times.append(time.perf_counter() - start)
    split_s, deid_s = statistics.median(split_times), statistics.median(deid_times)
    print(f"corpus: {len(docs)} documents, {args.rounds} rounds (median)")
    split_rate, deid_rate = made / split_s, released / deid_s
    print(f"  split             {made:6d} segments  {split_rate:8.0f} segments/s")
    print(f"  de-identification {released:6d} segments  {deid_rate:8.0f} segments/s")
    print(f"  ratio de-identification/split (segments/s) {deid_rate / split_rate:.2f}")
    removed, words = words_removed(splits)
    mean, median = statistics.mean(removed), statistics.median(removed)
    print(
        f"  narrative words removed per document: mean {mean:.1f}, median {median:.0f},"
        f" max {max(removed)} ({sum(removed) / words:.2%} of {words} words)"
    )
    figures = {
        "documents": len(docs),
        "rounds": args.rounds,
        "split_segments": made,
        "split_segments_per_s": round(split_rate),
        "deid_segments": released,
        "deid_segments_per_s": round(deid_rate),
        "ratio_deid_split": round(deid_rate / split_rate, 3),
        "narrative_words": words,
        "narrative_words_removed": sum(removed),
        "words_removed_per_document": {
            "mean": round(mean, 1),
            "median": median,
            "max": max(removed),
        },
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
