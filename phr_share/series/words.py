"""The chronic-care summary in words a patient reads: a part per measure with readings,
each saying what it rests on. Pure; the pages and the command line both print it."""

from __future__ import annotations

from dataclasses import dataclass

from phr_share.series.summary import Summary, display

__all__ = ["SummaryPart", "summary_card"]


@dataclass(frozen=True, slots=True)
class SummaryPart:
    """One part of the summary card: its heading, what it rests on, and its lines."""

    title: str
    basis: str
    lines: tuple[str, ...]


def summary_card(summary: Summary, *, own: bool = True) -> list[SummaryPart]:
    """The summary in words a patient reads (``own``: the patient's page, so "your
    target"), a part per measure that has readings."""
    shown = display(summary)

    # Systolic over diastolic, as a cuff shows them: "136/80 mmHg".
    for period in ("bp", "bp.morning", "bp.evening"):
        high, low = shown.get(f"{period}.mean_systolic"), shown.get(f"{period}.mean_diastolic")
        if high and low:
            shown[f"{period}.mean"] = f"{high.removesuffix(' mmHg')}/{low}"

    def said(*pairs: tuple[str, str]) -> tuple[str, ...]:
        return tuple(f"{words}: {shown[key]}" for words, key in pairs if key in shown)

    parts = []
    bp, glucose, cgm, weight = summary.bp, summary.glucose, summary.cgm, summary.weight
    if bp.readings:
        target, whose = f"{bp.target[0]}/{bp.target[1]}", "your" if own else "the"
        parts.append(
            SummaryPart(
                "Blood pressure at home",
                _basis(bp.readings, bp.days),
                said(
                    ("Average", "bp.mean"),
                    ("Mornings", "bp.morning.mean"),
                    ("Evenings", "bp.evening.mean"),
                    (f"At or above {whose} target of {target}", "bp.share_at_or_above_target"),
                    ("Highest", "bp.highest"),
                ),
            )
        )
    if glucose.readings:
        parts.append(
            SummaryPart(
                "Blood sugar (finger-stick)",
                _basis(glucose.readings, glucose.days),
                said(
                    ("Average", "glucose.mean"),
                    ("In range (70-180 mg/dL)", "glucose.bands.70-180"),
                    ("Low (54-69 mg/dL)", "glucose.bands.54-69"),
                    ("Very low (under 54 mg/dL)", "glucose.bands.<54"),
                    ("High (181-250 mg/dL)", "glucose.bands.181-250"),
                    ("Very high (over 250 mg/dL)", "glucose.bands.>250"),
                    ("Estimated A1c (GMI)", "glucose.gmi"),
                ),
            )
        )
    if cgm is not None and cgm.readings:
        enough = "" if cgm.sufficient else " (too little sensor time for these to count)"
        parts.append(
            SummaryPart(
                "Blood sugar (sensor)",
                _basis(cgm.readings, cgm.days) + enough,
                said(
                    ("Sensor time captured", "cgm.captured_share"),
                    ("Time in range (70-180 mg/dL)", "cgm.bands.70-180"),
                    ("Time very low (under 54 mg/dL)", "cgm.bands.<54"),
                    ("Average", "cgm.mean"),
                    ("Estimated A1c (GMI)", "cgm.gmi"),
                ),
            )
        )
    if weight.readings:
        parts.append(
            SummaryPart(
                "Weight",
                _basis(weight.readings, None),
                said(
                    ("Latest", "weight.latest"),
                    ("Change over 30 days", "weight.change_30d_kg"),
                    ("Change over 90 days", "weight.change_90d_kg"),
                    ("Body mass index", "weight.bmi"),
                ),
            )
        )
    return parts


def _basis(readings: int, days: int | None) -> str:
    basis = f"{readings} reading{'s' * (readings != 1)}"
    return basis if days is None else f"{basis} on {days} day{'s' * (days != 1)}"
