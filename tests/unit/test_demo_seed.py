"""The demo data `make run` loads: a believable year of readings, the same on every run."""

from __future__ import annotations

import importlib.util
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import ModuleType
from zoneinfo import ZoneInfo

from phr_share.ccda import split_document
from phr_share.ccda.narrative import MOOD, parse_section
from phr_share.consent.totp import code_at, step_of
from phr_share.models import SegmentKind
from phr_share.series import Point, summarise
from phr_share.series.agp import glucose_profile, range_bar
from phr_share.series.points import SENSOR_GLUCOSE
from phr_share.sharing import Services, authenticate, finish_second_step, start_second_step
from tests.unit.sharing.conftest import services  # noqa: F401  (the fixture)

SEED = Path(__file__).resolve().parents[2] / "deploy" / "demo" / "seed.py"
PATIENT = uuid.UUID("2f1f5c1e-8a7b-4c1e-9a51-6c0f2b7d9e10")
SYSTOLIC = "8480-6"


def _seed() -> ModuleType:
    spec = importlib.util.spec_from_file_location("demo_seed", SEED)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_year_of_readings_that_split_chart_and_repeat_exactly() -> None:
    seed = _seed()
    documents = seed.readings_for(PATIENT, 9)
    assert len(documents) == seed.SITTINGS
    assert documents == seed.readings_for(PATIENT, 9)  # idempotent seeding
    systolic = []
    for document in documents:
        split = split_document(document, PATIENT)
        for segment in split.segments:
            if segment.kind is SegmentKind.PHYSICAL_SIGNS:
                systolic += [
                    m
                    for m in parse_section(segment.content, entries=True).measurements
                    if m.code == SYSTOLIC
                ]
    assert len(systolic) == seed.SITTINGS
    times = [m.at for m in systolic]
    assert times == sorted(times)
    assert (times[-1] - times[0]).days >= 330  # a year
    assert times[-1] <= datetime(2026, 11, 30, tzinfo=UTC)  # nothing in the future
    before = [m.value for m in systolic[: seed.TREATMENT_FROM]]
    after = [m.value for m in systolic[-6:]]
    assert sum(after) / len(after) < sum(before) / len(before) - 5  # treatment shows


def test_jordan_has_three_years_twice_a_day_that_a_later_run_only_extends() -> None:
    seed = _seed()
    today = date(2026, 12, 3)
    documents = seed.daily_readings(PATIENT, today)
    assert len(documents) == 2 * 3 * 365
    assert documents == seed.daily_readings(PATIENT, today)  # idempotent seeding
    tomorrow = seed.daily_readings(PATIENT, today + timedelta(days=1))
    assert tomorrow[:-2] == documents[2:]  # a day later: one more day, none changed
    series: dict[str, list[tuple[datetime, float]]] = {}
    for document in documents:
        for segment in split_document(document, PATIENT).segments:
            for m in parse_section(segment.content, entries=True).measurements:
                series.setdefault(m.code, []).append((m.at, m.value))
    systolic, pain, mood = series[SYSTOLIC], series["72514-3"], series[MOOD]
    assert len(systolic) == len(documents)
    assert systolic[-1][0] < datetime(2026, 12, 3, tzinfo=UTC)  # nothing today or later
    assert (systolic[-1][0] - systolic[0][0]).days >= 3 * 365 - 1
    assert 35 <= len(pain) == len(mood) <= 37  # the first Sunday evening of each month
    assert 155 <= len(series["29463-7"]) <= 157  # Monday mornings
    assert {v for _, v in mood} <= {1.0, 2.0, 3.0, 4.0, 5.0}

    def mean(values: list[tuple[datetime, float]]) -> float:
        return sum(v for _, v in values) / len(values)

    early, late = slice(0, 100), slice(-100, None)
    assert mean(systolic[late]) < mean(systolic[early]) - 10  # treatment shows
    assert mean(pain[-10:]) < mean(pain[:6])
    assert mean(mood[-10:]) > mean(mood[:6])


def test_jordan_wore_a_sensor_for_two_weeks_enough_for_her_glucose_profile() -> None:
    seed = _seed()
    today = date(2026, 12, 3)
    documents = seed.sensor_days(PATIENT, today)
    assert len(documents) == seed.SENSOR_DAYS == 14
    assert documents == seed.sensor_days(PATIENT, today)  # idempotent seeding
    assert seed.sensor_days(PATIENT, today + timedelta(days=1))[:-1] == documents[1:]
    points = [
        Point(m.code, m.value, m.unit, m.at, segment.tracking_id, segment.kind.value)
        for document in documents
        for segment in split_document(document, PATIENT).segments
        for m in parse_section(segment.content, entries=True).measurements
    ]
    assert len(points) == 14 * 288
    assert {p.code for p in points} == {SENSOR_GLUCOSE}
    now = datetime(2026, 12, 3, 0, 5, tzinfo=UTC)
    summary = summarise(points, now=now, zone=ZoneInfo("UTC"), days=14)
    bar = range_bar(summary.cgm)
    assert glucose_profile(summary.cgm) is not None
    assert bar is not None
    in_range = bar.goals[0]
    assert in_range.goal.name == "Time in range"
    assert 0.6 < in_range.share < 0.9  # a believable wearer: mostly in range, not all


def test_the_demo_staff_come_with_two_step_sign_in_from_their_printed_secrets(
    services: Services,  # noqa: F811
) -> None:
    seed = _seed()
    accounts = seed.demo_accounts(services)
    assert accounts == seed.demo_accounts(services)  # idempotent
    staff = {name for name, account in accounts.items() if account.mfa}
    assert staff == {"dr.kim", "dr.osei", "nurse.lee", "admin"}
    secret = seed.demo_totp_secret("dr.kim")
    assert secret != seed.demo_totp_secret("dr.osei")
    account = authenticate(services, "dr.kim", seed.demo_password("dr.kim"))
    code = code_at(secret, step_of(services.clock()) + 1)
    signed_in = finish_second_step(services, start_second_step(services, account), code)
    assert signed_in.id == accounts["dr.kim"].id
