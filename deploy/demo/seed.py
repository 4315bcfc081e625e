"""Load the demo data into the running local stack: what `make run` shows.

* Jordan Sample (the demo CCD) is stored privately, nothing released;
* eight demo patients enter a year of home readings, one sitting every 30 days (blood
  pressure, heart rate, glucose, weight), and release their physical signs for research;
* one research release runs: de-identified, through the k-anonymity gate, to S3;
* Jordan has worn a glucose sensor for the last two weeks (a reading every 5 minutes),
  so My data draws her glucose profile by time of day and time in range;
* Jordan also has three years of home readings, twice a day (her charts, and the scale
  of a record lived with for years): blood pressure and heart rate at every sitting,
  glucose in the evenings, weight on Monday mornings, and on the first Sunday evening of
  each month pain, mood and minutes of activity;
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
import math
import multiprocessing
import os
import random
import sys
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from lxml import etree

from phr_share.ccda import PatientHeader, parse_readings, readings_document
from phr_share.consent import Role
from phr_share.consent.totp import code_at, step_of
from phr_share.errors import InvalidState, PhrShareError
from phr_share.models import SegmentKind
from phr_share.settings import Settings
from phr_share.sharing import (
    CAREGIVER_KINDS,
    OPERATOR,
    Account,
    IngestResult,
    Services,
    accept_care,
    caregivers_of,
    choose_release,
    confirm_enrolment,
    create_user,
    find_account,
    grant_access,
    grants_of,
    ingest_batch,
    invite_caregiver,
    invite_clinician,
    open_services,
    run_release,
    set_email,
    start_enrolment,
)

DEMO = Path(__file__).with_name("demo-ccd.xml")
JORDAN = uuid.UUID("2f1f5c1e-8a7b-4c1e-9a51-6c0f2b7d9e10")
COHORT_NS = uuid.UUID("5d1c7e0a-3f3e-4f5e-9d8a-1c2b3a4d5e6f")
START = datetime(2025, 12, 1, 8, 30, tzinfo=UTC)  # the last sitting: 2026-10-27


def cohort() -> list[uuid.UUID]:
    """Eight fixed demo patients (ids only: the readings documents carry no names)."""
    return [uuid.uuid5(COHORT_NS, f"demo-patient-{n}") for n in range(1, 9)]


SITTINGS = 12  # a home reading every 30 days, for a year
TREATMENT_FROM = 4  # blood pressure comes down over the sittings after this one


MOODS = ("very-low", "low", "neutral", "good", "very-good")


def readings_for(patient: uuid.UUID, number: int) -> list[bytes]:
    """A year of home readings for one demo patient: raised blood pressure that comes
    down after treatment starts, slow weight loss, day-to-day scatter (the same every run).
    """
    header = PatientHeader(patient, birth_date=date(1961, 3, 1 + number), sex="F")
    scatter = random.Random(str(patient))  # noqa: S311  -- demo scatter, not a secret
    documents = []
    for sitting in range(SITTINGS):
        when = START + timedelta(days=30 * sitting, hours=number % 3)
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
        readings = parse_readings(form, now=when)
        document_id = uuid.uuid5(patient, f"readings-{sitting}")
        documents.append(readings_document(readings, header, document_id))
    return documents


# Jordan's own readings: twice a day for the three years up to yesterday. Each sitting is
# made from its date alone, so a later run adds the days since and changes none before.
DAILY_DAYS = 3 * 365
TREATED_FROM = date(2024, 7, 1)  # her blood pressure comes down over the months after


def daily_readings(patient: uuid.UUID, today: date) -> list[bytes]:
    """Jordan's home readings, twice a day for the DAILY_DAYS days before ``today``:
    raised blood pressure that comes down after treatment starts, glucose that settles,
    a slow weight loss, and on the first Sunday of each month her pain (easing), mood
    (lifting) and minutes of activity."""
    header = PatientHeader(patient, birth_date=date(1961, 3, 10), sex="F")
    documents = []
    for back in range(DAILY_DAYS, 0, -1):
        day = today - timedelta(days=back)
        effect = min(max((day - TREATED_FROM).days, 0), 120) / 120
        for evening in (False, True):
            documents.append(_sitting(patient, header, day, evening, effect))
    return documents


def _sitting(
    patient: uuid.UUID, header: PatientHeader, day: date, evening: bool, effect: float
) -> bytes:
    scatter = random.Random(f"{patient}-{day}-{evening}")  # noqa: S311  -- demo scatter
    when = datetime(day.year, day.month, day.day, 20 if evening else 7, 15, tzinfo=UTC)
    form = {
        "measured_at": when.isoformat(),
        "systolic": str(round(152 - 16 * effect + 4 * evening + scatter.gauss(0, 6))),
        "diastolic": str(round(95 - 9 * effect + 2 * evening + scatter.gauss(0, 4))),
        "heart_rate": str(round(76 - 4 * effect + scatter.gauss(0, 4))),
    }
    if evening:
        form["glucose"] = str(round(150 - 30 * effect + scatter.gauss(0, 18)))
    elif day.weekday() == 0:
        weight = 86 - 6 * min((day - TREATED_FROM).days, 900) / 900 * effect
        form["weight"] = f"{weight + scatter.gauss(0, 0.4):.1f}"
    if evening and day.weekday() == 6 and day.day <= 7:
        form["pain"] = str(min(10, max(0, round(5 - 3 * effect + scatter.gauss(0, 1)))))
        form["mood"] = MOODS[min(4, max(0, round(1.5 + 2 * effect + scatter.gauss(0, 0.6))))]
        form["activity_minutes"] = str(max(0, round(60 + 120 * effect + scatter.gauss(0, 20))))
    readings = parse_readings(form, now=when)
    document_id = uuid.uuid5(patient, f"daily-{day.isoformat()}-{int(evening)}")
    return readings_document(readings, header, document_id)


# Jordan has worn a glucose sensor for the last two weeks: a reading every five minutes,
# one document a day, each made from its date alone (a later run adds the days since).
SENSOR_DAYS = 14
_V3 = "{urn:hl7-org:v3}"
_XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
LOINC = "2.16.840.1.113883.6.1"
MEALS = ((7.5, 70), (12.5, 75), (19.0, 110))  # (hour, rise in mg/dL), in UTC


def sensor_days(patient: uuid.UUID, today: date) -> list[bytes]:
    """Jordan's sensor glucose for the SENSOR_DAYS days before ``today``: lowest at
    night, a rise after each meal, higher after supper, some noise."""
    header = PatientHeader(patient, birth_date=date(1961, 3, 10), sex="F")
    return [
        _sensor_day(patient, header, today - timedelta(days=back))
        for back in range(SENSOR_DAYS, 0, -1)
    ]


def _sensor_day(patient: uuid.UUID, header: PatientHeader, day: date) -> bytes:
    scatter = random.Random(f"{patient}-{day}-sensor")  # noqa: S311  -- demo scatter
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
    sitting = parse_readings({"glucose": "100"}, now=midnight)
    document_id = uuid.uuid5(patient, f"sensor-{day.isoformat()}")
    root = etree.fromstring(readings_document(sitting, header, document_id))
    section = root.find(f".//{_V3}section")
    assert section is not None
    for entry in section.findall(f"{_V3}entry"):
        section.remove(entry)
    for n in range(24 * 12):
        at = midnight + timedelta(minutes=5 * n)
        hour = at.hour + at.minute / 60
        meals = sum(peak * math.exp(-(((hour - meal) / 1.3) ** 2)) for meal, peak in MEALS)
        value = min(400.0, max(40.0, 108 + meals + scatter.gauss(0, 14)))
        observation = etree.SubElement(
            etree.SubElement(section, f"{_V3}entry", typeCode="DRIV"),
            f"{_V3}observation",
            classCode="OBS",
            moodCode="EVN",
        )
        etree.SubElement(observation, f"{_V3}id", root=str(uuid.uuid5(document_id, str(n))))
        etree.SubElement(observation, f"{_V3}code", code="99504-3", codeSystem=LOINC)
        etree.SubElement(observation, f"{_V3}statusCode", code="completed")
        etree.SubElement(observation, f"{_V3}effectiveTime", value=at.strftime("%Y%m%d%H%M%S+0000"))
        quantity = {_XSI_TYPE: "PQ", "value": f"{value:.0f}", "unit": "mg/dL"}
        etree.SubElement(observation, f"{_V3}value", quantity)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


ACCOUNTS = [
    ("jordan", Role.PATIENT, "Jordan Sample"),
    ("dr.kim", Role.DOCTOR, "Dr Alex Kim"),
    ("dr.osei", Role.DOCTOR, "Dr Ama Osei"),
    ("nurse.lee", Role.NURSE, "Nurse Sam Lee"),
    ("robin", Role.CAREGIVER, "Robin Sample"),
    ("researcher", Role.RESEARCHER, "Research Institute"),
    ("admin", Role.ADMIN, "Operator"),
]


def demo_password(username: str) -> str:
    """The local demo's password for an account (never use such passwords elsewhere)."""
    return f"demo-{username}-password"


def demo_email(username: str) -> str:
    """The local demo's e-mail address of an account (a reserved domain: never delivered
    anywhere but the local stack's SMTP server)."""
    return f"{username.rsplit('.', 1)[-1]}@demo.phr.invalid"


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
    """Create the demo accounts once, Jordan's grant to Dr Kim, and Robin (Jordan's
    daughter) following Jordan's vital signs and body measures."""
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
                email=demo_email(username),
            )
        except InvalidState:  # made by an earlier run
            accounts[username] = find_account(svc, OPERATOR, username=username)
            if accounts[username].email is None:  # made before accounts had addresses
                found = accounts[username]
                accounts[username] = set_email(svc, found.principal, demo_email(username))
        if role in svc.settings.require_mfa_roles:
            accounts[username] = set_up_demo_mfa(svc, accounts[username])
    jordan, kim = accounts["jordan"].principal, accounts["dr.kim"]
    if not grants_of(svc, OPERATOR, JORDAN):
        accept_care(svc, kim.principal, invite_clinician(svc, jordan, kim.id))
        grant_access(svc, jordan, kim.id, None)
    if not caregivers_of(svc, jordan):
        invite_caregiver(svc, jordan, "robin", CAREGIVER_KINDS[:2])
    return accounts


def _store_part(documents: list[bytes]) -> tuple[int, list[str]]:
    """Store some of Jordan's sittings in a process of its own: how many were new, and
    the message of each that failed."""
    svc = open_services(Settings.from_env())
    try:
        outcomes = ingest_batch(svc, OPERATOR, [(d, JORDAN) for d in documents])
    finally:
        svc.close()
    created = sum(isinstance(o, IngestResult) and o.created for o in outcomes)
    return created, [o.message for o in outcomes if isinstance(o, PhrShareError)]


def store_daily(documents: list[bytes], today: date) -> tuple[int, list[str]]:
    """Jordan's sittings (``daily_readings(JORDAN, today)``) on every core: her record and
    key are made by the first sitting, then each process takes a run of whole months, so
    no two write the same month of her series at once."""
    first, failed = _store_part(documents[:1])
    workers = min(2, os.cpu_count() or 1)
    if workers == 1:
        created, more = _store_part(documents[1:])
        return first + created, failed + more
    start = today - timedelta(days=DAILY_DAYS)
    middle = start + timedelta(days=DAILY_DAYS // 2)
    cut = 2 * (middle.replace(day=1) - start).days  # two sittings a day, in date order
    parts = [documents[1:cut], documents[cut:]]
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        done = list(pool.map(_store_part, parts))
    return first + sum(c for c, _ in done), failed + [m for _, ms in done for m in ms]


def main() -> int:
    settings = Settings.from_env()
    svc = open_services(settings)
    today = datetime.now(UTC).date()
    began = time.monotonic()
    created, failures = store_daily(daily_readings(JORDAN, today), today)
    print(
        f"Jordan's sittings: {DAILY_DAYS * 2}, newly stored {created}, failed {len(failures)} "
        f"({time.monotonic() - began:.0f} s)"
    )
    if failures:
        print(f"first failure: {failures[0]}", file=sys.stderr)
        return 1
    # Jordan's clinic record goes in last, so it heads "What is stored", newest first.
    items = [(document, JORDAN) for document in sensor_days(JORDAN, today)]
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
    print("demo accounts (username / password / e-mail / TOTP secret of the sign-in code):")
    for username, role, _ in ACCOUNTS:
        secret = demo_totp_secret(username) if accounts[username].mfa else ""
        line = f"{username:<11} {demo_password(username):<26} {demo_email(username):<28}"
        print(f"  {role.value:<11} {line} {secret}")
    print("  a code: add the secret to an authenticator app, or run")
    print("  .venv/bin/python -c \"import pyotp; print(pyotp.TOTP('SECRET').now())\"")
    print("what to try in the browser:")
    print("  jordan      My data (three years of readings: charts, summary, the table; two weeks")
    print("              of sensor glucose: its profile by time of day, time in range), Sharing")
    print("  dr.kim      My patients > Jordan Sample: what Jordan shares; write a note back")
    print(f"  dr.osei     no grant: /clinic/patients/{JORDAN} shares nothing; emergency")
    print("              access there opens it, audited and shown to Jordan")
    print("  researcher  the published release, as JSON lines or Parquet")
    print("  admin       health, the break-glass review queue, key rotation, staff accounts")
    print(f"Jordan Sample's segments: phr-share segments --patient {JORDAN}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
