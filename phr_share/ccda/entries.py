"""The coded clinical statements of a section, as plain facts for analytics.

A statement (observation, substanceAdministration, procedure, encounter, supply, act or
organizer) counts when it carries a clinical code: its own code (structural codes such
as a concern act's CONC or an allergy's ASSERTION do not count), a coded value, the
coded drug or vaccine it gives, or the coded substance it is about.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from phr_share.ccda.header import read_code
from phr_share.ccda.xml import HL7, first_child, hl7
from phr_share.models import ClinicalEntry, Code

__all__ = ["EntryFacts", "anchors_of", "clinical_entries", "narrative_of"]

_STATEMENTS = tuple(
    hl7(name)
    for name in (
        "observation",
        "substanceAdministration",
        "procedure",
        "encounter",
        "supply",
        "act",
        "organizer",
    )
)
_STRUCTURAL_SYSTEMS = frozenset({"2.16.840.1.113883.5.6"})  # HL7 ActClass (CONC, ...)
_STRUCTURAL_CODES = frozenset({("ASSERTION", "2.16.840.1.113883.5.4")})
_XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
_NS = {"h": HL7}
_PRODUCT = etree.XPath(
    "h:consumable/h:manufacturedProduct/h:manufacturedMaterial/h:code"
    " | h:product/h:manufacturedProduct/h:manufacturedMaterial/h:code"
    " | h:participant/h:participantRole/h:playingEntity/h:code",
    namespaces=_NS,
)
_TIME_PARTS = (hl7("low"), hl7("center"))


@dataclass(frozen=True, slots=True)
class EntryFacts:
    """A statement's element (for its narrative, later) and its facts."""

    element: etree._Element
    entry: ClinicalEntry


def clinical_entries(root: etree._Element) -> list[EntryFacts]:
    """Every coded clinical statement under ``root``, in document order."""
    found = []
    for element in root.iter(*_STATEMENTS):
        codes = _codes(element)
        if codes:
            value, unit = _measured(first_child(element, hl7("value")))
            entry = ClinicalEntry(
                statement=etree.QName(element).localname,
                codes=codes,
                value=value,
                unit=unit,
                time=_time(first_child(element, hl7("effectiveTime"))),
            )
            found.append(EntryFacts(element, entry))
    return found


def narrative_of(element: etree._Element, anchors: dict[str, etree._Element]) -> str | None:
    """The statement's own text, or the narrative its text points at (``#id``)."""
    text = first_child(element, hl7("text"))
    if text is None:
        return None
    reference = first_child(text, hl7("reference"))
    target = reference.get("value", "") if reference is not None else ""
    source = anchors.get(target[1:]) if target.startswith("#") else text
    if source is None:
        return None
    words = " ".join("".join(source.itertext()).split())
    return words or None


def anchors_of(root: etree._Element) -> dict[str, etree._Element]:
    """Narrative elements by their ID attribute, for resolving ``#id`` references."""
    return {anchor: e for e in root.iter(etree.Element) if (anchor := e.get("ID"))}


def _codes(element: etree._Element) -> tuple[Code, ...]:
    codes = []
    own = read_code(first_child(element, hl7("code")))
    if own is not None and not _structural(own):
        codes.append(own)
    value = first_child(element, hl7("value"))
    coded = read_code(value) if value is not None else None
    if coded is not None:
        codes.append(coded)
    codes.extend(code for e in _PRODUCT(element) if (code := read_code(e)) is not None)
    return tuple(codes)


def _structural(code: Code) -> bool:
    return code.system in _STRUCTURAL_SYSTEMS or (code.code, code.system) in _STRUCTURAL_CODES


def _measured(value: etree._Element | None) -> tuple[str | None, str | None]:
    if value is None or value.get("value") is None:
        return None, None
    kind = (value.get(_XSI_TYPE) or "").rpartition(":")[2]
    if kind not in {"PQ", "INT", "REAL", "RTO_PQ_PQ", "MO"}:
        return None, None
    return value.get("value"), value.get("unit")


def _time(effective: etree._Element | None) -> str | None:
    if effective is None:
        return None
    if effective.get("value"):
        return effective.get("value")
    for part in _TIME_PARTS:
        bound = first_child(effective, part)
        if bound is not None and bound.get("value"):
            return bound.get("value")
    return None
