"""Find every identifying part of a CDA fragment and hand it to de-identification rules.

This module knows where CDA keeps identifying data: names of people and places,
addresses, telecoms, instance ids (II-typed values too), timestamps, ages, images,
encapsulated data, signatures, links, narrative anchors, free text and free-text
attributes (a table's summary, a cell's abbreviation, a display name). The rules,
supplied by the caller, decide what replaces each one. The tree is changed in place, in
passes that each visit only the elements concerned (found by libxml2, not by walking
every element in Python); the last pass gives every piece of text to the free-text rule,
so whatever a pass does not recognise is still covered.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Protocol

from lxml import etree

from phr_share.ccda.envelope import REF_TAG
from phr_share.ccda.identity import (
    id_kind,
    instance_identifiers,
    is_time,
    local_name,
    names_someone,
    telecom_kind,
)
from phr_share.ccda.xml import hl7
from phr_share.models import PhiKind

__all__ = ["ScrubRules", "free_texts", "scrub_tree"]

_SDTC = "urn:hl7-org:sdtc"
_XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
_REMOVED = {
    hl7("observationMedia"): PhiKind.IMAGE,
    hl7("regionOfInterest"): PhiKind.IMAGE,
    hl7("signatureText"): PhiKind.BIOMETRIC,
    f"{{{_SDTC}}}signatureText": PhiKind.BIOMETRIC,
    hl7("renderMultiMedia"): None,  # narrative pointers to removed images
    REF_TAG: None,  # placeholders of split-off child sections
}
_ADDRESS_KEPT = frozenset({"state", "country"})
_AGE_UNITS = frozenset({"a", "yr", "year", "years"})
_OLDEST_AGE = Decimal(90)
_ANCHOR_ATTRIBUTES = ("ID", "IDREF", "headers")
_LINKS = (hl7("reference"), hl7("linkHtml"))
_WITH_ANCHORS = etree.XPath("descendant-or-self::*[@ID or @IDREF or @headers]")
_WITH_VALUE = etree.XPath("descendant-or-self::*[@value]")
# Attributes whose values are codes, numbers, layout or enumerations, or that a pass of
# their own handles; every other attribute (displayName, a table's summary, a cell's
# abbr or axis, a link's title, whatever a vendor adds) is free text to be scrubbed.
_CODED_ATTRIBUTES = (
    "classCode moodCode typeCode determinerCode contextControlCode contextConductionInd"
    " inversionInd negationInd independentInd institutionSpecified operator inclusive"
    " nullFlavor use code codeSystem codeSystemName codeSystemVersion valueSet"
    " valueSetVersion unit type mediaType representation compression"
    " integrityCheckAlgorithm language root extension value qualifier alignment"
    " styleCode listType align valign char charoff span colspan rowspan scope width"
    " border cellpadding cellspacing frame rules revised ID IDREF headers href"
)
_FREE_TEXT_ATTRIBUTES = etree.XPath(
    "descendant-or-self::*/@*"
    f"[not(contains(' {_CODED_ATTRIBUTES} ', concat(' ', local-name(), ' ')))]"
)
# Encapsulated data in base64 (a PDF report, a scan, an image as an observation's value):
# what it says cannot be read here, so it cannot be scrubbed, so it does not leave.
_ENCODED = etree.XPath("descendant-or-self::*[@representation = 'B64']")
_TEXTS = etree.XPath("descendant-or-self::text()[normalize-space()]")
_SPACED_ATTRIBUTES = etree.XPath("descendant-or-self::*/@*[contains(., ' ')]")


class ScrubRules(Protocol):
    """What replaces each identifying part; implemented by the de-identifier."""

    def removed(self, kind: PhiKind, count: int = 1) -> None:
        """Record that ``count`` identifiers of ``kind`` were removed."""

    def timestamp(self, value: str) -> str:
        """The replacement for an event timestamp (its year, or a shifted time)."""

    def birth_time(self, value: str) -> str | None:
        """The replacement for a birth time, or None to mask it (ages over 89)."""

    def identifier(self, root: str, extension: str | None) -> tuple[str, str]:
        """The replacement (root, extension) for an instance identifier."""

    def postal_code(self, value: str) -> str | None:
        """What may remain of a postal code (ZIP3, or 000), or None to remove it."""

    def text(self, value: str) -> str:
        """Free text with every identifier in it replaced."""


def scrub_tree(root: etree._Element, rules: ScrubRules) -> None:
    """De-identify the tree under ``root`` in place, as ``rules`` decide."""
    if root.tag == hl7("nonXMLBody"):
        _mask_unstructured(root, rules)
        return
    _remove_media(root, rules)
    for encoded in _ENCODED(root):
        _mask_encoded(encoded, rules)
    for name in list(root.iter(hl7("name"))):
        if names_someone(name):
            _mask(name)
            rules.removed(PhiKind.NAME)
    for addr in root.iter(hl7("addr")):
        _scrub_address(addr, rules)
    for telecom in root.iter(hl7("telecom")):
        _scrub_telecom(telecom, rules)
    for identifier in instance_identifiers(root):
        _scrub_id(identifier, rules)
    for link in root.iter(*_LINKS):
        _scrub_link(link, rules)
    _rename_anchors(root, rules)
    for element in _WITH_VALUE(root):
        _scrub_value(element, rules)
    for attribute in _FREE_TEXT_ATTRIBUTES(root):
        _scrub_attribute(attribute, rules)
    for text in _TEXTS(root):
        _scrub_text(text, rules)


def free_texts(root: etree._Element) -> list[str]:
    """Every text under ``root`` that can name someone in words: its text nodes and its
    attribute values of more than one word."""
    return [str(value) for value in (*_SPACED_ATTRIBUTES(root), *_TEXTS(root))]


def _remove_media(root: etree._Element, rules: ScrubRules) -> None:
    doomed = [e for e in root.iter(*_REMOVED, etree.PI) if e is not root]
    gone: set[etree._Element] = set()
    for element in doomed:
        if any(ancestor in gone for ancestor in element.iterancestors()):
            continue  # inside something already removed
        kind = _REMOVED.get(element.tag) if isinstance(element.tag, str) else None
        if kind is not None:
            rules.removed(kind)
        _drop(element)
        gone.add(element)


def _rename_anchors(root: etree._Element, rules: ScrubRules) -> None:
    # Narrative anchors are renamed n1, n2, ...: vendors build them from entry ids or
    # names. References to them (#...) follow; a reference to nothing kept goes.
    holders = _WITH_ANCHORS(root)
    found = dict.fromkeys(e.get("ID") for e in holders if e.get("ID"))
    anchors = {anchor: f"n{number}" for number, anchor in enumerate(found, start=1) if anchor}
    for element in (*holders, *root.iter(*_LINKS)):
        pointers = ("value", "href") if element.tag in _LINKS else ()
        for attribute in (*_ANCHOR_ATTRIBUTES, *pointers):
            value = element.get(attribute)
            if value:
                _rename(element, attribute, value, anchors, rules)


def _rename(
    element: etree._Element, attribute: str, value: str, anchors: dict[str, str], rules: ScrubRules
) -> None:
    hashed = value.startswith("#")
    renamed = [anchors.get(name.removeprefix("#")) for name in value.split()]
    if all(renamed):
        element.set(attribute, " ".join(("#" if hashed else "") + str(n) for n in renamed))
    elif hashed or attribute in _ANCHOR_ATTRIBUTES or any(c.isdigit() for c in value):
        del element.attrib[attribute]  # points at nothing kept, and may carry an id
        rules.removed(PhiKind.OTHER_ID)


def _scrub_value(element: etree._Element, rules: ScrubRules) -> None:
    value = element.get("value", "")
    if is_time(element):
        _scrub_time(element, value, rules)
    elif (element.get("unit") or "").lower() in _AGE_UNITS:
        _cap_age(element, value, rules)


def _scrub_text(text: etree._ElementUnicodeResult, rules: ScrubRules) -> None:
    scrubbed = rules.text(text)
    if scrubbed == text:
        return  # most narrative holds no identifier: the tree is left as it is
    parent = text.getparent()
    if parent is None:
        return
    if text.is_tail:
        parent.tail = scrubbed
    else:
        parent.text = scrubbed


def _scrub_attribute(value: etree._ElementUnicodeResult, rules: ScrubRules) -> None:
    scrubbed = rules.text(value)
    element, name = value.getparent(), value.attrname
    if scrubbed != value and element is not None and name is not None:
        element.set(name, scrubbed)


def _scrub_time(element: etree._Element, value: str, rules: ScrubRules) -> None:
    birth = local_name(element) == "birthTime"
    replacement = rules.birth_time(value) if birth else rules.timestamp(value)
    if replacement == value:
        return
    rules.removed(PhiKind.DATE)
    if replacement is None:
        del element.attrib["value"]
        element.set("nullFlavor", "MSK")
    else:
        element.set("value", replacement)


def _cap_age(element: etree._Element, value: str, rules: ScrubRules) -> None:
    try:
        years = Decimal(value)
    except InvalidOperation:
        return
    if years < _OLDEST_AGE:
        return
    # "90 or older" as an open interval: the exact age never leaves.
    unit = element.get("unit") or "a"
    for name in ("value", "unit"):
        del element.attrib[name]
    if local_name(element) == "value":
        element.set(_XSI_TYPE, "IVL_PQ")
        etree.SubElement(element, hl7("low"), value="90", unit=unit, inclusive="true")
    else:
        element.set("value", "90")
        element.set("unit", unit)
    rules.removed(PhiKind.DATE)


def _scrub_address(addr: etree._Element, rules: ScrubRules) -> None:
    removed = 0
    for part in list(addr):
        local = local_name(part)
        if local in _ADDRESS_KEPT:
            continue
        if local == "postalCode" and part.text and (kept := rules.postal_code(part.text.strip())):
            part.text = kept
            removed += 1
            continue
        addr.remove(part)
        removed += 1
    if addr.text and addr.text.strip():  # an address written as plain text
        addr.text = None
        removed += 1
    if removed:
        rules.removed(PhiKind.GEOGRAPHY)


def _scrub_telecom(telecom: etree._Element, rules: ScrubRules) -> None:
    value = telecom.get("value")
    if not value:
        return
    kind, _ = telecom_kind(value, telecom.get("use"))
    del telecom.attrib["value"]
    telecom.set("nullFlavor", "MSK")
    rules.removed(kind)


def _scrub_id(element: etree._Element, rules: ScrubRules) -> None:
    root = element.get("root")
    if not root:
        return
    kind = id_kind(element)
    new_root, extension = rules.identifier(root, element.get("extension"))
    element.set("root", new_root)
    element.set("extension", extension)
    element.attrib.pop("assigningAuthorityName", None)
    rules.removed(kind)


def _scrub_link(element: etree._Element, rules: ScrubRules) -> None:
    for attribute in ("href", "value"):
        target = element.get(attribute)
        if target and not target.startswith("#") and any(c in target for c in ":/@."):
            del element.attrib[attribute]
            rules.removed(PhiKind.URL)


def _mask(element: etree._Element) -> None:
    tail = element.tail
    element.clear()
    element.tail = tail
    element.set("nullFlavor", "MSK")


def _mask_encoded(element: etree._Element, rules: ScrubRules) -> None:
    data_type = element.get(_XSI_TYPE)
    _mask(element)
    if data_type:
        element.set(_XSI_TYPE, data_type)
    rules.removed(PhiKind.IMAGE)


def _mask_unstructured(body: etree._Element, rules: ScrubRules) -> None:
    # A scanned or embedded document (PDF, image, plain text) cannot be de-identified
    # reliably, so none of it leaves.
    for child in list(body):
        body.remove(child)
    etree.SubElement(body, hl7("text"), nullFlavor="MSK")
    rules.removed(PhiKind.IMAGE)


def _drop(element: etree._Element) -> None:
    parent = element.getparent()
    if parent is None:
        return
    tail = element.tail
    if tail:  # the text after it belongs to the parent; the text pass scrubs it
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(element)
