"""Split pipeline throughput against raw lxml parsing, on the C-CDA corpus, in one run;
then the cost per section of splitting and of ingesting one document of 50, 500 and
5,000 sections.

Both sides read the same documents from memory, one at a time, on one thread, and
drop each tree before the next; the rounds alternate so that machine noise hits both.
The figure that matters is the ratio: goal >= 0.50 (the split pipeline, which parses,
checks, classifies, canonicalises and hashes every section, at half the raw parse rate
or better).

The per-section costs are for synthetic documents (the demo CCD's header, then small
sections of six kinds), with PHR_MAX_SECTIONS raised to let the largest in: split
alone, and a whole ingest (split, seal, index) into in-memory object stores and a
SQLite index in a scratch directory. Nothing there may grow with the number of
sections: the cost per section at 5,000 should be no higher than at 500.

Then the time to refuse hostile input (an entity bomb, 10,000 levels of nesting, a
document over the byte limit): goal under a second each, however busy the machine.
The last line is every figure as one JSON object.

    python bench/split.py [--corpus DIR] [--rounds N] [--section-rounds N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from functools import partial
from pathlib import Path

from lxml import etree

from phr_share.ccda import split_document
from phr_share.crypto import LocalKeyStore
from phr_share.db import Database
from phr_share.errors import InvalidDocument
from phr_share.policy import load_routing_policy
from phr_share.settings import Settings
from phr_share.sharing import OPERATOR, Services, ingest_document
from phr_share.storage import MemoryStore

GOAL = 0.50
REFUSAL_GOAL_S = 1.0
ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
DEMO = ROOT / "deploy" / "demo" / "demo-ccd.xml"
BOMB = ROOT / "tests" / "data" / "hostile" / "billion-laughs.xml"
PATIENT = uuid.UUID("2f1f5c1e-8a7b-4c1e-9a51-6c0f2b7d9e10")
SECTION_COUNTS = (50, 500, 5000)
# Section templates and LOINC codes of six kinds, taken in turn.
KINDS = (
    ("2.16.840.1.113883.10.20.22.2.4.1", "8716-3", "Vital signs"),
    ("2.16.840.1.113883.10.20.22.2.5.1", "11450-4", "Problems"),
    ("2.16.840.1.113883.10.20.22.2.1.1", "10160-0", "Medications"),
    ("2.16.840.1.113883.10.20.22.2.17", "29762-2", "Social history"),
    ("2.16.840.1.113883.10.20.22.2.15", "10157-6", "Family history"),
    ("2.16.840.1.113883.10.20.22.2.10", "18776-5", "Plan of care"),
)


def load(corpus: Path) -> list[bytes]:
    files = sorted(p for p in corpus.rglob("*") if p.is_file() and p.suffix.lower() == ".xml")
    if not files:
        sys.exit(f"no *.xml documents under {corpus} (pass --corpus DIR)")
    return [p.read_bytes() for p in files]


def raw_parse(docs: list[bytes]) -> None:
    for data in docs:
        etree.fromstring(data)


def split_all(docs: list[bytes]) -> None:
    for data in docs:
        split_document(data, PATIENT)


def with_sections(count: int) -> bytes:
    """The demo CCD's header and a body of ``count`` small sections of six kinds."""
    demo = DEMO.read_bytes()
    head, rest = demo.split(b"<structuredBody>", 1)
    tail = rest.split(b"</structuredBody>", 1)[1]
    body = "".join(
        f'<component><section><templateId root="{template}"/>'
        f'<code code="{code}" codeSystem="2.16.840.1.113883.6.1"/><title>{title}</title>'
        f"<text><paragraph>Entry {n} of {count}.</paragraph></text></section></component>"
        for n, (template, code, title) in enumerate(KINDS[i % len(KINDS)] for i in range(count))
    )
    return head + b"<structuredBody>" + body.encode() + b"</structuredBody>" + tail


def memory_services(state: Path, settings: Settings) -> Services:
    """Ingest's services with no network: in-memory stores, a SQLite index in ``state``."""
    url = f"sqlite:///{state / 'phr-share.db'}"
    db = Database(url)
    db.migrate()
    return Services(
        settings=settings,
        db=db,
        private=MemoryStore(),
        public=MemoryStore(),
        keystore=LocalKeyStore(state / "keys"),
        routing=load_routing_policy(),
        deid_secret=bytes(32),
    )


def per_section(rounds: int) -> dict[str, dict[str, float]]:
    """Microseconds per section to split, and to ingest, one document of each size."""
    settings = Settings(max_sections=max(SECTION_COUNTS), deid_secret=bytes(32))
    costs: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="phr-bench-") as scratch:
        svc = memory_services(Path(scratch), settings)
        for count in SECTION_COUNTS:
            data = with_sections(count)
            split = statistics.median(
                clocked(partial(split_document, data, PATIENT, settings)) for _ in range(rounds)
            )
            # A new patient each round, so every round stores the document anew.
            ingest = statistics.median(
                clocked(partial(ingest_document, svc, OPERATOR, data, uuid.uuid4()))
                for _ in range(rounds)
            )
            costs[str(count)] = {
                "split_us": round(split / count * 1e6, 1),
                "ingest_us": round(ingest / count * 1e6, 1),
                "seal_index_us": round((ingest - split) / count * 1e6, 1),
            }
        svc.close()
    return costs


def hostile_inputs() -> dict[str, bytes]:
    deep = 10_000
    return {
        "entity bomb": BOMB.read_bytes(),
        "10,000 levels": (
            '<ClinicalDocument xmlns="urn:hl7-org:v3"><id root="1.2"/><component>'
            + "<section>" * deep
            + "</section>" * deep
            + "</component></ClinicalDocument>"
        ).encode(),
        "over the limit": b" " * (Settings().max_document_bytes + 1),
    }


def refusals(rounds: int) -> dict[str, float]:
    """Milliseconds (the slowest of ``rounds``) to refuse each hostile input."""
    costs: dict[str, float] = {}
    for name, data in hostile_inputs().items():
        slowest = 0.0
        for _ in range(rounds):
            start = time.perf_counter()
            try:
                split_document(data, PATIENT)
            except InvalidDocument:
                pass
            else:
                sys.exit(f"hostile input accepted: {name}")
            slowest = max(slowest, time.perf_counter() - start)
        costs[name] = round(slowest * 1e3, 2)
    return costs


def timed(run: Callable[[list[bytes]], None], docs: list[bytes]) -> float:
    start = time.perf_counter()
    run(docs)
    return time.perf_counter() - start


def clocked(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--section-rounds", type=int, default=5)
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
    costs = per_section(args.section_rounds)
    print(f"per section, one synthetic document ({args.section_rounds} rounds, median):")
    print(f"  {'sections':>8s} {'split':>10s} {'ingest':>10s} {'seal+index':>11s}  (us/section)")
    for count, cost in costs.items():
        print(
            f"  {int(count):8,d} {cost['split_us']:10.1f} {cost['ingest_us']:10.1f} "
            f"{cost['seal_index_us']:11.1f}"
        )
    growth = {k: costs["5000"][k] / costs["500"][k] for k in ("split_us", "ingest_us")}
    print(
        f"  per-section cost at 5,000 over 500: split {growth['split_us']:.2f}, "
        f"ingest {growth['ingest_us']:.2f} (1.00 is linear)"
    )
    refused = refusals(args.rounds)
    print(f"refusing hostile input ({args.rounds} rounds, slowest):")
    for name, ms in refused.items():
        verdict = "meets" if ms / 1e3 < REFUSAL_GOAL_S else "MISSES"
        print(f"  {name:15s} {ms:8.2f} ms  ({verdict} the goal of {REFUSAL_GOAL_S:.0f} s)")
    figures = {
        "refusal_ms": refused,
        "documents": len(docs),
        "raw_docs_per_s": round(len(docs) / raw, 1),
        "split_docs_per_s": round(len(docs) / split, 1),
        "ratio": round(ratio, 3),
        "per_section": costs,
    }
    print(json.dumps(figures, sort_keys=True))


if __name__ == "__main__":
    main()
