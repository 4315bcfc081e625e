"""Rebuild a well-formed CDA document from a chosen subset of one document's segments.

The header is the one the reader may see: the ``personal`` segment when it is among
the segments, otherwise a minimal header naming only the document and the patient's
opaque global id, with everything identifying masked (``nullFlavor="MSK"``). A section
whose parent section is not among the segments takes the parent's place.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from lxml import etree

from phr_share.ccda.envelope import REF_TAG, segment_ref
from phr_share.ccda.vocab import CONFIDENTIALITY, XSI, patient_instance_id
from phr_share.ccda.xml import HL7, hl7, parse_xml
from phr_share.errors import InvalidSegment
from phr_share.models import DocumentRef, Segment, path_sort_key
from phr_share.settings import XmlLimits

__all__ = ["rebuild_document"]

_US_REALM_HEADER = "2.16.840.1.113883.10.20.22.1.1"


def rebuild_document(segments: Iterable[Segment], limits: XmlLimits | None = None) -> bytes:
    """Reassemble segments of one document into CDA XML (UTF-8, with declaration).

    Raises InvalidSegment when the segments are empty, mix patients or documents, put two
    different contents at one position, or do not fit the header they come with.
    """
    by_path = _index(segments)
    header = by_path.get("header")
    if header is not None:
        root = parse_xml(header.content, limits)
    else:
        sample = next(iter(by_path.values()))
        root = _minimal_header(sample.patient_id, sample.document, by_path)
    used = _Assembler(by_path, limits).fill(root)
    stray = sorted(set(by_path) - used - {"header"}, key=path_sort_key)
    if stray:
        raise InvalidSegment(f"segment at {stray[0]} has no place in the document header")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _index(segments: Iterable[Segment]) -> dict[str, Segment]:
    by_path: dict[str, Segment] = {}
    for segment in segments:
        first = next(iter(by_path.values()), segment)
        if segment.patient_id != first.patient_id:
            raise InvalidSegment("the segments belong to more than one patient")
        if (segment.document.id, segment.document.version) != (
            first.document.id,
            first.document.version,
        ):
            raise InvalidSegment(
                "the segments come from more than one document; rebuild one at a time"
            )
        known = by_path.setdefault(segment.path, segment)
        if known.sha256 != segment.sha256:
            raise InvalidSegment(f"two different segments claim position {segment.path}")
    if not by_path:
        raise InvalidSegment("there are no segments to rebuild")
    return by_path


class _Assembler:
    def __init__(self, by_path: dict[str, Segment], limits: XmlLimits | None) -> None:
        self.by_path = by_path
        self.limits = limits
        self.used: set[str] = set()
        # Every path with a present segment somewhere below it, to promote orphans.
        self.ancestors = {
            path.rsplit("/", depth)[0] for path in by_path for depth in range(path.count("/") + 1)
        }

    def fill(self, element: etree._Element) -> set[str]:
        for ref in list(element.iter(REF_TAG)):
            self._replace(ref)
        return self.used

    def _replace(self, ref: etree._Element) -> None:
        path = ref.get("path", "")
        parts = self._materialise(path)
        component = ref.getparent()
        if component is None:
            return
        if path in self.by_path:
            parts[0].tail = ref.tail
            component.replace(ref, parts[0])
            return
        holder = component.getparent()
        if path == "body" or holder is None:
            component.replace(ref, etree.Element(hl7("structuredBody")))
            return
        for part in parts:  # sections promoted into the place of their missing parent
            wrapper = etree.Element(component.tag, dict(component.attrib))
            wrapper.append(part)
            component.addprevious(wrapper)
        holder.remove(component)

    def _materialise(self, path: str) -> list[etree._Element]:
        segment = self.by_path.get(path)
        if segment is not None:
            self.used.add(path)
            element = parse_xml(segment.content, self.limits)
            self.fill(element)
            return [element]
        if path not in self.ancestors:
            return []
        children = sorted(
            (p for p in self.ancestors if p.rpartition("/")[0] == path), key=path_sort_key
        )
        return [part for child in children for part in self._materialise(child)]


def _minimal_header(
    patient_id: uuid.UUID, document: DocumentRef, by_path: dict[str, Segment]
) -> etree._Element:
    root = etree.Element(hl7("ClinicalDocument"), nsmap={None: HL7, "xsi": XSI})
    _sub(root, "realmCode", code="US")
    _sub(root, "typeId", root="2.16.840.1.113883.1.3", extension="POCD_HD000040")
    _sub(root, "templateId", root=_US_REALM_HEADER, extension="2015-08-01")
    _sub(root, "id", **_ii(document.id.root, document.id.extension))
    code = document.code
    if code is not None:
        _sub(root, "code", code=code.code, codeSystem=code.system, **_opt(displayName=code.display))
    else:
        _sub(root, "code", nullFlavor="UNK")
    if document.title:
        _sub(root, "title").text = document.title
    _sub(
        root,
        "effectiveTime",
        **_opt(
            value=document.effective_time, nullFlavor=None if document.effective_time else "UNK"
        ),
    )
    _sub(root, "confidentialityCode", code="N", codeSystem=CONFIDENTIALITY)
    if document.set_id is not None:
        _sub(root, "setId", **_ii(document.set_id.root, document.set_id.extension))
        _sub(root, "versionNumber", value=str(document.version))
    role = _sub(_sub(root, "recordTarget"), "patientRole")
    patient_ii = patient_instance_id(patient_id)
    _sub(role, "id", **_ii(patient_ii.root, patient_ii.extension))
    patient = _sub(role, "patient")
    for masked in ("name", "administrativeGenderCode", "birthTime"):
        _sub(patient, masked, nullFlavor="MSK")
    author = _sub(root, "author")
    _sub(author, "time", nullFlavor="MSK")
    _sub(_sub(author, "assignedAuthor"), "id", nullFlavor="MSK")
    custodian = _sub(_sub(root, "custodian"), "assignedCustodian")
    _sub(_sub(custodian, "representedCustodianOrganization"), "id", nullFlavor="MSK")
    _body_skeleton(_sub(root, "component"), by_path)
    return root


def _body_skeleton(component: etree._Element, by_path: dict[str, Segment]) -> None:
    if "body" in by_path:
        component.append(segment_ref("body"))
        return
    body = _sub(component, "structuredBody")
    tops = {"/".join(path.split("/")[:2]) for path in by_path if path.startswith("body/")}
    for top in sorted(tops, key=path_sort_key):
        _sub(body, "component").append(segment_ref(top))


def _sub(parent: etree._Element, local: str, **attrs: str) -> etree._Element:
    return etree.SubElement(parent, hl7(local), attrs)


def _ii(root: str, extension: str | None) -> dict[str, str]:
    return _opt(root=root, extension=extension)


def _opt(**attrs: str | None) -> dict[str, str]:
    return {name: value for name, value in attrs.items() if value is not None}
