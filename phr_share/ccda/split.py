"""Split a CDA document into segments: the header, and every section on its own.

Each section (nested ones too) becomes one segment holding its canonical XML. Where a
nested section was split off, its parent's content keeps a ``segment-ref`` placeholder
(with the same surrounding whitespace), so rebuilding puts it back in place. The
header segment (``personal``) is the ClinicalDocument with a placeholder where each
top-level section was. An unstructured body (``nonXMLBody``) is one segment, ``other``.

This is the hot path of every upload, so it walks the tree as little as it can: the
sections are canonicalised where they stand, and the header is assembled last from
the parsed tree's own header elements (moved, not copied).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from copy import deepcopy
from dataclasses import dataclass, field

from lxml import etree

from phr_share.ccda.envelope import REF_TAG, SEGMENT_NS, segment_ref
from phr_share.ccda.header import (
    check_clinical_document,
    document_ref,
    element_text,
    organisation_ids,
    read_code,
)
from phr_share.ccda.sections import classify
from phr_share.ccda.xml import HL7, canonical, first_child, hl7, parse_xml
from phr_share.errors import TooManySections
from phr_share.models import (
    Code,
    DocumentRef,
    InstanceId,
    Segment,
    SegmentKind,
    path_sort_key,
    tracking_ids,
)
from phr_share.settings import XmlLimits

__all__ = ["SplitDocument", "split_document"]

_NS = {"h": HL7}
_COMPONENT, _SECTION, _AUTHOR = hl7("component"), hl7("section"), hl7("author")
_TEMPLATE_ID, _CODE, _TITLE = hl7("templateId"), hl7("code"), hl7("title")
_STRUCTURED, _UNSTRUCTURED = hl7("structuredBody"), hl7("nonXMLBody")
_BODY_OF_SECTION = frozenset({hl7("entry"), _COMPONENT})
_DOCUMENT_ORGS = etree.XPath(
    "h:author/h:assignedAuthor/h:representedOrganization"
    " | h:custodian/h:assignedCustodian/h:representedCustodianOrganization",
    namespaces=_NS,
)
_SECTION_ORGS = etree.XPath("h:author/h:assignedAuthor/h:representedOrganization", namespaces=_NS)


@dataclass(frozen=True, slots=True)
class SplitDocument:
    """The segments of one document, header first, in document order."""

    document: DocumentRef
    patient_id: uuid.UUID
    segments: tuple[Segment, ...]

    @property
    def section_segments(self) -> tuple[Segment, ...]:
        """The segments that hold a section (not the header, not an unstructured body)."""
        return tuple(s for s in self.segments if s.path.startswith("body/"))


@dataclass(slots=True)
class _Splitter:
    patient_id: uuid.UUID
    document: DocumentRef
    document_orgs: frozenset[str]
    tracking_id: Callable[[str], uuid.UUID]
    segments: list[Segment] = field(default_factory=list)

    def section(self, section: etree._Element, path: str) -> None:
        # A nested section is hashed first, then replaced by its placeholder in the parent.
        for index, child in enumerate(_child_sections(section), start=1):
            self.section(child, f"{path}/{index}")
            _replace_with_ref(child, f"{path}/{index}")
        templates: list[InstanceId] = []
        code: Code | None = None
        title: str | None = None
        authored = False
        # One pass over the section's leading children; entries and components follow
        # them in CDA order, so the scan stops at the first of those.
        for child in section:
            tag = child.tag
            if tag == _TEMPLATE_ID:
                if root := child.get("root"):
                    templates.append(InstanceId(root, child.get("extension")))
            elif tag == _CODE:
                code = code or read_code(child)
            elif tag == _TITLE:
                title = title or element_text(child)
            elif tag == _AUTHOR:
                authored = True
            elif tag in _BODY_OF_SECTION:
                break
        template_ids = tuple(templates)
        third_party = authored and self._third_party(section)
        kind = classify(template_ids, code, third_party=third_party)
        self.add(kind, path, section, title=title, code=code, template_ids=template_ids)

    def add(
        self,
        kind: SegmentKind,
        path: str,
        element: etree._Element,
        *,
        title: str | None = None,
        code: Code | None = None,
        template_ids: tuple[InstanceId, ...] = (),
    ) -> None:
        self.segments.append(
            Segment(
                kind=kind,
                tracking_id=self.tracking_id(path),
                patient_id=self.patient_id,
                document=self.document,
                path=path,
                content=canonical(element),
                title=title,
                code=code,
                template_ids=template_ids,
            )
        )

    def _third_party(self, section: etree._Element) -> bool:
        orgs = organisation_ids(_SECTION_ORGS(section))
        return bool(orgs) and orgs.isdisjoint(self.document_orgs)


def split_document(
    data: bytes, patient_id: uuid.UUID, limits: XmlLimits | None = None
) -> SplitDocument:
    """Parse, check and split a CDA document for the patient with this global id.

    Raises an InvalidDocument subclass for anything that is not a usable CDA document,
    TooManySections (before any splitting) past the configured number of sections.
    """
    limits = limits or XmlLimits()
    root = parse_xml(data, limits)
    check_clinical_document(root)
    _check_section_count(root, limits.max_sections)
    document = document_ref(root)
    splitter = _Splitter(
        patient_id,
        document,
        organisation_ids(_DOCUMENT_ORGS(root)),
        tracking_ids(patient_id, document.id),
    )
    body = first_child(root, _COMPONENT)
    structured = first_child(body, _STRUCTURED) if body is not None else None
    unstructured = first_child(body, _UNSTRUCTURED) if body is not None else None
    if structured is not None:
        for index, section in enumerate(_child_sections(structured), start=1):
            splitter.section(section, f"body/{index}")
    elif unstructured is not None:
        splitter.add(SegmentKind.OTHER, "body", unstructured, title="Unstructured document body")
    header = _header_skeleton(root, body, structured)
    splitter.add(SegmentKind.PERSONAL, "header", header, title=document.title, code=document.code)
    ordered = sorted(splitter.segments, key=lambda s: path_sort_key(s.path))
    return SplitDocument(document, patient_id, tuple(ordered))


def _check_section_count(root: etree._Element, limit: int) -> None:
    # Every section becomes a segment: one object to seal and store, one index row. The
    # count is a walk of the tree in C, far cheaper than splitting what would be refused.
    count = sum(1 for _ in root.iter(_SECTION))
    if count > limit:
        raise TooManySections(
            f"the document has {count:,} sections; at most {limit:,} are accepted"
        )


def _header_skeleton(
    root: etree._Element, body: etree._Element | None, structured: etree._Element | None
) -> etree._Element:
    # A new ClinicalDocument that takes over the header elements of the parsed tree
    # (which is not used again) and gets a placeholder wherever a section or the
    # unstructured body was. Moving header elements walks only the header; copying
    # them, or moving the sections out instead, would cost far more.
    # Declaring the placeholder namespace once here spares a declaration per placeholder.
    skeleton = root.makeelement(root.tag, root.attrib, nsmap={**root.nsmap, "phr": SEGMENT_NS})
    skeleton.text = root.text
    for child in list(root.iterchildren(etree.Element)):
        if child is not body:
            skeleton.append(child)
    if body is None:
        return skeleton
    component = _shallow(body, skeleton)
    for part in body.iterchildren(etree.Element):
        if part is structured:
            _body_skeleton(part, _shallow(part, component))
        elif part.tag == _UNSTRUCTURED:
            etree.SubElement(component, REF_TAG, path="body")
        else:
            component.append(deepcopy(part))
    return skeleton


def _body_skeleton(structured: etree._Element, skeleton: etree._Element) -> None:
    index = 0
    for child in structured.iterchildren(etree.Element):
        section = first_child(child, _SECTION) if child.tag == _COMPONENT else None
        if section is None:  # nothing here is a section, but nothing is dropped either
            skeleton.append(deepcopy(child))
            continue
        index += 1
        ref = etree.SubElement(_shallow(child, skeleton), REF_TAG, path=f"body/{index}")
        ref.tail = section.tail


def _shallow(element: etree._Element, parent: etree._Element) -> etree._Element:
    copy = etree.SubElement(parent, element.tag, element.attrib)
    copy.text, copy.tail = element.text, element.tail
    return copy


def _child_sections(parent: etree._Element) -> Iterator[etree._Element]:
    for component in parent.iterchildren(_COMPONENT):
        for child in component:
            if child.tag == _SECTION:
                yield child
                break


def _replace_with_ref(element: etree._Element, path: str) -> None:
    parent = element.getparent()
    if parent is not None:
        ref = segment_ref(path, like=element)
        ref.tail = element.tail
        parent.replace(element, ref)
