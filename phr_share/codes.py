"""The codes PHR Share measures, writes and charts under, spelled once for every layer.

LOINC codes of the home readings and of the documents PHR Share writes or reads, the
project's own local codes (mood, a free-text note, a diet note), and the names people
read for them. The C-CDA builder writes these codes, the series and charts read them
back; nothing here knows how either is done.
"""

from __future__ import annotations

from collections.abc import Mapping

from phr_share.models import Mood

__all__ = [
    "ACTIVITY",
    "BMI",
    "CHARTED",
    "CLINICIAN_NOTE_TYPE",
    "DIASTOLIC",
    "DIET_NOTE",
    "DOCUMENT_TYPES",
    "GLUCOSE",
    "GLUCOSE_CAPILLARY",
    "GLUCOSE_CODES",
    "GLUCOSE_METER",
    "GLUCOSE_MMOL",
    "GLUCOSE_MMOL_BLOOD",
    "GLUCOSE_SERUM",
    "HEART_RATE",
    "HEIGHT",
    "HOME_READINGS_TYPE",
    "MEASURE_NAMES",
    "MG_PER_MMOL",
    "MOOD",
    "MOOD_WORDS",
    "NOTE",
    "PAIN",
    "SENSOR_GLUCOSE",
    "SYSTOLIC",
    "WEIGHT",
    "readable_unit",
]

# Vital signs and body measures (LOINC).
SYSTOLIC = "8480-6"
DIASTOLIC = "8462-4"
HEART_RATE = "8867-4"
WEIGHT = "29463-7"
HEIGHT = "8302-2"
BMI = "39156-5"
# Glucose [Mass/volume] in blood: the code a finger-stick reading in mg/dL is written
# under, and the line every glucose in mg/dL is charted on.
GLUCOSE = "2339-0"
# Glucose [Mass/volume] in serum or plasma.
GLUCOSE_SERUM = "2345-7"
# Glucose [Mass/volume] in capillary blood, by a glucometer and otherwise.
GLUCOSE_METER = "14743-9"
GLUCOSE_CAPILLARY = "41653-7"
# Glucose [Moles/volume] in blood: a finger-stick reading in mmol/L.
GLUCOSE_MMOL_BLOOD = "15074-8"
# Glucose in interstitial fluid, in mg/dL: only a continuous sensor measures it.
SENSOR_GLUCOSE = "99504-3"
# Glucose in mg/dL (blood, serum or plasma, and interstitial fluid from a sensor)...
GLUCOSE_CODES = frozenset(
    {GLUCOSE, GLUCOSE_SERUM, GLUCOSE_CAPILLARY, GLUCOSE_METER, SENSOR_GLUCOSE}
)
# ...and in mmol/L; converted with MG_PER_MMOL before banding or charting.
GLUCOSE_MMOL = frozenset({GLUCOSE_MMOL_BLOOD, "14749-6", "14770-2"})
# The conversion the international consensus on time in range uses.
MG_PER_MMOL = 18.016

# What the patient says of themselves: pain (0-10) and exercise minutes (LOINC)...
PAIN = "72514-3"
ACTIVITY = "55411-3"
# ...and the project's local codes: mood on its five-point scale (charted as a score
# from 1 to 5), a section's free-text paragraphs, and a diet note (no standard code
# fits free text about diet).
MOOD = "mood"
NOTE = "note"
DIET_NOTE = "diet-note"
# A mood score as its word: 1 is very low, 5 very good.
MOOD_WORDS: Mapping[int, str] = {
    score: mood.value.replace("-", " ") for score, mood in enumerate(Mood, start=1)
}

# What the charts show, by code: blood pressure, heart rate, glucose and weight, and how
# the patient feels and moves.
CHARTED: Mapping[str, str] = {
    SYSTOLIC: "Systolic blood pressure",
    DIASTOLIC: "Diastolic blood pressure",
    HEART_RATE: "Heart rate",
    GLUCOSE: "Glucose",
    GLUCOSE_SERUM: "Glucose",
    WEIGHT: "Body weight",
    PAIN: "Pain severity",
    MOOD: "Mood",
    ACTIVITY: "Exercise duration",
}
# Every measurement of the home readings by name (the charted ones and the rest).
MEASURE_NAMES: Mapping[str, str] = {
    **CHARTED,
    HEIGHT: "Body height",
    BMI: "Body mass index",
    GLUCOSE_MMOL_BLOOD: "Glucose",
}

# The document types (LOINC) PHR Share writes: a patient's home readings (a Patient
# Generated Document, "Patient Note") and a clinician's note written back ("Note").
HOME_READINGS_TYPE = "51855-5"
CLINICIAN_NOTE_TYPE = "34109-9"
# The document types people upload and PHR Share writes, in words.
DOCUMENT_TYPES: Mapping[str, str] = {
    "34133-9": "Summary of care (CCD)",
    "18842-5": "Discharge summary",
    "11490-0": "Discharge summary",
    "11488-4": "Consultation note",
    "34847-4": "Consultation note",
    "34117-2": "History and physical",
    "11506-3": "Progress note",
    "11504-8": "Operative note",
    "28570-0": "Procedure note",
    "18761-7": "Transfer summary",
    "57133-1": "Referral note",
    "18748-4": "Imaging report",
    "52521-2": "Care plan",
    "81334-5": "Advance care plan",
    HOME_READINGS_TYPE: "Home readings",
    CLINICIAN_NOTE_TYPE: "Note from a clinician",
}

# UCUM units as people write them; most already read well as they are.
_READABLE_UNITS = {"mm[Hg]": "mmHg", "[lb_av]": "lb", "[in_i]": "in", "{score}": "/ 10"}


def readable_unit(ucum: str) -> str:
    """A UCUM unit as people write it (mmHg, lb, in); most already read well as they are."""
    return _READABLE_UNITS.get(ucum, ucum)
