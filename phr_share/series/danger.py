"""The danger zone: readings that need action now, from one table of thresholds.

Pure: a measurement in (LOINC code, value, UCUM unit) out, the signs it shows. Glucose
in mmol/L is compared in mg/dL. The thresholds are those of the usual guidance for home
readings: a hypertensive crisis (systolic 180 or more, or diastolic 120 or more) and
level 2 hypo- and hyperglycaemia (under 54 mg/dL; over 300 mg/dL, where ketones are
checked).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from phr_share.codes import DIASTOLIC, GLUCOSE_CODES, GLUCOSE_MMOL_BLOOD, MG_PER_MMOL, SYSTOLIC

__all__ = ["DANGER_ZONE", "DangerSign", "Threshold", "danger_signs"]


@dataclass(frozen=True, slots=True)
class Threshold:
    """A reading of ``codes`` beyond ``limit`` (in ``unit``; ``above``: at or above it
    for pressure, over it for glucose; else under it) is in the danger zone."""

    sign: str  # a stable name, one per threshold: "very-high-systolic", "very-low-glucose"
    codes: frozenset[str]
    unit: str
    limit: float
    above: bool
    inclusive: bool
    words: str  # what it is, for the patient
    todo: str  # what to do now


@dataclass(frozen=True, slots=True)
class DangerSign:
    """One threshold a reading crossed, and the value (in the threshold's unit)."""

    threshold: Threshold
    value: float


_GLUCOSE = frozenset(GLUCOSE_CODES) | {GLUCOSE_MMOL_BLOOD}
# The one table of the danger zone.
DANGER_ZONE: tuple[Threshold, ...] = (
    Threshold(
        "very-high-systolic",
        frozenset({SYSTOLIC}),
        "mm[Hg]",
        180,
        above=True,
        inclusive=True,
        words="Your top blood pressure number is 180 or more.",
        todo="Sit quietly for 5 minutes and measure again.",
    ),
    Threshold(
        "very-high-diastolic",
        frozenset({DIASTOLIC}),
        "mm[Hg]",
        120,
        above=True,
        inclusive=True,
        words="Your bottom blood pressure number is 120 or more.",
        todo="Sit quietly for 5 minutes and measure again.",
    ),
    Threshold(
        "very-low-glucose",
        _GLUCOSE,
        "mg/dL",
        54,
        above=False,
        inclusive=False,
        words="Your blood sugar is very low: under 54 mg/dL (3.0 mmol/L).",
        todo="Take 15 g of fast sugar now (half a glass of juice, or glucose tablets), "
        "and measure again in 15 minutes.",
    ),
    Threshold(
        "very-high-glucose",
        _GLUCOSE,
        "mg/dL",
        300,
        above=True,
        inclusive=False,
        words="Your blood sugar is very high: over 300 mg/dL (16.7 mmol/L).",
        todo="Drink water, check for ketones if you can, and measure again within an hour.",
    ),
)


def danger_signs(measurements: Iterable[tuple[str, float, str]]) -> list[DangerSign]:
    """The danger-zone thresholds these (code, value, unit) measurements cross, in
    table order, each once."""
    signs: dict[Threshold, float] = {}
    for code, value, unit in measurements:
        amount = value * MG_PER_MMOL if unit == "mmol/L" else value
        for threshold in DANGER_ZONE:
            if code not in threshold.codes or threshold in signs:
                continue
            if _beyond(threshold, amount):
                signs[threshold] = amount
    return [DangerSign(t, signs[t]) for t in DANGER_ZONE if t in signs]


def _beyond(threshold: Threshold, value: float) -> bool:
    if threshold.above:
        return value >= threshold.limit if threshold.inclusive else value > threshold.limit
    return value <= threshold.limit if threshold.inclusive else value < threshold.limit
