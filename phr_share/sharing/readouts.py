"""A dashboard as people read it: the summary card in words, the glucose profile's chart
data, the summary as the API answers it, and what a dangerous reading means.

Pure: each takes what :func:`~phr_share.sharing.dashboard_of`, :func:`summary_of` or
:func:`save_readings` already returned, so nothing is read or audited again. The pages
and the API reach the series computations through here, never below.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from phr_share.series.agp import NEEDS, agp_json
from phr_share.series.danger import DANGER_ZONE, Threshold
from phr_share.series.glucose import CgmSummary
from phr_share.series.summary import MAX_DAYS, SUMMARY_JSON_SCHEMA, WINDOWS, Summary, summary_json
from phr_share.series.view import ChartLine, ChartView
from phr_share.series.words import SummaryPart, summary_card
from phr_share.sharing.charts import Dashboard

__all__ = [
    "MAX_SUMMARY_DAYS",
    "SUMMARY_JSON_SCHEMA",
    "SUMMARY_WINDOWS",
    "ChartLine",
    "ChartView",
    "Readout",
    "Threshold",
    "danger_advice",
    "readout_of",
    "summary_answer",
]

# The vocabulary of the series the pages and the API name: the windows a summary page
# offers, the longest span a summary covers, the summary's JSON schema, and the types of
# a dashboard's chart (the charts' data is drawn from them).
SUMMARY_WINDOWS = WINDOWS
MAX_SUMMARY_DAYS = MAX_DAYS


@dataclass(frozen=True, slots=True)
class Readout:
    """A dashboard's summary as a page shows it: the card, a part per measure with
    readings; the glucose profile's chart data (None without enough sensor readings); the
    sensor's summary; and what the profile needs, in words, for when it is missing."""

    summary: tuple[SummaryPart, ...]
    agp: dict[str, Any] | None
    cgm: CgmSummary | None
    agp_needs: str


def readout_of(dashboard: Dashboard, *, own: bool = True) -> Readout:
    """The dashboard's summary in words (``own``: the patient's own page, so "your
    target") and its glucose profile, from what was already read."""
    cgm = dashboard.summary.cgm
    return Readout(tuple(summary_card(dashboard.summary, own=own)), agp_json(cgm), cgm, NEEDS)


def summary_answer(summary: Summary) -> dict[str, Any]:
    """The summary as the API answers it (``SUMMARY_JSON_SCHEMA`` describes it)."""
    return summary_json(summary)


def danger_advice(signs: Collection[str]) -> list[Threshold]:
    """The danger-zone thresholds a saved reading crossed (``IngestResult.danger``'s
    signs), in the table's order: what each means and what to do now."""
    return [threshold for threshold in DANGER_ZONE if threshold.sign in signs]
