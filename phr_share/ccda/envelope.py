"""The segment envelope (``schemas/segment.xsd``): a segment as a standalone XML file.

Reading an envelope trusts nothing in it: the file is parsed by the hardened parser,
validated against the schema, its content hash recomputed from the canonical XML and
its tracking id recomputed from the patient, document and path.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from lxml import etree

from phr_share.ccda.schemas import validate
from phr_share.ccda.xml import canonical, hl7, parse_xml
from phr_share.errors import InvalidSegment
from phr_share.models import (
    Code,
    DocumentRef,
    InstanceId,
    Segment,
    SegmentKind,
    path_sort_key,
    tracking_id_for,
)
from phr_share.settings import XmlLimits

__all__ = [
    "SEGMENT_NS",
    "segment_from_xml",
    "segment_ref",
    "segment_to_xml",
    "segments_from_xml",
    "segments_to_xml",
]

SEGMENT_NS = "urn:phr-share:segment:1"
FORMAT = "1"
REF_TAG = f"{{{SEGMENT_NS}}}segment-ref"


def _tag(local: str) -> str:
    return f"{{{SEGMENT_NS}}}{local}"


def segment_ref(path: str, like: etree._Element | None = None) -> etree._Element:
    """The placeholder left in a parent's content where a child segment was split off.

    With ``like``, it is made in that element's document (cheaper to move in there).
    """
    make = etree.Element if like is None else like.makeelement
    return make(REF_TAG, {"path": path}, nsmap={"phr": SEGMENT_NS})


def segment_to_xml(segment: Segment) -> bytes:
    """Serialise one segment as an envelope document (UTF-8, with declaration)."""
    return etree.tostring(_envelope(segment), xml_declaration=True, encoding="UTF-8")


def segments_to_xml(segments: Iterable[Segment]) -> bytes:
    """Concatenate segments into one ``<segments>`` document, in document order."""
    bundle = etree.Element(_tag("segments"), {"format": FORMAT}, nsmap={None: SEGMENT_NS})
    ordered = sorted(segments, key=lambda s: (str(s.document.id), path_sort_key(s.path)))
    for segment in ordered:
        bundle.append(_envelope(segment))
    return etree.tostring(bundle, xml_declaration=True, encoding="UTF-8")


def segment_from_xml(data: bytes, limits: XmlLimits | None = None) -> Segment:
    """Read one envelope; raises InvalidDocument or InvalidSegment."""
    root = parse_xml(data, limits)
    if root.tag != _tag("segment"):
        raise InvalidSegment("not a PHR Share segment file (expected a <segment> root)")
    validate(root, "segment.xsd", "segment file")
    return _read(root)


def segments_from_xml(data: bytes, limits: XmlLimits | None = None) -> tuple[Segment, ...]:
    """Read a ``<segments>`` bundle or a single envelope; raises as segment_from_xml."""
    root = parse_xml(data, limits)
    if root.tag == _tag("segment"):
        validate(root, "segment.xsd", "segment file")
        return (_read(root),)
    if root.tag != _tag("segments"):
        raise InvalidSegment("not a PHR Share segment file (expected <segment> or <segments>)")
    validate(root, "segment.xsd", "segment bundle")
    return tuple(_read(child) for child in root.iterchildren(_tag("segment")))


def _envelope(segment: Segment) -> etree._Element:
    env = etree.Element(
        _tag("segment"),
        {
            "format": FORMAT,
            "kind": segment.kind.value,
            "tracking-id": str(segment.tracking_id),
            "patient-id": str(segment.patient_id),
            "path": segment.path,
            "sha256": segment.sha256,
        },
        nsmap={None: SEGMENT_NS},
    )
    env.append(_document(segment.document))
    if segment.code is not None:
        env.append(_code(segment.code))
    for template in segment.template_ids:
        etree.SubElement(env, _tag("template-id"), _instance(template))
    if segment.title is not None:
        etree.SubElement(env, _tag("title")).text = segment.title
    for field in segment.masked:
        etree.SubElement(env, _tag("masked"), {"field": field})
    etree.SubElement(env, _tag("content")).append(parse_xml(segment.content))
    return env


def _document(document: DocumentRef) -> etree._Element:
    attrs = {**_instance(document.id), "version": str(document.version)}
    if document.effective_time is not None:
        attrs["effective-time"] = document.effective_time
    element = etree.Element(_tag("document"), attrs)
    if document.code is not None:
        element.append(_code(document.code))
    if document.title is not None:
        etree.SubElement(element, _tag("title")).text = document.title
    if document.set_id is not None:
        etree.SubElement(element, _tag("set-id"), _instance(document.set_id))
    return element


def _code(code: Code) -> etree._Element:
    attrs = {"code": code.code, "code-system": code.system}
    if code.display is not None:
        attrs["display"] = code.display
    return etree.Element(_tag("code"), attrs)


def _instance(instance: InstanceId) -> dict[str, str]:
    attrs = {"root": instance.root}
    if instance.extension is not None:
        attrs["extension"] = instance.extension
    return attrs


_CONTENT_ROOT = {"header": hl7("ClinicalDocument"), "body": hl7("nonXMLBody")}


def _read(env: etree._Element) -> Segment:
    path = env.get("path", "")
    content = env.find(_tag("content"))
    children = list(content.iterchildren(etree.Element)) if content is not None else []
    content_root = children[0] if len(children) == 1 else None
    if content_root is None or content_root.tag != _CONTENT_ROOT.get(path, hl7("section")):
        raise InvalidSegment(f"segment at {path} holds the wrong kind of content")
    segment = Segment(
        kind=SegmentKind(env.get("kind", "")),
        tracking_id=uuid.UUID(env.get("tracking-id")),
        patient_id=uuid.UUID(env.get("patient-id")),
        document=_read_document(env.find(_tag("document"))),
        path=path,
        content=canonical(content_root),
        title=env.findtext(_tag("title")),
        code=_read_code(env.find(_tag("code"))),
        template_ids=tuple(_read_instance(t) for t in env.iterchildren(_tag("template-id"))),
        masked=tuple(m.get("field", "") for m in env.iterchildren(_tag("masked"))),
    )
    if segment.sha256 != env.get("sha256"):
        raise InvalidSegment(f"segment {segment.tracking_id}: content does not match its sha256")
    expected = tracking_id_for(segment.patient_id, segment.document.id, segment.path)
    if segment.tracking_id != expected:
        raise InvalidSegment(
            f"segment {segment.tracking_id}: tracking id does not match its origin"
        )
    return segment


def _read_document(element: etree._Element | None) -> DocumentRef:
    if element is None:  # the schema requires it; kept for the type checker
        raise InvalidSegment("segment has no document")
    set_id = element.find(_tag("set-id"))
    return DocumentRef(
        id=_read_instance(element),
        version=int(element.get("version", "1")),
        set_id=_read_instance(set_id) if set_id is not None else None,
        code=_read_code(element.find(_tag("code"))),
        title=element.findtext(_tag("title")),
        effective_time=element.get("effective-time"),
    )


def _read_code(element: etree._Element | None) -> Code | None:
    if element is None:
        return None
    return Code(element.get("code", ""), element.get("code-system", ""), element.get("display"))


def _read_instance(element: etree._Element) -> InstanceId:
    return InstanceId(element.get("root", ""), element.get("extension"))
