"""Home readings as a C-CDA Patient Generated Document (``schemas/phr-readings.xsd``).

Vital signs (blood pressure, heart rate) and glucose go in a Vital Signs section,
height, weight and BMI in a body-measures section (PHR Share's template on a vital
signs section), pain, mood and the free-text note in a Subjective section, diet in a
Nutrition section, physical activity in Social History, relatives' conditions in
Family History. Measurements are coded with LOINC and carry UCUM units; the same
splitter that reads vendor documents reads these back. The output is deterministic:
entry ids derive from the document id.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from lxml import etree

from phr_share.ccda.readings import RELATIONS, Quantity, Readings
from phr_share.ccda.schemas import validate
from phr_share.ccda.vocab import (
    BODY_MEASURES_TEMPLATE,
    CONFIDENTIALITY,
    CUSTODIAN_ID_ROOT,
    GENDER,
    LOCAL_CODES,
    LOINC,
    NOTE_TEMPLATE,
    READINGS_TEMPLATE,
    ROLE_CODE,
    SNOMED,
    XSI,
    patient_instance_id,
)
from phr_share.ccda.xml import HL7, hl7
from phr_share.codes import (
    ACTIVITY,
    BMI,
    CLINICIAN_NOTE_TYPE,
    DIASTOLIC,
    DIET_NOTE,
    GLUCOSE,
    GLUCOSE_MMOL_BLOOD,
    HEART_RATE,
    HEIGHT,
    HOME_READINGS_TYPE,
    MOOD,
    PAIN,
    SYSTOLIC,
    WEIGHT,
    readable_unit,
)

__all__ = [
    "CLINICIAN_NOTE",
    "DIET_NOTE",
    "HOME_READINGS",
    "DocumentType",
    "PatientHeader",
    "readable_unit",
    "readings_document",
]

_VITALS_SECTION = "2.16.840.1.113883.10.20.22.2.4.1"
_VITALS_ORGANIZER = "2.16.840.1.113883.10.20.22.4.26"
_VITAL_OBSERVATION = "2.16.840.1.113883.10.20.22.4.27"
_RESULT_OBSERVATION = "2.16.840.1.113883.10.20.22.4.2"


@dataclass(frozen=True, slots=True)
class PatientHeader:
    """What the readings document says about the patient; only the global id is required."""

    patient_id: uuid.UUID
    given: str | None = None
    family: str | None = None
    birth_date: date | None = None
    sex: Literal["M", "F", "UN"] | None = None


@dataclass(frozen=True, slots=True)
class DocumentType:
    """What a document PHR Share writes says it is: its templates, LOINC code and title."""

    templates: tuple[tuple[str, str | None], ...]  # (root, extension) after the US Realm Header
    code: str
    display: str
    title: str


# A patient's own readings: a Patient Generated Document, LOINC "Patient Note".
HOME_READINGS = DocumentType(
    (("2.16.840.1.113883.10.20.29.1", "2015-08-01"), (READINGS_TEMPLATE, None)),
    HOME_READINGS_TYPE,
    "Patient Note",
    "Home readings",
)
# A clinician writing back: a plain US Realm document, LOINC "Note" (no template that
# would promise an encounter or service event this note does not describe).
CLINICIAN_NOTE = DocumentType(
    ((NOTE_TEMPLATE, None),), CLINICIAN_NOTE_TYPE, "Note", "Clinician's note"
)


@dataclass(frozen=True, slots=True)
class _Observation:
    name: str  # stable key for the entry id
    code: str
    system: str
    display: str
    value: Quantity | None = None
    coded: tuple[str, str] | None = None  # (code, display) in LOCAL_CODES
    text: str | None = None


def readings_document(readings: Readings, patient: PatientHeader, document_id: uuid.UUID) -> bytes:
    """The CDA document (UTF-8 bytes) for one sitting of readings.

    Raises SchemaViolation only if the builder itself is wrong: the output is checked
    against ``schemas/phr-readings.xsd`` before it is returned.
    """
    builder = _Builder(document_id, _timestamp(readings.measured_at))
    root = builder.header(patient)
    body = _sub(_sub(root, "component"), "structuredBody")
    for section in _sections(readings, builder):
        _sub(body, "component").append(section)
    validate(root, "phr-readings.xsd", "the readings document")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _sections(readings: Readings, builder: _Builder) -> Iterable[etree._Element]:
    vitals = _vital_observations(readings)
    if vitals or readings.glucose is not None:
        yield builder.organizer_section(
            "Vital signs",
            (_VITALS_SECTION,),
            "8716-3",
            "Vital signs",
            vitals,
            glucose=readings.glucose,
        )
    measures = _body_measures(readings)
    if measures:
        yield builder.organizer_section(
            "Body measures",
            (BODY_MEASURES_TEMPLATE, _VITALS_SECTION),
            "8716-3",
            "Body measures",
            measures,
        )
    subjective = _subjective(readings)
    if subjective or readings.note:
        yield builder.plain_section(
            "2.16.840.1.113883.10.20.21.2.2", "61150-9", "How I feel", subjective, readings.note
        )
    if readings.diet:
        diet = _Observation(
            "diet", DIET_NOTE, LOCAL_CODES, "Diet, as told by the patient", text=readings.diet
        )
        yield builder.plain_section(
            "2.16.840.1.113883.10.20.22.2.57", "61144-2", "Diet", [diet], None
        )
    if readings.activity_minutes is not None or readings.activity:
        minutes = (
            None
            if readings.activity_minutes is None
            else Quantity(Decimal(readings.activity_minutes), "min")
        )
        activity = _Observation(
            "activity", ACTIVITY, LOINC, "Exercise duration", minutes, text=readings.activity
        )
        yield builder.plain_section(
            "2.16.840.1.113883.10.20.22.2.17", "29762-2", "Physical activity", [activity], None
        )
    if readings.family_history:
        yield builder.family_section(readings)


def _vital_observations(readings: Readings) -> list[_Observation]:
    candidates = [
        ("systolic", SYSTOLIC, "Systolic blood pressure", readings.systolic),
        ("diastolic", DIASTOLIC, "Diastolic blood pressure", readings.diastolic),
        ("heart_rate", HEART_RATE, "Heart rate", readings.heart_rate),
    ]
    return [_Observation(n, c, LOINC, d, q) for n, c, d, q in candidates if q is not None]


def _body_measures(readings: Readings) -> list[_Observation]:
    measures = [
        _Observation(name, code, LOINC, display, quantity)
        for name, code, display, quantity in (
            ("height", HEIGHT, "Body height", readings.height),
            ("weight", WEIGHT, "Body weight", readings.weight),
        )
        if quantity is not None
    ]
    bmi = _bmi(readings.weight, readings.height)
    if bmi is not None:
        measures.append(_Observation("bmi", BMI, LOINC, "Body mass index (BMI) [Ratio]", bmi))
    return measures


def _bmi(weight: Quantity | None, height: Quantity | None) -> Quantity | None:
    if weight is None or height is None:
        return None
    kg = weight.value * (Decimal("0.45359237") if weight.unit == "[lb_av]" else 1)
    metres = height.value * (Decimal("0.0254") if height.unit == "[in_i]" else Decimal("0.01"))
    return Quantity((kg / (metres * metres)).quantize(Decimal("0.1"), ROUND_HALF_UP), "kg/m2")


def _subjective(readings: Readings) -> list[_Observation]:
    found = []
    if readings.pain is not None:
        found.append(
            _Observation(
                "pain",
                PAIN,
                LOINC,
                "Pain severity - 0-10 verbal numeric rating [Score] - Reported",
                Quantity(Decimal(readings.pain), "{score}"),
            )
        )
    if readings.mood is not None:
        label = readings.mood.value.replace("-", " ")
        found.append(
            _Observation(
                "mood",
                MOOD,
                LOCAL_CODES,
                "Self-reported mood (five-point scale)",
                coded=(readings.mood.value, label),
            )
        )
    return found


class _Builder:
    def __init__(self, document_id: uuid.UUID, time: str) -> None:
        self.document_id = document_id
        self.time = time

    def entry_id(self, name: str) -> str:
        return str(uuid.uuid5(self.document_id, name))

    def header(self, patient: PatientHeader, kind: DocumentType = HOME_READINGS) -> etree._Element:
        root = etree.Element(hl7("ClinicalDocument"), nsmap={None: HL7, "xsi": XSI})
        _sub(root, "realmCode", code="US")
        _sub(root, "typeId", root="2.16.840.1.113883.1.3", extension="POCD_HD000040")
        _sub(root, "templateId", root="2.16.840.1.113883.10.20.22.1.1", extension="2015-08-01")
        for template, extension in kind.templates:
            _sub(
                root,
                "templateId",
                {"root": template, **({"extension": extension} if extension else {})},
            )
        _sub(root, "id", root=str(self.document_id))
        _sub(
            root,
            "code",
            code=kind.code,
            codeSystem=LOINC,
            codeSystemName="LOINC",
            displayName=kind.display,
        )
        _sub(root, "title").text = kind.title
        _sub(root, "effectiveTime", value=self.time)
        _sub(root, "confidentialityCode", code="N", codeSystem=CONFIDENTIALITY)
        _sub(root, "languageCode", code="en-US")
        patient_id = patient_instance_id(patient.patient_id)
        role = _sub(_sub(root, "recordTarget"), "patientRole")
        _sub(role, "id", root=patient_id.root, extension=str(patient_id.extension))
        person = _sub(role, "patient")
        _name(person, patient)
        if patient.sex is not None:
            _sub(person, "administrativeGenderCode", code=patient.sex, codeSystem=GENDER)
        else:
            _sub(person, "administrativeGenderCode", nullFlavor="UNK")
        if patient.birth_date is not None:
            _sub(person, "birthTime", value=patient.birth_date.strftime("%Y%m%d"))
        else:
            _sub(person, "birthTime", nullFlavor="UNK")
        author = _sub(root, "author")
        _sub(author, "time", value=self.time)
        assigned = _sub(author, "assignedAuthor")
        _sub(assigned, "id", root=patient_id.root, extension=str(patient_id.extension))
        _name(_sub(assigned, "assignedPerson"), patient)
        custodian = _sub(
            _sub(_sub(root, "custodian"), "assignedCustodian"), "representedCustodianOrganization"
        )
        _sub(custodian, "id", root=CUSTODIAN_ID_ROOT)
        _sub(custodian, "name").text = "PHR Share"
        return root

    def organizer_section(
        self,
        title: str,
        templates: tuple[str, ...],
        code: str,
        display: str,
        observations: list[_Observation],
        glucose: Quantity | None = None,
    ) -> etree._Element:
        rows = list(observations)
        section = self._section(templates, code, display, title)
        glucose_obs = _glucose(glucose)
        if glucose_obs is not None:
            rows.append(glucose_obs)
        _table(section, rows)
        if observations:
            organizer = _sub(
                _sub(section, "entry", typeCode="DRIV"),
                "organizer",
                classCode="CLUSTER",
                moodCode="EVN",
            )
            _sub(organizer, "templateId", root=_VITALS_ORGANIZER, extension="2015-08-01")
            _sub(organizer, "id", root=self.entry_id(f"{title}/organizer"))
            _sub(
                organizer,
                "code",
                code="46680005",
                codeSystem=SNOMED,
                codeSystemName="SNOMED CT",
                displayName="Vital signs",
            )
            _sub(organizer, "statusCode", code="completed")
            _sub(organizer, "effectiveTime", value=self.time)
            for observation in observations:
                component = _sub(organizer, "component")
                component.append(self._observation(observation, _VITAL_OBSERVATION, "2014-06-09"))
        if glucose_obs is not None:
            entry = _sub(section, "entry", typeCode="DRIV")
            entry.append(self._observation(glucose_obs, _RESULT_OBSERVATION, "2015-08-01"))
        return section

    def plain_section(
        self,
        template: str,
        code: str,
        title: str,
        observations: list[_Observation],
        note: str | None,
    ) -> etree._Element:
        section = self._section((template,), code, title, title)
        text = _table(section, observations) if observations else _sub(section, "text")
        if note:
            _sub(text, "paragraph").text = note
        for observation in observations:
            entry = _sub(section, "entry", typeCode="DRIV")
            entry.append(self._observation(observation, None, None))
        return section

    def family_section(self, readings: Readings) -> etree._Element:
        section = self._section(
            ("2.16.840.1.113883.10.20.22.2.15",), "10157-6", "Family history", "Family history"
        )
        text = _sub(section, "text")
        table = _sub(text, "table")
        _row(_sub(table, "thead"), ("Relative", "Condition"), "th")
        tbody = _sub(table, "tbody")
        for item in readings.family_history:
            _row(tbody, (_relation_label(item.relation), item.condition), "td")
        for number, item in enumerate(readings.family_history, start=1):
            organizer = _sub(
                _sub(section, "entry", typeCode="DRIV"),
                "organizer",
                classCode="CLUSTER",
                moodCode="EVN",
            )
            _sub(
                organizer,
                "templateId",
                root="2.16.840.1.113883.10.20.22.4.45",
                extension="2015-08-01",
            )
            _sub(organizer, "id", root=self.entry_id(f"family/{number}"))
            _sub(organizer, "statusCode", code="completed")
            related = _sub(_sub(organizer, "subject"), "relatedSubject", classCode="PRS")
            _sub(
                related,
                "code",
                code=item.relation,
                codeSystem=ROLE_CODE,
                displayName=_relation_label(item.relation),
            )
            observation = _sub(
                _sub(organizer, "component"), "observation", classCode="OBS", moodCode="EVN"
            )
            _sub(
                observation,
                "templateId",
                root="2.16.840.1.113883.10.20.22.4.46",
                extension="2015-08-01",
            )
            _sub(observation, "id", root=self.entry_id(f"family/{number}/condition"))
            _sub(
                observation,
                "code",
                code="64572001",
                codeSystem=SNOMED,
                codeSystemName="SNOMED CT",
                displayName="Disease",
            )
            _sub(observation, "statusCode", code="completed")
            value = _sub(observation, "value", {f"{{{XSI}}}type": "CD", "nullFlavor": "OTH"})
            _sub(value, "originalText").text = item.condition
        return section

    def _section(
        self, templates: tuple[str, ...], code: str, display: str, title: str
    ) -> etree._Element:
        section = etree.Element(hl7("section"))
        for template in templates:
            _sub(section, "templateId", root=template)
        _sub(
            section,
            "code",
            code=code,
            codeSystem=LOINC,
            codeSystemName="LOINC",
            displayName=display,
        )
        _sub(section, "title").text = title
        return section

    def _observation(
        self, item: _Observation, template: str | None, extension: str | None
    ) -> etree._Element:
        observation = etree.Element(hl7("observation"), classCode="OBS", moodCode="EVN")
        if template is not None and extension is not None:
            _sub(observation, "templateId", root=template, extension=extension)
        _sub(observation, "id", root=self.entry_id(item.name))
        _sub(observation, "code", code=item.code, codeSystem=item.system, displayName=item.display)
        if item.text is not None and item.value is not None:
            _sub(observation, "text").text = item.text
        _sub(observation, "statusCode", code="completed")
        _sub(observation, "effectiveTime", value=self.time)
        if item.value is not None:
            _sub(
                observation,
                "value",
                {f"{{{XSI}}}type": "PQ", "value": str(item.value.value), "unit": item.value.unit},
            )
        elif item.coded is not None:
            _sub(
                observation,
                "value",
                {
                    f"{{{XSI}}}type": "CD",
                    "code": item.coded[0],
                    "codeSystem": LOCAL_CODES,
                    "displayName": item.coded[1],
                },
            )
        elif item.text is not None:
            _sub(observation, "value", {f"{{{XSI}}}type": "ST"}).text = item.text
        return observation


def _glucose(glucose: Quantity | None) -> _Observation | None:
    if glucose is None:
        return None
    if glucose.unit == "mmol/L":
        return _Observation(
            "glucose", GLUCOSE_MMOL_BLOOD, LOINC, "Glucose [Moles/volume] in Blood", glucose
        )
    return _Observation("glucose", GLUCOSE, LOINC, "Glucose [Mass/volume] in Blood", glucose)


def _table(section: etree._Element, observations: list[_Observation]) -> etree._Element:
    text = _sub(section, "text")
    table = _sub(text, "table")
    _row(_sub(table, "thead"), ("Measurement", "Value"), "th")
    tbody = _sub(table, "tbody")
    for item in observations:
        _row(tbody, (item.display, _readable(item)), "td")
    return text


def _readable(item: _Observation) -> str:
    parts = []
    if item.value is not None:
        unit = readable_unit(item.value.unit)
        parts.append(f"{item.value.value} {unit}")
    if item.coded is not None:
        parts.append(item.coded[1])
    if item.text is not None:
        parts.append(item.text)
    return ", ".join(parts)


def _row(parent: etree._Element, cells: tuple[str, str], tag: str) -> None:
    row = _sub(parent, "tr")
    for cell in cells:
        _sub(row, tag).text = cell


def _relation_label(role: str) -> str:
    return next(name for name, code in RELATIONS.items() if code == role)


def _name(parent: etree._Element, patient: PatientHeader) -> None:
    if patient.given is None and patient.family is None:
        _sub(parent, "name", nullFlavor="UNK")
        return
    name = _sub(parent, "name")
    if patient.given is not None:
        _sub(name, "given").text = patient.given
    if patient.family is not None:
        _sub(name, "family").text = patient.family


def _timestamp(when: datetime) -> str:
    return when.strftime("%Y%m%d%H%M%S%z")


def _sub(
    parent: etree._Element, local: str, attrib: dict[str, str] | None = None, **attrs: str
) -> etree._Element:
    element = etree.SubElement(parent, hl7(local))
    for name, value in {**(attrib or {}), **attrs}.items():
        element.set(name, value)
    return element
