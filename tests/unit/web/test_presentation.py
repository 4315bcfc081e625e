"""The access history as visits, reason codes in words, home readings as one table."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta

from phr_share.audit import Outcome
from phr_share.ccda import PatientHeader, parse_readings, readings_document, split_document
from phr_share.consent import Reason
from phr_share.series import Point
from phr_share.sharing.clinical import SectionRecord
from phr_share.sharing.history import AccessEvent
from phr_share.sharing.read import SegmentRecord
from phr_share.web.presentation import (
    document_type,
    filesize,
    home_readings,
    readings_csv,
    reason_words,
    visit_sentence,
    visits,
)
from tests.conftest import DEMO_CCD, PATIENT

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _read(
    seconds: float,
    actor: str = "user:1",
    kind: str = "physical-signs",
    outcome: Outcome = Outcome.OK,
    reason: str = "grant",
    segment: str | None = None,
) -> AccessEvent:
    return AccessEvent(
        seq=0,
        at=T0 + timedelta(seconds=seconds),
        actor=actor,
        segment=segment or f"segment:{seconds}",
        kind=kind,
        outcome=outcome,
        reason=reason,
        basis="grant:1" if outcome is Outcome.OK else None,
        purpose="treatment",
        emergency=False,
    )


def test_reads_close_together_by_one_person_for_one_reason_are_one_visit() -> None:
    events = [  # oldest first, as the log keeps them
        _read(0, kind="health-status"),
        _read(200),
        _read(201, kind="health-status"),
        _read(201, actor="user:2"),
        _read(202),
        _read(
            203, kind="family-history", outcome=Outcome.DENIED, reason="restricted-kind-not-named"
        ),
        _read(230),
    ]
    found = visits(events)
    assert [(v.actor, v.outcome, v.count) for v in found] == [
        ("user:1", Outcome.OK, 4),  # 200-230 s, though others read in between
        ("user:1", Outcome.DENIED, 1),
        ("user:2", Outcome.OK, 1),
        ("user:1", Outcome.OK, 1),  # 0 s: more than a minute before
    ]
    assert found[0].kinds == {"physical-signs": 3, "health-status": 1}
    assert found[0].at == T0 + timedelta(seconds=230)
    assert found[-1].kinds == {"health-status": 1}
    assert sum(v.count for v in found) == sum(v.reads for v in found) == len(events)


def test_a_segment_read_again_in_a_visit_counts_once_with_the_reads_in_all() -> None:
    events = [_read(t, segment=f"segment:{t % 2}") for t in range(6)]  # a page, reloaded
    (visit,) = visits(events)
    assert (visit.count, visit.reads, visit.kinds) == (2, 6, {"physical-signs": 2})


def test_reason_codes_read_as_words() -> None:
    assert reason_words(Reason.GRANT.value) == "a grant you gave"
    assert reason_words(Reason.BREAK_GLASS.value) == "emergency access"
    assert reason_words(Reason.GRANT_EXPIRED.value) == "grant expired"
    assert reason_words("something-new") == "something new"


def test_sizes_read_in_decimal_units() -> None:
    assert [filesize(n) for n in (0, 999, 1000, 18585, 999_949, 2_400_000, 7 * 10**9)] == [
        "0 B",
        "999 B",
        "1.0 kB",
        "18.6 kB",
        "999.9 kB",
        "2.4 MB",
        "7.0 GB",
    ]


def _sections(document: bytes, document_id: int) -> list[SectionRecord]:
    split = split_document(document, PATIENT)
    return [
        SectionRecord.of(
            SegmentRecord(
                n, s.tracking_id, 1, PATIENT, document_id, s.kind, s.path, "c", "o", "k", "", 0
            ),
            s.content,
        )
        for n, s in enumerate(split.section_segments)
    ]


def _sitting(day: int, form: dict[str, str], document_id: int) -> list[SectionRecord]:
    when = T0 + timedelta(days=day)
    readings = parse_readings({**form, "measured_at": when.isoformat()}, now=when)
    document = readings_document(readings, PatientHeader(PATIENT), uuid.uuid4())
    return _sections(document, document_id)


def test_home_readings_become_one_table_a_row_per_sitting_newest_first() -> None:
    vendor = _sections(DEMO_CCD.read_bytes(), 1)
    first = _sitting(0, {"systolic": "150", "diastolic": "95", "weight": "84.2"}, 2)
    second = _sitting(15, {"systolic": "141", "diastolic": "88", "heart_rate": "72"}, 3)
    mmol = _sitting(30, {"glucose": "6.2", "glucose_unit": "mmol/L"}, 4)
    types = {1: "34133-9", 2: "51855-5", 3: "51855-5", 4: "51855-5"}
    table, others = home_readings(vendor + first + second + mmol, types)
    assert table is not None
    assert table.columns == ("Blood pressure", "Heart rate", "Glucose", "Weight")
    assert [at.day for at, _ in table.rows] == [31, 16, 1]  # newest first
    assert [cells for _, cells in table.rows] == [
        ("", "", "6.2 mmol/L", ""),
        ("141/88 mmHg", "72 /min", "", ""),
        ("150/95 mmHg", "", "", "84.2 kg"),
    ]
    assert table.segments == len(first) + len(second) + len(mmol)
    assert others == vendor  # a vendor's vital signs stay a section of their own


def _points(sections: list[SectionRecord]) -> list[Point]:
    """The series points of sections, newest first, as ``sharing.home_points`` gives them."""
    points = [
        Point(m.code, m.value, m.unit, m.at, s.record.tracking_id, s.record.kind.value)
        for s in sections
        for m in s.measurements
    ]
    return sorted(points, key=lambda p: p.at, reverse=True)


def test_home_readings_as_csv_one_row_per_measurement_as_recorded() -> None:
    sitting = _sitting(0, {"weight": "185", "weight_unit": "[lb_av]", "heart_rate": "64"}, 2)
    earlier = _sitting(-1, {"systolic": "141", "diastolic": "88"}, 3)
    rows = readings_csv(_points(earlier + sitting)).splitlines()
    assert rows == [
        "measured_at_utc,measurement,loinc,value,unit",
        "2026-03-01T09:00:00+00:00,Heart rate,8867-4,64,/min",
        "2026-03-01T09:00:00+00:00,Body weight,29463-7,185,lb",
        "2026-02-28T09:00:00+00:00,Systolic blood pressure,8480-6,141,mmHg",
        "2026-02-28T09:00:00+00:00,Diastolic blood pressure,8462-4,88,mmHg",
    ]


def test_what_the_patient_wrote_at_a_sitting_joins_its_row() -> None:
    feeling = _sitting(
        0,
        {
            "systolic": "150",
            "diastolic": "95",
            "pain": "6",
            "mood": "low",
            "activity_minutes": "20",
            "activity": "walk",
            "diet": "soup",
            "note": "knee aches",
        },
        2,
    )
    later = _sitting(15, {"pain": "3", "mood": "good"}, 3)
    note_alone = _sitting(30, {"note": "forgot the cuff"}, 4)  # no time of its own
    vendor = _sections(DEMO_CCD.read_bytes(), 1)
    types = {1: "34133-9", 2: "51855-5", 3: "51855-5", 4: "51855-5"}
    table, others = home_readings(vendor + feeling + later + note_alone, types)
    assert table is not None
    assert table.columns == ("Blood pressure", "Pain", "Mood", "Activity", "Diet", "Note")
    assert [cells for _, cells in table.rows] == [
        ("", "3 / 10", "good", "", "", ""),
        ("150/95 mmHg", "6 / 10", "low", "20 min, walk", "soup", "knee aches"),
    ]
    assert table.segments == len(feeling) + len(later)
    # The vendor's sections (its mental and functional status too) and the note whose
    # sitting is unknown stay sections of their own: nothing is hidden.
    assert others == vendor + note_alone


def test_the_csv_has_pain_activity_and_mood_as_its_word() -> None:
    sitting = _sitting(0, {"pain": "4", "mood": "very-good", "activity_minutes": "45"}, 2)
    rows = readings_csv(_points(sitting)).splitlines()
    assert sorted(rows[1:]) == [
        "2026-03-01T09:00:00+00:00,Exercise duration,55411-3,45,min",
        "2026-03-01T09:00:00+00:00,Mood,,very good,",
        "2026-03-01T09:00:00+00:00,Pain severity,72514-3,4,/ 10",
    ]


def test_without_home_readings_every_section_stays() -> None:
    sitting = _sitting(0, {"systolic": "150", "diastolic": "95"}, 2)
    assert home_readings(sitting, {2: None}) == (None, sitting)  # type unknown: as it was


def test_document_types_read_as_words() -> None:
    assert document_type("34133-9") == "Summary of care (CCD)"
    assert document_type("51855-5") == "Home readings"
    assert document_type("99999-9") == document_type(None) == "Clinical document"


def test_a_visit_report_is_its_own_sentence_beside_the_reads_it_made() -> None:
    asked = dataclasses.replace(_read(1, kind="", segment="report:visit"), report_days=90)
    refused = dataclasses.replace(
        _read(500, actor="user:2", kind="", segment="report:visit", outcome=Outcome.DENIED,
              reason="no-grant"),
        report_days=30,
    )  # fmt: skip
    found = visits([_read(0), asked, _read(2), refused])
    said = [visit_sentence(v, "Dr Alex Kim", day="1 Mar 2026", clock="09:00") for v in found]
    assert said == [
        "Dr Alex Kim asked for a visit report of the last 30 days on 1 Mar 2026 at 09:00 "
        "and was refused (no grant).",
        "Dr Alex Kim read your vital signs 2 times on 1 Mar 2026 at 09:00, under your "
        "sharing choice.",
        "Dr Alex Kim downloaded a visit report of the last 90 days on 1 Mar 2026 at 09:00, "
        "under your sharing choice.",
    ]
