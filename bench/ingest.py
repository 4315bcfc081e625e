"""End-to-end ingest against raw object-store PUTs, and the no-I/O pipeline against a parse.

Starts its own local stack (real Swift all-in-one and the moto S3 endpoint) in a scratch
directory, then measures in one run:

1. raw PUT rate: the same number of objects, of the same sizes, as the ingest writes,
   PUT straight to Swift (one container per patient) and to S3, at the same concurrency;
2. end-to-end ingest rate: parse, split, route, seal, PUT, index (SQLite), objects/s;
3. the no-I/O pipeline (parse, split, route, seal, de-identify) against raw lxml parse.

Goals: end-to-end >= 70 % of the raw Swift PUT rate; no-I/O pipeline >= 35 % of parse.

    python bench/ingest.py [--corpus DIR] [--documents N] [--concurrency C]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from lxml import etree

from phr_share import stack
from phr_share.ccda import split_document
from phr_share.ccda.identity import patient_identity
from phr_share.crypto import Binding, new_key, seal
from phr_share.deid.policy import DeidPolicy
from phr_share.deidentify import deidentify_segments
from phr_share.policy import load_routing_policy
from phr_share.settings import Settings
from phr_share.sharing import OPERATOR, ingest_batch, open_services
from phr_share.storage import BlobStore

GOAL_STORE, GOAL_PIPELINE = 0.70, 0.35
DEFAULT_CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
DEMO = Path(__file__).resolve().parents[1] / "deploy" / "demo" / "demo-ccd.xml"
SECRET = bytes(range(32))


def load(corpus: Path, count: int) -> list[tuple[bytes, uuid.UUID]]:
    files = sorted(p for p in corpus.rglob("*.xml")) if corpus.is_dir() else []
    documents = [p.read_bytes() for p in files] or [DEMO.read_bytes()]
    return [(documents[i % len(documents)], uuid.uuid4()) for i in range(count)]


def sealed_sizes(items: Sequence[tuple[bytes, uuid.UUID]]) -> list[tuple[str, int]]:
    """(container, size) of every object the ingest will write."""
    key = new_key()
    sizes = []
    for data, patient in items:
        for segment in split_document(data, patient).segments:
            binding = Binding(patient, segment.tracking_id, segment.kind.value, "pk1")
            sizes.append((str(patient), len(seal(segment.content, key, binding))))
    return sizes


def raw_puts(store: BlobStore, objects: list[tuple[str, int]], concurrency: int, one: str) -> float:
    """Seconds to PUT random objects of these sizes; containers made beforehand (untimed)."""
    containers = {one} if one else {c for c, _ in objects}
    for container in containers:
        store.ensure_container(container)
    payloads = [(one or c, f"bench/{i}", os.urandom(size)) for i, (c, size) in enumerate(objects)]
    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(lambda p: store.put(p[0], p[1], p[2], {"kind": "bench"}), payloads))
    return time.perf_counter() - start


def pipeline(items: Sequence[tuple[bytes, uuid.UUID]], deidentify: bool = True) -> None:
    """Everything an ingest and a release do, minus the network and the database."""
    routing = load_routing_policy()
    policy = DeidPolicy(SECRET, datetime.now(UTC).date())
    released = set(routing.releasable)
    key = new_key()
    for data, patient in items:
        split = split_document(data, patient)
        for segment in split.segments:
            routing.route(segment.kind, released)
            seal(segment.content, key, Binding(patient, segment.tracking_id, segment.kind, "pk1"))
        if not deidentify:
            continue
        header = next(s for s in split.segments if s.path == "header")
        public = [s for s in split.segments if s.kind in released]
        deidentify_segments(public, patient_identity(header.content, patient), policy)


def parse_only(items: Sequence[tuple[bytes, uuid.UUID]]) -> None:
    for data, _ in items:
        etree.fromstring(data)


def timed(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--documents", type=int, default=60)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    items = load(args.corpus, args.documents)
    objects = sealed_sizes(items)
    print(f"{len(items)} documents, {len(objects)} objects, {sum(s for _, s in objects)} bytes")

    best_parse = min(timed(lambda: parse_only(items)) for _ in range(3))
    best_pipeline = min(timed(lambda: pipeline(items)) for _ in range(3))
    best_ingest_side = min(timed(lambda: pipeline(items, deidentify=False)) for _ in range(3))
    pipe_ratio = best_parse / best_pipeline
    print(
        f"parse, split, route, seal (no de-identification): {len(items) / best_ingest_side:8.1f} "
        f"docs/s; ratio to raw parse {best_parse / best_ingest_side:.2f}"
    )
    print(
        f"no-I/O pipeline: {len(items) / best_pipeline:8.1f} docs/s; raw parse "
        f"{len(items) / best_parse:8.1f} docs/s; ratio {pipe_ratio:.2f} (goal {GOAL_PIPELINE})"
    )

    with tempfile.TemporaryDirectory(prefix="phr-bench-") as scratch:
        state = Path(scratch)
        info = stack.up(state)
        try:
            env = {
                **info.env,
                "PHR_STATE_DIR": scratch,
                "PHR_DEID_SECRET": SECRET.hex(),
                "PHR_STORE_CONCURRENCY": str(args.concurrency),
            }
            settings = Settings.from_env(env)
            svc = open_services(settings)
            swift_raw = raw_puts(svc.private, objects, args.concurrency, "")
            s3_raw = raw_puts(svc.public, objects, args.concurrency, settings.s3_bucket)
            start = time.perf_counter()
            outcomes = ingest_batch(svc, OPERATOR, items)
            e2e = time.perf_counter() - start
            failures = [o for o in outcomes if isinstance(o, Exception)]
            if failures:
                sys.exit(f"{len(failures)} documents failed: {failures[0]}")
        finally:
            stack.down(state)
    n = len(objects)
    ratio = swift_raw / e2e
    print(f"raw PUT Swift:   {n / swift_raw:8.1f} objects/s (concurrency {args.concurrency})")
    print(f"raw PUT S3:      {n / s3_raw:8.1f} objects/s")
    print(
        f"ingest e2e:      {n / e2e:8.1f} objects/s; ratio to raw Swift {ratio:.2f} "
        f"(goal {GOAL_STORE})"
    )
    print(
        json.dumps(
            {
                "documents": len(items),
                "objects": n,
                "raw_parse_docs_per_s": round(len(items) / best_parse, 1),
                "pipeline_docs_per_s": round(len(items) / best_pipeline, 1),
                "ratio_pipeline_parse": round(pipe_ratio, 3),
                "ratio_pipeline_parse_goal_met": pipe_ratio >= GOAL_PIPELINE,
                "raw_swift_objects_per_s": round(n / swift_raw, 1),
                "raw_s3_objects_per_s": round(n / s3_raw, 1),
                "ingest_objects_per_s": round(n / e2e, 1),
                "ratio_ingest_swift": round(ratio, 3),
                "ratio_ingest_swift_goal_met": ratio >= GOAL_STORE,
            }
        )
    )


if __name__ == "__main__":
    main()
