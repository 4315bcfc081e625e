"""Load the demo data into the running local stack: what `make run` shows.

* Jordan Sample (the demo CCD) is stored privately, nothing released;
* eight demo patients enter a year of home readings, one sitting every 15 days (blood
  pressure, heart rate, glucose, weight), and release their physical signs for research;
* one research release runs: de-identified, through the k-anonymity gate, to S3;
* Jordan also has a year of home readings (her charts), with pain, mood and minutes of
  activity besides;
* demo accounts: Jordan (patient), Dr Kim (doctor, with Jordan's blanket treatment
  grant), Dr Osei (a doctor without any grant), Nurse Lee, a researcher and an admin;
  passwords are printed (local demo only), and the clinicians and the admin come with
  two-step sign-in set up, their TOTP secrets printed beside the passwords.

Idempotent: running it again stores nothing twice and releases nothing twice.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import os
import random
import sys
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from phr_share.ccda import PatientHeader, parse_readings, readings_document
from phr_share.consent import Role
from phr_share.consent.totp import code_at, step_of
from phr_share.errors import InvalidState, PhrShareError
from phr_share.models import SegmentKind
from phr_share.settings import Settings
from phr_share.sharing import (
    OPERATOR,
    Account,
    IngestResult,
    Services,
    accept_care,
    choose_release,
    confirm_enrolment,
    create_user,
    find_account,
    grant_access,
    grants_of,
    ingest_batch,
    invite_clinician,
    open_services,
    run_release,
    start_enrolment,
)

DEMO = Path(__file__).with_name("demo-ccd.xml")
JORDAN = uuid.UUID("2f1f5c1e-8a7b-4c1e-9a51-6c0f2b7d9e10")
COHORT_NS = uuid.UUID("5d1c7e0a-3f3e-4f5e-9d8a-1c2b3a4d5e6f")
START = datetime(2025, 12, 1, 8, 30, tzinfo=UTC)  # the last sitting: 2026-11-11


def cohort() -> list[uuid.UUID]:
    """Eight fixed demo patients (ids only: the readings documents carry no names)."""
    return [uuid.uuid5(COHORT_NS, f"demo-patient-{n}") for n in range(1, 9)]


SITTINGS = 24  # a home reading every 15 days, for a year
TREATMENT_FROM = 8  # blood pressure comes down over the sittings after this one


MOODS = ("very-low", "low", "neutral", "good", "very-good")


def readings_for(patient: uuid.UUID, number: int, *, feelings: bool = False) -> list[bytes]:
    """A year of home readings for one demo patient: raised blood pressure that comes
    down after treatment starts, slow weight loss, day-to-day scatter (the same every run).
    With ``feelings``, each sitting also has pain (easing), mood (lifting) and minutes of
    activity (growing) as treatment takes effect.
    """
    header = PatientHeader(patient, birth_date=date(1961, 3, 1 + number), sex="F")
    scatter = random.Random(str(patient))  # noqa: S311  -- demo scatter, not a secret
    documents = []
    for sitting in range(SITTINGS):
        when = START + timedelta(days=15 * sitting, hours=number % 3)
        effect = min(max(sitting - TREATMENT_FROM, 0), 6) / 6  # 0 before, 1 when settled
        form = {
            "measured_at": when.isoformat(),
            "systolic": str(round(148 + number - 14 * effect + scatter.gauss(0, 3))),
            "diastolic": str(round(93 + number / 2 - 8 * effect + scatter.gauss(0, 2))),
            "heart_rate": str(round(74 + number - 3 * effect + scatter.gauss(0, 3))),
            "glucose": str(round(104 + 2 * number + scatter.gauss(0, 6))),
            "glucose_unit": "mg/dL",
            "weight": f"{78 + number * 0.8 - sitting * 0.12 + scatter.gauss(0, 0.3):.1f}",
            "weight_unit": "kg",
        }
        if feelings:
            form["pain"] = str(min(10, max(0, round(5 - 3 * effect + scatter.gauss(0, 1)))))
            form["mood"] = MOODS[min(4, max(0, round(1.5 + 2 * effect + scatter.gauss(0, 0.6))))]
            form["activity_minutes"] = str(max(0, round(15 + 25 * effect + scatter.gauss(0, 6))))
        readings = parse_readings(form, now=when)
        document_id = uuid.uuid5(patient, f"readings-{sitting}")
        documents.append(readings_document(readings, header, document_id))
    return documents


ACCOUNTS = [
    ("jordan", Role.PATIENT, "Jordan Sample"),
    ("dr.kim", Role.DOCTOR, "Dr Alex Kim"),
    ("dr.osei", Role.DOCTOR, "Dr Ama Osei"),
    ("nurse.lee", Role.NURSE, "Nurse Sam Lee"),
    ("researcher", Role.RESEARCHER, "Research Institute"),
    ("admin", Role.ADMIN, "Operator"),
]


def demo_password(username: str) -> str:
    """The local demo's password for an account (never use such passwords elsewhere)."""
    return f"demo-{username}-password"


def demo_totp_secret(username: str) -> str:
    """The local demo's TOTP secret of an account (base32; printed, so never secret)."""
    seed = hashlib.sha256(f"phr-share-demo-totp:{username}".encode()).digest()[:20]
    return base64.b32encode(seed).decode("ascii")


def _secret_first(secret: str) -> Callable[[int], bytes]:
    """Random bytes whose first draw is the demo secret (what set-up draws it from)."""
    drawn: list[int] = []

    def randbytes(size: int) -> bytes:
        if not drawn:
            drawn.append(size)
            return base64.b32decode(secret)[:size]
        return os.urandom(size)

    return randbytes


def set_up_demo_mfa(svc: Services, account: Account) -> Account:
    """The account with TOTP set up with its demo secret (once)."""
    if account.mfa:
        return account
    secret = demo_totp_secret(account.username)
    seeded = dataclasses.replace(svc, randbytes=_secret_first(secret))
    assert start_enrolment(seeded, account.principal).secret == secret
    confirm_enrolment(svc, account.principal, code_at(secret, step_of(svc.clock())))
    return find_account(svc, OPERATOR, user_id=account.id)


def demo_accounts(svc: Services) -> dict[str, Account]:
    """Create the demo accounts once, and Jordan's grant to Dr Kim."""
    accounts = {}
    for username, role, name in ACCOUNTS:
        try:
            accounts[username] = create_user(
                svc,
                OPERATOR,
                username,
                role,
                display_name=name,
                password=demo_password(username),
                patient_id=JORDAN if role is Role.PATIENT else None,
            )
        except InvalidState:  # made by an earlier run
            accounts[username] = find_account(svc, OPERATOR, username=username)
        if role in svc.settings.require_mfa_roles:
            accounts[username] = set_up_demo_mfa(svc, accounts[username])
    jordan, kim = accounts["jordan"].principal, accounts["dr.kim"]
    if not grants_of(svc, OPERATOR, JORDAN):
        accept_care(svc, kim.principal, invite_clinician(svc, jordan, kim.id))
        grant_access(svc, jordan, kim.id, None)
    return accounts


def main() -> int:
    settings = Settings.from_env()
    svc = open_services(settings)
    # Jordan's clinic record goes in last, so it heads "What is stored", newest first.
    items = [(document, JORDAN) for document in readings_for(JORDAN, 9, feelings=True)]
    items.append((DEMO.read_bytes(), JORDAN))
    for number, patient in enumerate(cohort(), start=1):
        choose_release(svc, OPERATOR, patient, {SegmentKind.PHYSICAL_SIGNS})
        items.extend((document, patient) for document in readings_for(patient, number))
    outcomes = ingest_batch(svc, OPERATOR, items)
    stored = sum(isinstance(o, IngestResult) and o.created for o in outcomes)
    failed = [o for o in outcomes if isinstance(o, PhrShareError)]
    print(f"demo documents: {len(items)}, newly stored {stored}, failed {len(failed)}")
    if failed:
        print(f"first failure: {failed[0].message}", file=sys.stderr)
        return 1
    report = run_release(svc, OPERATOR)
    if report.release_id is None:
        print("research release: nothing new to release")
    else:
        print(
            f"research release {report.release_id}: {report.segments_published} segments, "
            f"{report.records_in - report.records_suppressed} records, k={report.k_achieved}, "
            f"to s3://{settings.s3_bucket}/"
        )
    accounts = demo_accounts(svc)
    print("demo accounts (username / password / TOTP secret of the sign-in code):")
    for username, role, _ in ACCOUNTS:
        secret = demo_totp_secret(username) if accounts[username].mfa else ""
        print(f"  {role.value:<11} {username:<11} {demo_password(username):<26} {secret}")
    print("  a code: add the secret to an authenticator app, or run")
    print("  .venv/bin/python -c \"import pyotp; print(pyotp.TOTP('SECRET').now())\"")
    print("what to try in the browser:")
    print("  jordan      My data (a year of readings, pain and mood charted), Sharing, history")
    print("  dr.kim      My patients > Jordan Sample: what Jordan shares; write a note back")
    print(f"  dr.osei     no grant: /clinic/patients/{JORDAN} shares nothing; emergency")
    print("              access there opens it, audited and shown to Jordan")
    print("  researcher  the published release, as JSON lines or Parquet")
    print("  admin       health, the break-glass review queue, key rotation, staff accounts")
    print(f"Jordan Sample's segments: phr-share segments --patient {JORDAN}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
