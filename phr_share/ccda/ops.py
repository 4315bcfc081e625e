"""Library functions over split segments: hide fields, select segments, concatenate them.

The ``rebuild`` command selects with :func:`select_segments`; :func:`hide_fields` and
:func:`concatenate_segments` serve library callers, not the app's read paths (a reader
gets whole segments the decision point permits, and a rebuilt document masks its own
header). Rebuilding a document from segments is in :mod:`phr_share.ccda.rebuild`.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Collection, Iterable
from dataclasses import replace

from lxml import etree

from phr_share.ccda.envelope import segments_to_xml
from phr_share.ccda.identity import ORGANISATION_NAME_HOLDERS, PERSON_NAME_HOLDERS
from phr_share.ccda.xml import HL7, canonical, hl7, parse_xml
from phr_share.errors import InvalidSegment
from phr_share.models import Segment, SegmentKind

__all__ = ["HIDEABLE_FIELDS", "concatenate_segments", "hide_fields", "select_segments"]


def _under(parents: Collection[str], child: str) -> str:
    return " | ".join(f".//h:{parent}/h:{child}" for parent in sorted(parents))


# Field name -> the elements it covers. Masking keeps each element (the CDA stays
# structurally valid) but empties it and marks it nullFlavor="MSK".
HIDEABLE_FIELDS: dict[str, str] = {
    "ids": ".//h:id",
    "person-names": _under(PERSON_NAME_HOLDERS, "name"),
    "organisation-names": _under(ORGANISATION_NAME_HOLDERS, "name"),
    "addresses": ".//h:addr",
    "telecoms": ".//h:telecom",
    "birth-times": ".//h:birthTime",
    "narrative": "h:text",
}


def hide_fields(segment: Segment, fields: Collection[str]) -> Segment:
    """The segment with the named fields masked; raises InvalidSegment on an unknown field."""
    unknown = sorted(set(fields) - set(HIDEABLE_FIELDS))
    if unknown:
        raise InvalidSegment(f"cannot hide unknown field(s): {', '.join(unknown)}")
    root = parse_xml(segment.content)
    for name in sorted(fields):
        for element in _finder(name)(root):
            _mask(element)
    masked = tuple(sorted({*segment.masked, *fields}))
    return replace(segment, content=canonical(root), masked=masked)


def select_segments(
    segments: Iterable[Segment],
    *,
    kinds: Collection[SegmentKind] | None = None,
    tracking_ids: Collection[uuid.UUID] | None = None,
) -> tuple[Segment, ...]:
    """The segments of the given kinds and/or tracking ids (None means any), in order."""
    return tuple(
        s
        for s in segments
        if (kinds is None or s.kind in kinds)
        and (tracking_ids is None or s.tracking_id in tracking_ids)
    )


def concatenate_segments(segments: Iterable[Segment]) -> bytes:
    """Join segments of one patient into a single ``<segments>`` document.

    Raises InvalidSegment when they belong to more than one patient.
    """
    chosen = list(segments)
    if len({s.patient_id for s in chosen}) > 1:
        raise InvalidSegment("cannot concatenate segments of more than one patient")
    return segments_to_xml(chosen)


@functools.cache
def _finder(name: str) -> etree.XPath:
    return etree.XPath(HIDEABLE_FIELDS[name], namespaces={"h": HL7})


def _mask(element: etree._Element) -> None:
    tail = element.tail
    element.clear()
    element.tail = tail
    if element.tag != hl7("text"):  # narrative blocks have no nullFlavor; emptied is enough
        element.set("nullFlavor", "MSK")
