"""The visit report's drawing: what a page says as pdftotext reads it, the scope box on a
clinician's, and charts that break their lines across long gaps."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from phr_share.report import (
    ChartLine,
    ReportChart,
    ReportNote,
    ReportPart,
    ReportSection,
    SensorGlucose,
    VisitReport,
    render_pdf,
)
from phr_share.report.chart import _runs, _step, draw_chart

DAY = 86400.0


class _Block:
    def __init__(self, kind: str, text: str = "", items: tuple[str, ...] = ()) -> None:
        self.kind, self.text, self.items = kind, text, items
        self.header: tuple[str, ...] = ()
        self.rows: tuple[tuple[str, ...], ...] = ()


def _report(**changes: object) -> VisitReport:
    chart = ReportChart(
        "Blood pressure",
        "mmHg",
        10 * DAY,
        ((0.0, "1 Dec 2026"), (10 * DAY, "11 Dec 2026")),
        (
            ChartLine("Systolic (top)", tuple((d * DAY, 140.0 + d) for d in range(10))),
            ChartLine("Diastolic (bottom)", tuple((d * DAY, 88.0) for d in range(10)), True),
        ),
        targets=((130.0, "target 130 (top)"), (80.0, "target 80 (bottom)")),
        words="Blood pressure: 10 readings; the latest 149/88 mmHg on 10 Dec 2026.",
    )
    fields: dict[str, object] = {
        "patient": "Pat <Example> & Co",
        "born": "12 Apr 1958",
        "period": "the last 90 days, 12 Sep 2026 to 10 Dec 2026",
        "made": "Made 10 Dec 2026, 09:30 by PHR Share",
        "scope": (),
        "summaries": (
            (
                "The last 14 days",
                (ReportPart("Blood pressure at home", "10 readings", ("Average: 144/88 mmHg",)),),
            ),
        ),
        "charts": (chart,),
        "record": (ReportSection("Medications", (_Block("list", items=("Lisinopril 10 mg",)),)),),
        "clinician_notes": (
            ("2 Dec 2026", ReportSection("Plan", (_Block("paragraph", "Walk daily"),))),
        ),
        "own_notes": (ReportNote("9 Dec 2026, 07:30", "Felt dizzy"),),
    }
    fields.update(changes)
    return VisitReport(**fields)  # type: ignore[arg-type]


def _text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    done = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True)
    return " ".join(done.stdout.decode().split())


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils (make test installs it)")
def test_a_page_says_what_the_report_holds(tmp_path: Path) -> None:
    data = render_pdf(_report())
    assert data.startswith(b"%PDF-")
    text = _text(data, tmp_path)
    for words in [
        "Clinic-visit report",
        "Pat <Example> & Co · Date of birth: 12 Apr 1958",  # markup in a name is text
        "Period: the last 90 days, 12 Sep 2026 to 10 Dec 2026",
        # A table per measure, a column per window: "The last 14 days" heads "14 days".
        "Blood pressure at home 14 days Readings 10 readings Average 144/88 mmHg",
        "Blood pressure (mmHg)",
        "target 130 (top)",
        "Blood pressure: 10 readings; the latest 149/88 mmHg on 10 Dec 2026.",
        "Medications • Lisinopril 10 mg",
        "Plan (2 Dec 2026) Walk daily",
        "Your notes with readings When Note 9 Dec 2026, 07:30 Felt dizzy",
    ]:
        assert words in text
    assert "This report holds only" not in text


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils (make test installs it)")
def test_a_clinicians_report_says_what_is_left_out(tmp_path: Path) -> None:
    scope = (
        "This report holds only what Pat shares with you: vital signs.",
        "Not included: notes.",
    )
    report = _report(scope=scope, record=(), own=False, missing=frozenset({"record"}), born=None)
    text = _text(render_pdf(report), tmp_path)
    assert (
        "This report holds only what Pat shares with you: vital signs. Not included: notes." in text
    )
    assert "Date of birth: not shared" in text
    assert "Medications, allergies and problems Not included: not shared with you." in text
    assert "The patient's notes with readings" in text
    assert "Lisinopril" not in text


def test_a_line_breaks_across_a_long_gap() -> None:
    points = ((0.0, 1.0), (DAY, 2.0), (40 * DAY, 3.0), (41 * DAY, 4.0))
    assert [len(run) for run in _runs(points, 30 * DAY)] == [2, 2]
    assert [len(run) for run in _runs(points, 60 * DAY)] == [4]


def test_grid_steps_are_round() -> None:
    assert [_step(s) for s in (7, 42, 90, 250)] == [2.0, 10.0, 20.0, 50.0]


def test_a_chart_without_points_still_draws() -> None:
    empty = ReportChart("Weight", "kg", 0.0, (), ())
    assert draw_chart(empty, 400, 160).width == 400


def _sensor() -> SensorGlucose:
    profile = tuple(
        (m, 70.0 + m / 20, 90.0 + m / 20, 110.0 + m / 20, 130.0 + m / 20, 170.0 + m / 20)
        for m in range(0, 24 * 60, 15)
    )
    bar = (
        ("Very high", "over 250 mg/dL", 0.02, "2%"),
        ("High", "181-250 mg/dL", 0.2, "20%"),
        ("In range", "70-180 mg/dL", 0.74, "74%"),
        ("Low", "54-69 mg/dL", 0.03, "3%"),
        ("Very low", "under 54 mg/dL", 0.01, "1%"),
    )
    goals = ("Time in range 74% — goal: more than 70% (met)",)
    return SensorGlucose(
        "Sensor blood sugar: the last 14 days", profile, bar, goals, "4,032 sensor readings"
    )


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils (make test installs it)")
def test_the_sensor_profile_and_range_bar_are_drawn_with_their_words(tmp_path: Path) -> None:
    text = _text(render_pdf(_report(sensor=_sensor())), tmp_path)
    for words in [
        "Sensor blood sugar: the last 14 days 4,032 sensor readings",
        "Blood sugar by time of day (mg/dL)",
        "00:00",
        "24:00",
        "target range 70-180",
        "74% In range (70-180 mg/dL)",
        "1% Very low (under 54 mg/dL)",
        "Time in range 74% — goal: more than 70% (met)",
    ]:
        assert words in text
    assert "Sensor blood sugar" not in _text(render_pdf(_report()), tmp_path)
