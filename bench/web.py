"""Concurrent signed-in doctors reading patient records through the web app.

Starts its own local stack (real Swift all-in-one, moto S3), serves the app on loopback
(waitress, the server ``phr-share web`` uses), creates doctors each holding a grant to
a few patients with a stored record, then lets every doctor read record pages in a loop
for a bounded time. A record page decides, reads (Swift GET + decrypt), audits and
renders every permitted segment. Prints requests/s, p50/p95 latency and the error count
(which must be 0), next to the same reads done straight through the library in the same
run (the baseline: what the web layer adds).

    python bench/web.py [--doctors N] [--seconds S]
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import requests

from phr_share import stack
from phr_share.consent import Role
from phr_share.consent.totp import code_at, step_of
from phr_share.settings import Settings
from phr_share.sharing import (
    OPERATOR,
    Services,
    accept_care,
    confirm_enrolment,
    create_user,
    find_account,
    grant_access,
    ingest_document,
    invite_clinician,
    open_services,
    read_sections,
    start_enrolment,
)
from phr_share.web import create_app
from phr_share.web.serve import Server

DEMO = Path(__file__).resolve().parents[1] / "deploy" / "demo" / "demo-ccd.xml"
PASSWORD = "bench-password-123"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
# The doctors' TOTP secrets: they sign in with a code after the password.
SECRETS: dict[str, str] = {}


def populate(svc: Services, doctors: int, per_doctor: int) -> dict[str, list[uuid.UUID]]:
    """Doctors ``doctorN``, each with a blanket grant on ``per_doctor`` stored patients."""
    mine: dict[str, list[uuid.UUID]] = {}
    document = DEMO.read_bytes()
    for d in range(doctors):
        doctor = create_user(svc, OPERATOR, f"doctor{d}", Role.DOCTOR, password=PASSWORD)
        secret = start_enrolment(svc, doctor.principal).secret
        confirm_enrolment(svc, doctor.principal, code_at(secret, step_of(svc.clock())))
        SECRETS[doctor.username] = secret
        mine[doctor.username] = []
        for p in range(per_doctor):
            patient = create_user(svc, OPERATOR, f"patient{d}-{p}", Role.PATIENT)
            assert patient.patient_id is not None
            ingest_document(svc, OPERATOR, document, patient.patient_id)
            invitation = invite_clinician(svc, patient.principal, doctor.id)
            accept_care(svc, doctor.principal, invitation)
            grant_access(svc, patient.principal, doctor.id, None)
            mine[doctor.username].append(patient.patient_id)
    return mine


def doctor_loop(
    base: str, username: str, patients: list[uuid.UUID], until: float, out: list[tuple[float, int]]
) -> None:
    session = requests.Session()
    token = CSRF.search(session.get(f"{base}/login", timeout=30).text)
    assert token is not None
    session.post(
        f"{base}/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)},
        timeout=30,
    )
    token = CSRF.search(session.get(f"{base}/login/code", timeout=30).text)
    assert token is not None
    code = code_at(SECRETS[username], step_of(datetime.now(UTC)) + 1)  # set-up used now's
    session.post(
        f"{base}/login/code", data={"code": code, "csrf_token": token.group(1)}, timeout=30
    )
    n = 0
    while time.monotonic() < until:
        patient = patients[n % len(patients)]
        n += 1
        start = time.perf_counter()
        try:
            response = session.get(f"{base}/clinic/patients/{patient}", timeout=30)
            status = response.status_code if "Shared with you" in response.text else 599
        except requests.RequestException:
            status = 598
        out.append(((time.perf_counter() - start) * 1000, status))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--doctors", type=int, default=8)
    parser.add_argument("--patients-per-doctor", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="phr-bench-") as scratch:
        info = stack.up(Path(scratch))
        try:
            # requests, unlike a browser, sends no Secure cookie over http://localhost.
            env = {**info.env, "PHR_STATE_DIR": scratch, "PHR_WEB_SECURE_COOKIES": "false"}
            settings = Settings.from_env(env)
            svc = open_services(settings)
            run(svc, settings, args)
        finally:
            stack.down(Path(scratch))


def run(svc: Services, settings: Settings, args: argparse.Namespace) -> None:
    mine = populate(svc, args.doctors, args.patients_per_doctor)
    # Baseline: the same record reads straight through the library, one thread.
    baseline = []
    for username, patients in list(mine.items())[:2]:
        doctor = find_account(svc, OPERATOR, username=username).principal
        for patient in patients:
            start = time.perf_counter()
            read_sections(svc, doctor, patient)
            baseline.append((time.perf_counter() - start) * 1000)
    # All 8 request threads busy is the point of the bench: waitress's notice is noise here.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    server = Server(create_app(settings, svc))  # what `phr-share web` serves with
    threading.Thread(target=server.run, daemon=True).start()
    base = server.url
    results: list[list[tuple[float, int]]] = [[] for _ in mine]
    until = time.monotonic() + args.seconds
    threads = [
        threading.Thread(target=doctor_loop, args=(base, name, patients, until, results[i]))
        for i, (name, patients) in enumerate(mine.items())
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    server.close()
    samples = [r for rs in results for r in rs]
    latencies = sorted(ms for ms, _ in samples)
    errors = sum(1 for _, status in samples if status != 200)
    p95 = latencies[int(0.95 * (len(latencies) - 1))]
    print(f"{args.doctors} doctors, {len(samples)} record pages in {elapsed:.1f} s (2 cores)")
    print(f"requests/s:   {len(samples) / elapsed:8.1f}")
    print(f"latency:      p50 {statistics.median(latencies):7.1f} ms   p95 {p95:7.1f} ms")
    print(f"library read: p50 {statistics.median(baseline):7.1f} ms (same page's reads, no web)")
    print(f"errors:       {errors}")
    print(
        json.dumps(
            {
                "doctors": args.doctors,
                "requests": len(samples),
                "requests_per_s": round(len(samples) / elapsed, 1),
                "p50_ms": round(statistics.median(latencies), 1),
                "p95_ms": round(p95, 1),
                "library_p50_ms": round(statistics.median(baseline), 1),
                "ratio_p50_web_library": round(
                    statistics.median(latencies) / statistics.median(baseline), 2
                ),
                "errors": errors,
            }
        )
    )
    if errors:
        sys.exit(1)


if __name__ == "__main__":
    main()
