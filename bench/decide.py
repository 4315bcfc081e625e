"""The decision point under load: decisions per second, and a doctor's read of an
authorised record against the local stack with 10,000 patients in the database.

Starts its own local stack (real Swift all-in-one, moto S3) and a SQLite database in a
scratch directory, then:

1. sets up 10,000 patient accounts, 50 doctors each caring for 200 of them (an active
   grant, plus a revoked and an expired one as history), and stores a real document for
   a sample of patients;
2. pure decisions per second (``decide`` with facts in memory), and decisions per second
   with the facts loaded from the database (``authorize``);
3. latency of ``read_segment`` by a doctor (decide + audit + Swift GET + decrypt + hash)
   against a raw Swift GET of the same objects, measured in the same run.

Goal: p95 of the doctor's read under 50 ms.

    python bench/decide.py [--patients N] [--stored N] [--reads N]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

from phr_share import stack
from phr_share.consent import GrantStatus, Principal, Purpose, Request, Role, decide
from phr_share.db import CareRelationship, Grant, Patient, User
from phr_share.models import SegmentKind as K
from phr_share.settings import Settings
from phr_share.sharing import (
    OPERATOR,
    Services,
    current_segments,
    ingest_batch,
    open_services,
    read_segment,
)
from phr_share.sharing.access import authorize, load_facts

GOAL_P95_MS = 50.0
DEMO = Path(__file__).resolve().parents[1] / "deploy" / "demo" / "demo-ccd.xml"
DOCTORS = 50


def populate(svc: Services, patients: int) -> tuple[list[uuid.UUID], dict[uuid.UUID, uuid.UUID]]:
    """Bulk-create patients, doctors and grants; returns doctors and each patient's doctor."""
    rng = random.Random(7)
    now = svc.clock()
    doctors = [uuid.UUID(int=rng.getrandbits(128), version=4) for _ in range(DOCTORS)]
    patient_ids = [uuid.UUID(int=rng.getrandbits(128), version=4) for _ in range(patients)]
    carer = {p: doctors[i % DOCTORS] for i, p in enumerate(patient_ids)}
    with svc.db.session() as session:
        for i, doctor in enumerate(doctors):
            session.add(
                User(
                    id=doctor,
                    username=f"doctor{i}",
                    role=Role.DOCTOR.value,
                    display_name=f"Doctor {i}",
                    active=True,
                    created_at=now,
                )
            )
        session.flush()
        session.add_all(Patient(id=patient, created_at=now) for patient in patient_ids)
        session.flush()
        for i, patient in enumerate(patient_ids):
            session.add(
                User(
                    id=uuid.UUID(int=rng.getrandbits(128), version=4),
                    username=f"patient{i}",
                    role=Role.PATIENT.value,
                    display_name="-",
                    patient_id=patient,
                    active=True,
                    created_at=now,
                )
            )
        session.flush()
        for patient, doctor in carer.items():
            session.add(
                CareRelationship(
                    patient_id=patient,
                    clinician_id=doctor,
                    status="active",
                    initiated_by="patient",
                    created_at=now,
                    accepted_at=now,
                )
            )
            for status, until in [
                (GrantStatus.REVOKED, None),
                (GrantStatus.ACTIVE, now - timedelta(days=1)),
                (GrantStatus.ACTIVE, now + timedelta(days=365)),
            ]:
                session.add(
                    Grant(
                        patient_id=patient,
                        grantee_id=doctor,
                        purpose=Purpose.TREATMENT.value,
                        kinds="*",
                        except_kinds="",
                        valid_from=now - timedelta(days=30),
                        valid_until=until,
                        status=status.value,
                        created_at=now,
                    )
                )
    return doctors, carer


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--stored", type=int, default=40, help="patients with a stored document")
    parser.add_argument("--reads", type=int, default=600)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="phr-bench-") as scratch:
        state = Path(scratch)
        info = stack.up(state)
        try:
            settings = Settings.from_env({**info.env, "PHR_STATE_DIR": scratch})
            run(open_services(settings), args)
        finally:
            stack.down(state)


def run(svc: Services, args: argparse.Namespace) -> None:
    start = time.perf_counter()
    doctors, carer = populate(svc, args.patients)
    patients = list(carer)
    stored = random.Random(11).sample(patients, args.stored)
    outcomes = ingest_batch(svc, OPERATOR, [(DEMO.read_bytes(), p) for p in stored])
    assert not [o for o in outcomes if isinstance(o, Exception)]
    print(
        f"set-up: {args.patients} patients, {DOCTORS} doctors, {3 * args.patients} grants, "
        f"{len(stored)} stored documents in {time.perf_counter() - start:.1f} s"
    )

    rng = random.Random(3)
    now = svc.clock()
    with svc.db.session() as session:
        facts = {p: load_facts(session, p, _principal(carer[p])) for p in patients[:2000]}
    requests = []
    for _ in range(50_000):
        patient = rng.choice(list(facts))
        doctor = carer[patient] if rng.random() < 0.8 else rng.choice(doctors)
        kind = rng.choice(list(K))
        requests.append(
            (Request(_principal(doctor), patient, kind, Purpose.TREATMENT, now), patient)
        )
    t0 = time.perf_counter()
    permits = sum(decide(r, facts[p]).permit for r, p in requests)
    pure = len(requests) / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    checked = 2000
    for _ in range(checked):
        patient = patients[rng.randrange(len(patients))]
        with svc.db.session() as session:
            authorize(session, _principal(carer[patient]), patient, list(K), Purpose.TREATMENT, now)
    db_rate = checked * len(K) / (time.perf_counter() - t0)
    print(f"decide (facts in memory):   {pure:10.0f} decisions/s ({permits} permits)")
    print(
        f"authorize (facts from db):  {db_rate:10.0f} decisions/s "
        f"({checked} look-ups x {len(K)} kinds)"
    )

    targets = [
        (carer[p], r)
        for p in stored
        for r in current_segments(svc, OPERATOR, p)
        if r.kind not in {K.PERSONAL, K.FAMILY_HISTORY, K.PATIENT_NARRATIVE}
    ]
    sample = [rng.choice(targets) for _ in range(args.reads)]
    raw, full = [], []
    for doctor, record in sample:
        t0 = time.perf_counter()
        svc.private.get(record.container, record.object_name)
        raw.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        read_segment(svc, _principal(doctor), record)
        full.append((time.perf_counter() - t0) * 1000)
    p95 = percentile(full, 0.95)
    print(
        f"raw Swift GET:          p50 {statistics.median(raw):6.2f} ms  "
        f"p95 {percentile(raw, 0.95):6.2f} ms"
    )
    print(
        f"doctor read_segment:    p50 {statistics.median(full):6.2f} ms  p95 {p95:6.2f} ms  "
        f"p99 {percentile(full, 0.99):6.2f} ms  ({args.reads} reads)"
    )
    print(f"ratio p95 read / p95 raw GET: {p95 / percentile(raw, 0.95):.2f}")
    print(f"goal p95 < {GOAL_P95_MS:.0f} ms: {'met' if p95 < GOAL_P95_MS else 'MISSED'}")
    print(
        json.dumps(
            {
                "patients": args.patients,
                "decisions_per_s_memory": round(pure),
                "decisions_per_s_db": round(db_rate),
                "raw_get_p95_ms": round(percentile(raw, 0.95), 2),
                "read_p50_ms": round(statistics.median(full), 2),
                "read_p95_ms": round(p95, 2),
                "ratio_p95_read_raw": round(p95 / percentile(raw, 0.95), 2),
                "read_p95_goal_met": p95 < GOAL_P95_MS,
            }
        )
    )


def _principal(user: uuid.UUID) -> Principal:
    return Principal.of_user(user, Role.DOCTOR)


if __name__ == "__main__":
    main()
