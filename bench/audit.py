"""Appending to the audit log with its Merkle tree against the plain chain, and what the
tree's proofs cost once the log is long.

SQLite in a scratch directory, in-memory object stores (the heads are tiny objects; the
stores' own speed is measured by bench/ingest.py). In the same run, alternating rounds:

1. appends/s of the chain alone: each entry in its own transaction, hashed onto the one
   before, the head row updated (what every append did before the tree);
2. appends/s with the tree: the same, plus the entry's leaf hash, the frontier grown in
   the head row, and a tree head signed and written every ``--sign-every`` appends (the
   web app signs at most every 5 minutes; this signs far more often, so the figure errs
   on the slow side);
3. the log filled to ``--entries`` (100,000 by default), then: a patient's proof bundle
   (every leaf hash read, the tree built, one inclusion proof per entry, a head signed),
   and a full verification (chain, every leaf recomputed, every head checked).

The last line is one JSON object with the figures.

    python bench/audit.py [--appends N] [--rounds N] [--sign-every N] [--entries N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from phr_share.audit import GENESIS, Action, Entry, Outcome, entry_hash
from phr_share.consent import Principal, Role
from phr_share.crypto import LocalKeyStore
from phr_share.db import AuditEntry, AuditHead, Database
from phr_share.policy import load_routing_policy
from phr_share.settings import Settings
from phr_share.sharing import HeadSigner, Services, audit_proof, verify_audit
from phr_share.sharing.audit import record
from phr_share.storage import MemoryStore

OPERATOR = Principal("operator:bench", Role.ADMIN)
PATIENTS = [uuid.UUID(int=n, version=4) for n in range(1, 2001)]


def services(directory: Path, name: str) -> Services:
    """A fresh database and stores for one side of the comparison."""
    settings = Settings(state_dir=directory / name, database_url="", deid_secret=bytes(32))
    db = Database(settings.database)
    db.migrate()
    return Services(
        settings=settings,
        db=db,
        private=MemoryStore(),
        public=MemoryStore(),
        keystore=LocalKeyStore(settings.master_key_dir),
        routing=load_routing_policy(),
        deid_secret=bytes(32),
    )


def chain_only(svc: Services, session: Session, seq_patient: uuid.UUID) -> None:
    """An append as it was before the tree: the chain and its head row, nothing else."""
    head = session.scalar(select(AuditHead).where(AuditHead.id == 1).with_for_update())
    previous, seq = (head.hash, head.seq + 1) if head is not None else (GENESIS, 1)
    entry = Entry(seq, svc.clock(), Action.READ, "user:bench", Outcome.OK, str(seq_patient))
    digest = entry_hash(previous, entry)
    session.add(
        AuditEntry(
            seq=seq,
            at=entry.at,
            action=entry.action.value,
            actor=entry.actor,
            outcome=entry.outcome.value,
            patient_id=entry.patient_id,
            subject=None,
            details="{}",
            prev_hash=previous,
            hash=digest,
            leaf_hash="",
        )
    )
    if head is None:
        session.add(AuditHead(id=1, seq=seq, hash=digest, frontier=""))
    else:
        head.seq, head.hash = seq, digest
    session.flush()


def with_tree(svc: Services, session: Session, patient: uuid.UUID) -> None:
    """An append as the log makes it now."""
    record(svc, session, Action.READ, "user:bench", patient_id=patient)


def rate(svc: Services, appends: int, append: object, signer: HeadSigner | None) -> float:
    """Appends per second, each in its own transaction (as the use cases append)."""
    started = time.perf_counter()
    for n in range(appends):
        with svc.db.session() as session:
            append(svc, session, PATIENTS[n % len(PATIENTS)])  # type: ignore[operator]
        if signer is not None:
            signer.tick()
    return appends / (time.perf_counter() - started)


def fill(svc: Services, entries: int) -> None:
    """Grow the log to ``entries`` through the real append, a thousand per transaction."""
    with svc.db.session() as session:
        head = session.get(AuditHead, 1)
        have = 0 if head is None else head.seq
    for start in range(have, entries, 1000):
        with svc.db.session() as session:
            for n in range(start, min(start + 1000, entries)):
                with_tree(svc, session, PATIENTS[n % len(PATIENTS)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--appends", type=int, default=2000, help="appends per round and side")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sign-every", type=int, default=500)
    parser.add_argument("--entries", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="phr-bench-audit-") as scratch:
        plain, tree = services(Path(scratch), "plain"), services(Path(scratch), "tree")
        # The signer's clock moves one interval every --sign-every appends.
        ticks = [datetime(2026, 12, 1, tzinfo=UTC)]
        step = timedelta(seconds=300 / args.sign_every)

        def clock() -> datetime:
            ticks[0] += step
            return ticks[0]

        signer = HeadSigner(tree, timedelta(seconds=300), clock=clock)
        rate(plain, 200, chain_only, None)  # warm both up first: caches, files, the key
        rate(tree, 200, with_tree, signer)
        chain_rates, tree_rates = [], []
        for _ in range(args.rounds):
            chain_rates.append(rate(plain, args.appends, chain_only, None))
            tree_rates.append(rate(tree, args.appends, with_tree, signer))
        chain, with_heads = statistics.median(chain_rates), statistics.median(tree_rates)
        signed = len(tree.private.list(tree.settings.audit_container))
        print(f"chain alone:                {chain:8.0f} appends/s (median of {args.rounds})")
        print(f"chain + tree + tree heads:  {with_heads:8.0f} appends/s ({signed} heads signed)")
        print(f"ratio:                      {with_heads / chain:8.2f}")

        started = time.perf_counter()
        fill(tree, args.entries)
        filled = time.perf_counter() - started
        print(f"log filled to {args.entries} entries in {filled:.1f} s")
        patient = PATIENTS[7]
        started = time.perf_counter()
        bundle = audit_proof(tree, OPERATOR, patient)
        proof_ms = (time.perf_counter() - started) * 1000
        print(
            f"a patient's proof bundle ({len(bundle['entries'])} entries, "
            f"log of {bundle['tree_head']['size']}): {proof_ms:.0f} ms"
        )
        started = time.perf_counter()
        report = verify_audit(tree, OPERATOR)
        verify_s = time.perf_counter() - started
        assert report.ok, report
        print(
            f"full verification ({report.entries} entries, {report.signed_heads} heads): "
            f"{verify_s:.1f} s"
        )
        for svc in (plain, tree):
            svc.close()
    print(
        json.dumps(
            {
                "appends_per_s_chain": round(chain),
                "appends_per_s_tree": round(with_heads),
                "ratio": round(with_heads / chain, 3),
                "entries": args.entries,
                "proof_bundle_ms": round(proof_ms),
                "verify_s": round(verify_s, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
