"""The time a measurement was taken, read from an HL7 TS with its UTC offset."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from phr_share.ccda.narrative import parse_section

_SECTION = """<section xmlns="urn:hl7-org:v3"><title>Vital signs</title><text/>
<entry><observation classCode="OBS" moodCode="EVN">
<code code="8480-6" codeSystem="2.16.840.1.113883.6.1"/>
<effectiveTime value="{when}"/><value xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
 xsi:type="PQ" value="128" unit="mm[Hg]"/></observation></entry></section>"""


def _measured_at(when: str) -> datetime | None:
    measured = parse_section(_SECTION.format(when=when).encode(), entries=True).measurements
    return measured[0].at if measured else None


@pytest.mark.parametrize(
    ("written", "instant"),
    [
        ("20260310141500-0500", datetime(2026, 3, 10, 19, 15, tzinfo=UTC)),
        ("20260310141500+0530", datetime(2026, 3, 10, 8, 45, tzinfo=UTC)),
        ("202603101415-0500", datetime(2026, 3, 10, 19, 15, tzinfo=UTC)),
        ("20260310141500.123+0000", datetime(2026, 3, 10, 14, 15, tzinfo=UTC)),
        ("20260310141500", datetime(2026, 3, 10, 14, 15, tzinfo=UTC)),
        ("2026031014", datetime(2026, 3, 10, 14, tzinfo=UTC)),
        ("20260310", datetime(2026, 3, 10, tzinfo=UTC)),
    ],
)
def test_an_offset_is_applied_and_the_instant_kept_in_utc(written: str, instant: datetime) -> None:
    assert _measured_at(written) == instant


@pytest.mark.parametrize(
    "written", ["", "2026", "202603101", "20261310", "20260310141500-2500", "20260310 1415", "x"]
)
def test_a_time_that_is_not_an_hl7_ts_gives_no_measurement_time(written: str) -> None:
    assert _measured_at(written) is None
