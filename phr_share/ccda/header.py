"""The CDA header: what is checked on arrival and what the segments carry of it."""

from __future__ import annotations

import re

from lxml import etree

from phr_share.ccda.schemas import validate
from phr_share.ccda.xml import HL7, hl7
from phr_share.errors import NotClinicalDocument
from phr_share.models import Code, DocumentRef, InstanceId

__all__ = [
    "check_clinical_document",
    "document_ref",
    "element_text",
    "organisation_ids",
    "read_code",
]

_TIMESTAMP = re.compile(r"[0-9]{4}(?:[0-9]{2}){0,5}(?:\.[0-9]+)?(?:[+\-][0-9]{4})?")
_ID, _RECORD_TARGET, _COMPONENT = hl7("id"), hl7("recordTarget"), hl7("component")
_DESCEND = {_RECORD_TARGET: hl7("patientRole"), hl7("patientRole"): _ID}


def check_clinical_document(root: etree._Element) -> None:
    """Refuse anything but a CDA document with the header the system needs.

    Raises NotClinicalDocument, or SchemaViolation (``schemas/ccda-header.rng``).
    """
    if not isinstance(root.tag, str) or etree.QName(root).localname != "ClinicalDocument":
        raise NotClinicalDocument("the root element is not ClinicalDocument: not a CDA document")
    if etree.QName(root).namespace != HL7:
        raise NotClinicalDocument(f"ClinicalDocument is not in the HL7 v3 namespace ({HL7})")
    validate(_header_copy(root), "ccda-header.rng", "the document header")


def _header_copy(root: etree._Element) -> etree._Element:
    # Only what the schema constrains: the document ids, the record targets down to the
    # patient role's ids, and the body element. Everything else in the header is "any
    # content" to the schema, so leaving it out changes no verdict and saves the copy.
    copy = etree.Element(root.tag)
    for child in root.iterchildren(_ID, _RECORD_TARGET, _COMPONENT):
        _copy_shape(child, copy)
    return copy


def _copy_shape(element: etree._Element, parent: etree._Element) -> None:
    tag = element.tag
    if tag == _ID:
        etree.SubElement(parent, tag, element.attrib)
        return
    shallow = etree.SubElement(parent, tag)
    if tag in _DESCEND:
        for child in element.iterchildren(_DESCEND[tag]):
            _copy_shape(child, shallow)
    elif tag == _COMPONENT:
        for child in element.iterchildren(etree.Element):
            etree.SubElement(shallow, child.tag)


def document_ref(root: etree._Element) -> DocumentRef:
    """The facts about a checked document that every segment carries."""
    found = _header_children(
        root, ("id", "setId", "versionNumber", "effectiveTime", "code", "title")
    )
    set_id, version, effective = found["setId"], found["versionNumber"], found["effectiveTime"]
    effective_value = effective.get("value") if effective is not None else None
    return DocumentRef(
        id=_instance(found["id"]),
        version=_positive_int(version.get("value") if version is not None else None),
        set_id=_instance(set_id) if set_id is not None and set_id.get("root") else None,
        code=read_code(found["code"]),
        title=element_text(found["title"]),
        effective_time=effective_value if _is_timestamp(effective_value) else None,
    )


def _header_children(
    root: etree._Element, names: tuple[str, ...]
) -> dict[str, etree._Element | None]:
    # One pass over the header instead of a find() per element.
    wanted = {hl7(name): name for name in names}
    found: dict[str, etree._Element | None] = dict.fromkeys(names)
    for child in root.iterchildren(*wanted):
        name = wanted[str(child.tag)]
        if found[name] is None:
            found[name] = child
    return found


def read_code(element: etree._Element | None) -> Code | None:
    """A coded element's code, system and display name, or None when it has no code."""
    if element is None:
        return None
    code, system = element.get("code"), element.get("codeSystem")
    if not code or not system:
        return None
    return Code(code.strip(), system.strip(), element.get("displayName"))


def element_text(element: etree._Element | None) -> str | None:
    """An element's text with whitespace collapsed, or None when empty."""
    if element is None:
        return None
    raw = element.text if len(element) == 0 else "".join(element.itertext())
    text = " ".join(raw.split()) if raw else ""
    return text or None


def organisation_ids(elements: list[etree._Element]) -> frozenset[str]:
    """The ids (root^extension) of the organisations in the given elements."""
    return frozenset(
        str(_instance(org_id))
        for element in elements
        for org_id in element.iterchildren(hl7("id"))
        if org_id.get("root")
    )


def _instance(element: etree._Element | None) -> InstanceId:
    if element is None:
        raise NotClinicalDocument("the document has no id")  # the header schema requires one
    return InstanceId(element.get("root", "").strip(), _strip(element.get("extension")))


def _strip(value: str | None) -> str | None:
    return value.strip() if value is not None and value.strip() else None


def _positive_int(value: str | None) -> int:
    try:
        number = int(value) if value is not None else 1
    except ValueError:
        return 1
    return number if number >= 1 else 1


def _is_timestamp(value: str | None) -> bool:
    return value is not None and _TIMESTAMP.fullmatch(value) is not None
