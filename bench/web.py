"""Concurrent signed-in doctors reading patient records through the web app.

Starts its own local stack (real Swift all-in-one, moto S3), creates doctors each holding
a grant to a few patients with a stored record, then serves the app as ``phr-share web
--workers N`` does, in its own processes on loopback, once for each N asked (1: waitress
in one process; more: gunicorn workers), and lets every doctor read record pages in a
loop for a bounded time. The doctors sign in once: their sessions, in the database, hold
for every server. A record page decides, reads (Swift GET + decrypt), audits and renders
every permitted segment. Prints requests/s, p50/p95 latency and the error count (which
must be 0) for each N and the ratio of each to 1 worker's requests/s, next to the same
reads done straight through the library in the same run (what the web layer adds).

    python bench/web.py [--doctors N] [--seconds S] [--workers 1,2]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import statistics
import subprocess
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


def sign_in(base: str, username: str) -> requests.Session:
    """A browser session of the doctor, signed in with password and code."""
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
    return session


def doctor_loop(
    base: str,
    session: requests.Session,
    patients: list[uuid.UUID],
    until: float,
    out: list[tuple[float, int]],
) -> None:
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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Served:
    """``phr-share web --workers N`` in a process of its own, stopped with SIGTERM."""

    def __init__(self, env: dict[str, str], workers: int, log: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "phr_share.cli", "web"]
        command += ["--workers", str(workers), "--port", str(self.port)]
        self.log = log.open("wb")
        self.process = subprocess.Popen(  # noqa: S603 - argv is built here
            command, env={**os.environ, **env}, stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"phr-share web --workers {workers} stopped:\n{log.read_text()}")
            try:
                if requests.get(f"{self.base}/login", timeout=5).status_code == 200:
                    # One answer may come before every worker is up: let them start too.
                    time.sleep(2 if workers > 1 else 0)
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        self.stop()
        sys.exit(f"phr-share web --workers {workers} did not answer within 90 s")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.log.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--doctors", type=int, default=8)
    parser.add_argument("--patients-per-doctor", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument(
        "--workers",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[1, 2],
        help="the web processes of each run, comma-separated (the first is the baseline)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="phr-bench-") as scratch:
        info = stack.up(Path(scratch))
        try:
            # requests, unlike a browser, sends no Secure cookie over http://localhost.
            env = {**info.env, "PHR_STATE_DIR": scratch, "PHR_WEB_SECURE_COOKIES": "false"}
            settings = Settings.from_env(env)
            svc = open_services(settings)
            run(svc, env, args)
        finally:
            stack.down(Path(scratch))


def measure(
    base: str, sessions: dict[str, requests.Session], mine: dict[str, list[uuid.UUID]], s: float
) -> tuple[list[tuple[float, int]], float]:
    """Every doctor reading in a loop for ``s`` seconds: (latency ms, status) and the time."""
    results: list[list[tuple[float, int]]] = [[] for _ in mine]
    until = time.monotonic() + s
    threads = [
        threading.Thread(
            target=doctor_loop, args=(base, sessions[name], patients, until, results[i])
        )
        for i, (name, patients) in enumerate(mine.items())
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [r for rs in results for r in rs], time.monotonic() - started


def figures(samples: list[tuple[float, int]], elapsed: float) -> dict[str, float | int]:
    latencies = sorted(ms for ms, _ in samples)
    return {
        "requests": len(samples),
        "requests_per_s": round(len(samples) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))], 1),
        "errors": sum(1 for _, status in samples if status != 200),
    }


def run(svc: Services, env: dict[str, str], args: argparse.Namespace) -> None:
    mine = populate(svc, args.doctors, args.patients_per_doctor)
    # Baseline: the same record reads straight through the library, one thread.
    baseline = []
    for username, patients in list(mine.items())[:2]:
        doctor = find_account(svc, OPERATOR, username=username).principal
        for patient in patients:
            start = time.perf_counter()
            read_sections(svc, doctor, patient)
            baseline.append((time.perf_counter() - start) * 1000)
    library_p50 = statistics.median(baseline)
    sessions: dict[str, requests.Session] = {}
    runs: dict[int, dict[str, float | int]] = {}
    for workers in args.workers:
        served = Served(env, workers, Path(env["PHR_STATE_DIR"]) / f"web-{workers}.log")
        try:
            for name in mine:
                if name not in sessions:
                    sessions[name] = sign_in(served.base, name)
            samples, elapsed = measure(served.base, sessions, mine, args.seconds)
        finally:
            served.stop()
        runs[workers] = figures(samples, elapsed)
        print(f"{workers} worker(s): {len(samples)} record pages in {elapsed:.1f} s")
    first = runs[args.workers[0]]
    print(f"{args.doctors} doctors reading record pages (2 cores)")
    for workers, run_figures in runs.items():
        ratio = run_figures["requests_per_s"] / first["requests_per_s"]
        print(
            f"{workers} worker(s): {run_figures['requests_per_s']:7.1f} requests/s   "
            f"p50 {run_figures['p50_ms']:7.1f} ms   p95 {run_figures['p95_ms']:7.1f} ms   "
            f"x{ratio:.2f}   errors {run_figures['errors']}"
        )
    print(f"library read: p50 {library_p50:7.1f} ms (same page's reads, no web)")
    errors = sum(int(f["errors"]) for f in runs.values())
    print(
        json.dumps(
            {
                "doctors": args.doctors,
                "requests": first["requests"],
                "requests_per_s": first["requests_per_s"],
                "p50_ms": first["p50_ms"],
                "p95_ms": first["p95_ms"],
                "library_p50_ms": round(library_p50, 1),
                "ratio_p50_web_library": round(float(first["p50_ms"]) / library_p50, 2),
                "errors": errors,
                "workers": {str(n): f for n, f in runs.items()},
                "ratio_requests_per_s_to_first": {
                    str(n): round(f["requests_per_s"] / first["requests_per_s"], 2)
                    for n, f in runs.items()
                },
            }
        )
    )
    if errors:
        sys.exit(1)


if __name__ == "__main__":
    main()
