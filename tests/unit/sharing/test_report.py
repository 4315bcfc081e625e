"""The clinic-visit report: the patient's whole, a clinician's only what their grant
covers (and saying so), nothing for anyone else; every download audited."""

# The world fixture comes from the consent tests; pytest passes it by name.
# ruff: noqa: F811

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from phr_share.audit import Action, Outcome
from phr_share.errors import AccessDenied, InvalidInput
from phr_share.models import SegmentKind as K
from phr_share.report import VisitReport
from phr_share.sharing import (
    OPERATOR,
    access_history,
    audit_entries,
    grant_access,
    ingest_document,
    save_readings,
    visit_report,
    visit_report_pdf,
    write_note,
)
from tests.cgm import sensor_document
from tests.conftest import PATIENT
from tests.unit.sharing.test_consent import START, World, care, world  # noqa: F401


def _readings(w: World) -> None:
    """A fortnight of morning readings, the last with a note, then back to START."""
    for day in range(14, 0, -1):
        w.clock.now = START - timedelta(days=day)
        form = {"systolic": str(130 + day), "diastolic": "84", "glucose": "150", "weight": "80"}
        if day == 1:
            form["note"] = "Felt dizzy after the walk"
        save_readings(w.svc, w.patient.principal, form)
    w.clock.now = START


def _text(report: VisitReport) -> str:
    parts = [line for _, ps in report.summaries for p in ps for line in (p.title, *p.lines)]
    record = [s.title for s in report.record]
    notes = [n.text for n in report.own_notes]
    return "\n".join([*report.scope, *parts, *record, *notes])


def test_the_patient_gets_their_whole_report(world: World) -> None:
    _readings(world)
    care(world, world.doctor)
    grant_access(world.svc, world.patient.principal, world.doctor.id, None)
    write_note(world.svc, world.doctor.principal, PATIENT, "Walk thirty minutes a day.")
    report = visit_report(world.svc, world.patient.principal, PATIENT, 30, zone=ZoneInfo("UTC"))
    assert report.own
    assert report.scope == ()
    assert not report.missing
    assert report.patient == world.patient.display_name
    assert report.born == "12 Apr 1958"  # from the clinic's record, not the newer note
    when, note = report.clinician_notes[0]
    assert (when, note.blocks[0].text) == ("22 Nov 2026", "Walk thirty minutes a day.")
    assert [heading for heading, _ in report.summaries] == ["The last 14 days", "The last 30 days"]
    assert "Average: 137/84 mmHg" in _text(report)  # 14 mornings, 131..144 over 84
    assert {c.title for c in report.charts} == {"Blood pressure", "Blood sugar", "Weight"}
    assert any("medication" in s.title.lower() for s in report.record)
    assert [n.text for n in report.own_notes] == ["Felt dizzy after the walk"]
    assert report.period.startswith("the last 30 days, 23 Oct 2026 to 22 Nov 2026")
    assert visit_report_pdf(world.svc, world.patient.principal, PATIENT).startswith(b"%PDF-")


def test_a_clinician_gets_only_what_the_grant_covers_and_is_told(world: World) -> None:
    _readings(world)
    care(world, world.doctor)
    grant_access(world.svc, world.patient.principal, world.doctor.id, {K.PHYSICAL_SIGNS})
    report = visit_report(world.svc, world.doctor.principal, PATIENT)
    name = world.patient.display_name
    assert report.scope[0] == (
        f"This report holds only what {name} shares with you: "
        "blood pressure and blood sugar (vital signs)."
    )
    assert report.scope[1].startswith("Not included: weight (body measures); medications")
    # Without the health status kind: no medications, allergies or problems at all.
    assert report.record == ()
    assert "record" in report.missing
    assert report.own_notes == ()
    assert report.clinician_notes == ()
    assert {c.title for c in report.charts} == {"Blood pressure", "Blood sugar"}
    assert "Weight" not in _text(report)
    assert report.born is None


def test_a_clinician_granted_health_status_gets_the_medications(world: World) -> None:
    care(world, world.doctor)
    grant_access(world.svc, world.patient.principal, world.doctor.id, {K.HEALTH_STATUS})
    report = visit_report(world.svc, world.doctor.principal, PATIENT)
    titles = [s.title.lower() for s in report.record]
    assert titles == sorted(titles, key=lambda t: ("medic" not in t, "allerg" not in t))
    assert any("medication" in s.title.lower() for s in report.record)
    assert "record" not in report.missing


def test_anyone_else_is_refused_and_that_is_audited(world: World) -> None:
    for who in (world.other, world.nurse, world.researcher, world.doctor):
        with pytest.raises(AccessDenied):
            visit_report(world.svc, who.principal, PATIENT)
    entries = audit_entries(world.svc, world.patient.principal, PATIENT)
    refused = [e for e in entries if e.action is Action.REPORT_DOWNLOAD]
    assert len(refused) == 4
    assert {e.outcome for e in refused} == {Outcome.DENIED}


def test_every_download_is_audited_and_in_the_access_history(world: World) -> None:
    care(world, world.doctor)
    grant_access(world.svc, world.patient.principal, world.doctor.id, {K.PHYSICAL_SIGNS})
    visit_report(world.svc, world.doctor.principal, PATIENT, 180)
    entries = audit_entries(world.svc, world.patient.principal, PATIENT)
    [entry] = [e for e in entries if e.action is Action.REPORT_DOWNLOAD]
    assert entry.actor == world.doctor.principal.id
    assert entry.outcome is Outcome.OK
    assert entry.details["days"] == 180
    assert entry.details["kinds"] == "physical-signs"
    history = access_history(world.svc, world.patient.principal, PATIENT)
    [event] = [e for e in history if e.report_days is not None]
    assert (event.actor, event.report_days, event.reason) == (
        world.doctor.principal.id,
        180,
        "grant",
    )


@pytest.mark.parametrize("days", [0, 3651])
def test_a_period_out_of_range_is_refused(world: World, days: int) -> None:
    with pytest.raises(InvalidInput, match="1 to 3650 days"):
        visit_report(world.svc, world.patient.principal, PATIENT, days)


def test_continuous_glucose_is_drawn_as_a_profile_and_a_range_bar(world: World) -> None:
    # Fifteen days of five-minute sensor readings: the last 14 are continuous.
    start = START - timedelta(days=15)
    ingest_document(world.svc, OPERATOR, sensor_document(PATIENT, start, 15), PATIENT)
    report = visit_report(world.svc, world.patient.principal, PATIENT, zone=ZoneInfo("UTC"))
    sensor = report.sensor
    assert sensor is not None
    assert sensor.title == "Sensor blood sugar: the last 14 days"
    assert len(sensor.profile) == 96  # a point per quarter hour of the day
    minute, p5, p25, p50, p75, p95 = sensor.profile[8 * 4 + 2]  # 08:30, after breakfast
    assert minute == 510
    assert p5 <= p25 <= p50 <= p75 <= p95
    assert p50 > sensor.profile[3 * 4][3]  # breakfast's rise over the night's median
    assert [name for name, *_ in sensor.bar] == ["Very high", "High", "In range", "Low", "Very low"]
    assert sum(share for _, _, share, _ in sensor.bar) == pytest.approx(1.0)
    assert sensor.goals[0].startswith("Time in range ")
    assert "on the patient's clock (UTC)" in sensor.words
    pdf = visit_report_pdf(world.svc, world.patient.principal, PATIENT)
    assert b"%PDF-" in pdf[:5]
    # A clinician without the vital signs gets neither.
    care(world, world.doctor)
    grant_access(world.svc, world.patient.principal, world.doctor.id, {K.HEALTH_STATUS})
    assert visit_report(world.svc, world.doctor.principal, PATIENT).sensor is None


def test_finger_sticks_alone_draw_no_profile(world: World) -> None:
    _readings(world)
    assert visit_report(world.svc, world.patient.principal, PATIENT).sensor is None
