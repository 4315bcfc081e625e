"""Continuous glucose for the tests: a sensor's five-minute readings over days, as values
and as the C-CDA document a patient uploads (one vital-signs section, an entry a reading),
so they reach the series through the same ingest as every other document."""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from lxml import etree

from phr_share.ccda import PatientHeader, parse_readings, readings_document

SENSOR = "99504-3"  # glucose in interstitial fluid, mg/dL
_V3 = "urn:hl7-org:v3"
_XSI = "http://www.w3.org/2001/XMLSchema-instance"
_LOINC = "2.16.840.1.113883.6.1"


def sensor_values(
    start: datetime, days: int, *, every: int = 5, seed: int = 17
) -> Iterator[tuple[datetime, float]]:
    """Readings every ``every`` minutes for ``days`` days from ``start``: a day's curve
    (low at night, a peak after each meal) with some noise, in mg/dL to one decimal."""
    rng = random.Random(seed)
    for n in range(days * 24 * 60 // every):
        at = start + timedelta(minutes=every * n)
        hour = at.hour + at.minute / 60
        meals = sum(95 * math.exp(-(((hour - meal) / 1.2) ** 2)) for meal in (8, 13, 19.5))
        value = 100 + meals + 15 * math.sin(n / 37) + rng.gauss(0, 16)
        yield at, round(min(400.0, max(40.0, value)), 1)


def sensor_document(
    patient_id: uuid.UUID, start: datetime, days: int, *, every: int = 5, seed: int = 17
) -> bytes:
    """A home-readings C-CDA document holding the sensor readings of ``sensor_values``."""
    sitting = parse_readings({"glucose": "100"}, now=start.astimezone(UTC))
    root = etree.fromstring(readings_document(sitting, PatientHeader(patient_id), uuid.uuid4()))
    section = root.find(f".//{{{_V3}}}section")
    assert section is not None
    for entry in section.findall(f"{{{_V3}}}entry"):
        section.remove(entry)
    for n, (at, value) in enumerate(sensor_values(start, days, every=every, seed=seed)):
        entry = etree.SubElement(section, f"{{{_V3}}}entry", typeCode="DRIV")
        obs = etree.SubElement(entry, f"{{{_V3}}}observation", classCode="OBS", moodCode="EVN")
        etree.SubElement(obs, f"{{{_V3}}}templateId", root="2.16.840.1.113883.10.20.22.4.2")
        etree.SubElement(obs, f"{{{_V3}}}id", root=str(uuid.UUID(int=n + 1)))
        etree.SubElement(obs, f"{{{_V3}}}code", code=SENSOR, codeSystem=_LOINC)
        etree.SubElement(obs, f"{{{_V3}}}statusCode", code="completed")
        stamp = at.astimezone(UTC).strftime("%Y%m%d%H%M%S+0000")
        etree.SubElement(obs, f"{{{_V3}}}effectiveTime", value=stamp)
        quantity = {f"{{{_XSI}}}type": "PQ", "value": f"{value:g}", "unit": "mg/dL"}
        etree.SubElement(obs, f"{{{_V3}}}value", quantity)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
