"""One point of a patient's measurement series, and the codes the series knows.

Pure: no I/O, no clock. Every layer that reads or summarises the series speaks in
:class:`Point`; values are floats in the unit they were recorded in, times are aware.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

__all__ = [
    "BMI",
    "DIASTOLIC",
    "GLUCOSE_CODES",
    "GLUCOSE_MMOL",
    "HEART_RATE",
    "HEIGHT",
    "MG_PER_MMOL",
    "MOOD",
    "SENSOR_GLUCOSE",
    "SYSTOLIC",
    "WEIGHT",
    "Point",
]

SYSTOLIC = "8480-6"
DIASTOLIC = "8462-4"
HEART_RATE = "8867-4"
WEIGHT = "29463-7"
HEIGHT = "8302-2"
BMI = "39156-5"
MOOD = "mood"
# Glucose in interstitial fluid, in mg/dL: only a continuous sensor measures it.
SENSOR_GLUCOSE = "99504-3"
# Glucose in mg/dL (blood, serum or plasma, and interstitial fluid from a sensor)...
GLUCOSE_CODES = frozenset({"2339-0", "2345-7", "41653-7", "14743-9", SENSOR_GLUCOSE})
# ...and in mmol/L; converted with MG_PER_MMOL before banding or charting.
GLUCOSE_MMOL = frozenset({"15074-8", "14749-6", "14770-2"})
# The conversion the international consensus on time in range uses.
MG_PER_MMOL = 18.016


@dataclass(frozen=True, slots=True)
class Point:
    """One measured value: its LOINC code (or MOOD), value, UCUM unit, when it was
    measured (aware), and the segment it came from (tracking id) with that segment's kind."""

    code: str
    value: float
    unit: str
    at: datetime
    source: uuid.UUID
    kind: str
