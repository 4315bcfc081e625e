"""Where a CDA document says who someone is: names, addresses, contacts, ids, dates.

:func:`collect_identifiers` gathers every identifying value of a tree, by Safe Harbor
kind, so the de-identifier can scrub them from free text and the leak scanner can
look for them in anything published. :func:`patient_identity` reads the header's
patient: birth time, sex, home postal code and the header's identifiers.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

from lxml import etree

from phr_share.ccda.xml import HL7, hl7, parse_xml
from phr_share.models import Identifiers, PatientIdentity, PhiKind

__all__ = [
    "ORGANISATION_NAME_HOLDERS",
    "PERSON_NAME_HOLDERS",
    "collect_identifiers",
    "id_kind",
    "instance_identifiers",
    "is_located_entity",
    "is_time",
    "local_name",
    "names_someone",
    "patient_identity",
    "telecom_kind",
]

SSN_ROOT = "2.16.840.1.113883.4.1"
NPI_ROOT = "2.16.840.1.113883.4.6"

# Elements whose <name> names a person, or an organisation that places the patient: the
# one list, read by the identifier collector here and by hide_fields in ccda/ops.py.
PERSON_NAME_HOLDERS = frozenset(
    {
        "patient",
        "guardianPerson",
        "assignedPerson",
        "relatedPerson",
        "associatedPerson",
        "informationRecipient",
        "subject",
        "maintainingPerson",
        "intendedRecipient",
    }
)
ORGANISATION_NAME_HOLDERS = frozenset(
    {
        "representedOrganization",
        "representedCustodianOrganization",
        "guardianOrganization",
        "serviceProviderOrganization",
        "providerOrganization",
        "receivedOrganization",
        "scopingOrganization",
        "wholeOrganization",
        "healthCareFacility",
        "location",
        "place",
        "asOrganizationPartOf",
    }
)
_ADDRESS_KEPT = frozenset({"state", "country"})  # Safe Harbor keeps the state
_TITLE_PARTS = frozenset({"prefix", "suffix"})
_DIGITS = re.compile(r"\d")
_SDTC = "urn:hl7-org:sdtc"
# Elements whose value attribute starts with a full date (YYYYMMDD).
_WITH_DATE = etree.XPath(
    "descendant-or-self::*[string-length(@value) >= 8"
    " and translate(substring(@value, 1, 8), '0123456789', '') = '']"
)
_CODES = etree.XPath("descendant-or-self::*/@code")
_ID_ELEMENTS = (hl7("id"), hl7("setId"), f"{{{_SDTC}}}id")
_VALUE = hl7("value")
_XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"


def patient_identity(header: bytes, patient_id: uuid.UUID) -> PatientIdentity:
    """Read the patient's birth time, sex, home postal code and the header's identifiers."""
    root = parse_xml(header)
    role = root.find(f"{{{HL7}}}recordTarget/{{{HL7}}}patientRole")
    person = role.find(hl7("patient")) if role is not None else None
    birth = person.find(hl7("birthTime")) if person is not None else None
    gender = person.find(hl7("administrativeGenderCode")) if person is not None else None
    sex = (gender.get("code") or "U").upper()[:1] if gender is not None else "U"
    return PatientIdentity(
        patient_id=patient_id,
        birth_time=birth.get("value") if birth is not None else None,
        sex=sex if sex in {"M", "F"} else "U",
        postal_code=_home_postal_code(role),
        identifiers=collect_identifiers(root),
    )


def collect_identifiers(root: etree._Element) -> Identifiers:
    """Every identifying value in the tree under ``root``, by Safe Harbor kind."""
    found: set[tuple[PhiKind, str]] = set()
    for name in root.iter(hl7("name")):
        if names_someone(name):
            found.update((PhiKind.NAME, part) for part in _name_parts(name))
    for addr in root.iter(hl7("addr")):
        found.update((PhiKind.GEOGRAPHY, part) for part in _address_parts(addr))
    for telecom in root.iter(hl7("telecom")):
        if value := telecom.get("value"):
            found.add(telecom_kind(value, telecom.get("use")))
    for identifier in instance_identifiers(root):
        found.update(_id_values(identifier))
    for element in _WITH_DATE(root):
        if is_time(element):
            found.add((PhiKind.DATE, element.get("value", "")[:8]))
    # Some vendors reuse a code (a LOINC code, say) as an entry id: not an identifier.
    codes = set(_CODES(root))
    return Identifiers(
        tuple(sorted((k, v) for k, v in found if k is not PhiKind.OTHER_ID or v not in codes))
    )


def instance_identifiers(root: etree._Element) -> list[etree._Element]:
    """Every element under ``root`` that holds an instance identifier (root, extension):
    the id elements, and any value typed II (an observation can record an SSN or a
    device's serial number as its value)."""
    return [
        element
        for element in root.iter(*_ID_ELEMENTS, _VALUE)
        if element.tag != _VALUE or (element.get(_XSI_TYPE) or "").rpartition(":")[2] == "II"
    ]


def local_name(element: etree._Element) -> str:
    """An element's name without its namespace ("" for comments and PIs)."""
    tag = element.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def telecom_kind(value: str, use: str | None) -> tuple[PhiKind, str]:
    """The Safe Harbor kind of a telecom value and the value without its scheme."""
    scheme, sep, rest = value.partition(":")
    scheme = scheme.lower() if sep else ""
    cleaned = rest if sep and scheme in {"tel", "fax", "mailto", "http", "https"} else value
    if scheme in {"http", "https"}:
        return PhiKind.URL, value
    if scheme == "mailto" or "@" in cleaned:
        return PhiKind.EMAIL, cleaned
    if scheme == "fax" or (use or "").upper() == "FAX":
        return PhiKind.FAX, cleaned
    return PhiKind.PHONE, cleaned


def is_located_entity(element: etree._Element) -> bool:
    """Whether a playingEntity is a place or party (its name identifies) and not a substance."""
    if element.get("classCode") in {"MMAT", "MAT", "CHEM", "FOOD", "DRUG"}:
        return False
    role = element.getparent()
    return role is None or role.get("classCode") not in {"MANU", "THER"}


def names_someone(name: etree._Element) -> bool:
    """Whether a <name> names a person or a place-revealing organisation (not a drug)."""
    parent = name.getparent()
    if parent is None:
        return False
    holder = local_name(parent)
    if holder in PERSON_NAME_HOLDERS or holder in ORGANISATION_NAME_HOLDERS:
        return True
    return holder == "playingEntity" and is_located_entity(parent)


def _name_parts(name: etree._Element) -> Iterator[str]:
    # A title or a qualification (<prefix>Dr</prefix>, <suffix>MD</suffix>) names nobody
    # on its own: it is part of the whole name, never a name to look for by itself.
    texts = [name.text or ""]
    for part in name.iterchildren(etree.Element):
        if local_name(part) not in _TITLE_PARTS:
            texts.extend(part.itertext())
        texts.append(part.tail or "")
    parts = [p for p in (" ".join(t.split()) for t in texts) if len(p) >= 2 and not p.endswith(".")]
    yield from parts
    whole = " ".join(" ".join(name.itertext()).split())
    if whole and whole not in parts:
        yield whole


def _address_parts(addr: etree._Element) -> Iterator[str]:
    for part in addr.iter(etree.Element):
        local = local_name(part)
        text = " ".join((part.text or "").split())
        if part is addr or local in _ADDRESS_KEPT or not text:
            continue
        yield text
    loose = " ".join((addr.text or "").split())  # an address written as plain text
    if loose:
        yield loose


def _id_values(element: etree._Element) -> Iterator[tuple[PhiKind, str]]:
    root, extension = element.get("root"), element.get("extension")
    value = (extension or "").strip() or (root or "").strip()
    if not value:
        return
    yield id_kind(element), value


def id_kind(element: etree._Element) -> PhiKind:
    """The Safe Harbor kind of an ``id`` element, judged by its root and where it sits."""
    root = element.get("root") or ""
    parent = element.getparent()
    holder = local_name(parent) if parent is not None else ""
    if root == SSN_ROOT:
        return PhiKind.SSN
    if root == NPI_ROOT:
        return PhiKind.LICENCE
    if holder == "patientRole":
        return PhiKind.MRN
    if holder == "participantRole" and parent is not None:
        if parent.find(hl7("playingDevice")) is not None:
            return PhiKind.DEVICE
        if parent.get("classCode") in {"PAT", "COVPTY", "POLHOLD"}:
            return PhiKind.HEALTH_PLAN
    return PhiKind.OTHER_ID


_TIME_ELEMENTS = frozenset(
    {
        "effectiveTime",
        "time",
        "birthTime",
        "deceasedTime",
        "copyTime",
        "expectedUseTime",
        "useablePeriod",  # when an address or a phone number is in use
        "validTime",  # when a name is in use
    }
)
_INTERVAL_PARTS = frozenset({"low", "high", "center"})
_DATED = re.compile(
    r"(?:1[89]|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?:\d{2}){0,3}(?:\.\d+)?"
    r"(?:[+-]\d{4})?"
)
_TIME_TYPES = frozenset({"TS", "IVL_TS", "PIVL_TS", "EIVL_TS", "SXCM_TS", "IVXB_TS"})


def is_time(element: etree._Element) -> bool:
    """Whether the element's ``value`` attribute is an HL7 timestamp, not a quantity."""
    if element.get("unit") is not None:
        return False
    local = local_name(element)
    if local in _TIME_ELEMENTS:
        return True
    if (element.get(_XSI_TYPE) or "").rpartition(":")[2] in _TIME_TYPES:
        return True
    parent = element.getparent()
    if (
        local in _INTERVAL_PARTS
        and parent is not None
        and (is_time(parent) or local_name(parent) == "phase")
    ):
        return True
    # An element no rule above knows (a vendor's own, say), untyped, whose value reads as
    # a whole calendar day: a timestamp is the safe reading.
    return (
        element.get(_XSI_TYPE) is None and _DATED.fullmatch(element.get("value") or "") is not None
    )


def _home_postal_code(role: etree._Element | None) -> str | None:
    if role is None:
        return None
    addresses = role.findall(hl7("addr"))
    home = [a for a in addresses if "H" in (a.get("use") or "H").upper()] or addresses
    for addr in home:
        code = addr.findtext(hl7("postalCode"))
        if code and _DIGITS.search(code):
            return code.strip()
    return None
