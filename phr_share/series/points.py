"""One point of a patient's measurement series, and the codes the series knows.

Pure: no I/O, no clock. Every layer that reads or summarises the series speaks in
:class:`Point`; values are floats in the unit they were recorded in, times are aware.
"""

from __future__ import annotations

from phr_share.codes import (
    BMI,
    DIASTOLIC,
    GLUCOSE_CODES,
    GLUCOSE_MMOL,
    HEART_RATE,
    HEIGHT,
    MG_PER_MMOL,
    MOOD,
    SENSOR_GLUCOSE,
    SYSTOLIC,
    WEIGHT,
)
from phr_share.models import Point

# The codes and the point are shared vocabulary (:mod:`phr_share.codes`,
# :mod:`phr_share.models`); the series names them here for its own readers.
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
