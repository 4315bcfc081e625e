"""C-CDA: hardened parsing, section kinds, splitting, rebuilding, home readings.

Pure: bytes in, objects out; no clock, no network, no environment. This package is the
only importer of lxml.
"""

from phr_share.ccda.envelope import (
    segment_from_xml,
    segment_to_xml,
    segments_from_xml,
    segments_to_xml,
)
from phr_share.ccda.ops import HIDEABLE_FIELDS, concatenate_segments, hide_fields, select_segments
from phr_share.ccda.readings import FamilyCondition, Mood, Quantity, Readings, parse_readings
from phr_share.ccda.readings_cda import PatientHeader, readings_document
from phr_share.ccda.rebuild import rebuild_document
from phr_share.ccda.sections import classify
from phr_share.ccda.split import SplitDocument, split_document
from phr_share.ccda.xml import parse_xml

__all__ = [
    "HIDEABLE_FIELDS",
    "FamilyCondition",
    "Mood",
    "PatientHeader",
    "Quantity",
    "Readings",
    "SplitDocument",
    "classify",
    "concatenate_segments",
    "hide_fields",
    "parse_readings",
    "parse_xml",
    "readings_document",
    "rebuild_document",
    "segment_from_xml",
    "segment_to_xml",
    "segments_from_xml",
    "segments_to_xml",
    "select_segments",
    "split_document",
]
