"""Every document of the shared C-CDA corpus splits with no section lost and rebuilds."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from phr_share.ccda import rebuild_document, segment_from_xml, segment_to_xml, split_document
from phr_share.ccda.header import check_clinical_document
from phr_share.ccda.xml import HL7, parse_xml
from tests.conftest import PATIENT, corpus_dir, corpus_files

H = f"{{{HL7}}}"
FILES = corpus_files()

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not FILES, reason=f"no C-CDA corpus at {corpus_dir()} (set PHR_CORPUS_DIR)"),
]


def section_outline(root: etree._Element) -> list[tuple[str | None, str]]:
    """(LOINC code, title) of every section in document order."""
    outline = []
    for section in root.iter(f"{H}section"):
        code = section.find(f"{H}code")
        title = " ".join("".join(section.findtext(f"{H}title") or "").split())
        outline.append((code.get("code") if code is not None else None, title))
    return outline


def test_the_corpus_is_the_one_we_expect() -> None:
    assert len(FILES) >= 130


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(corpus_dir())))
def test_no_section_is_lost_and_all_segments_rebuild_it(path: Path) -> None:
    data = path.read_bytes()
    source = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    result = split_document(data, PATIENT)

    # every section of the source is accounted for by exactly one segment
    assert len(result.section_segments) == len(source.findall(f".//{H}section"))
    assert len({s.path for s in result.segments}) == len(result.segments)

    # all segments rebuild a well-formed CDA document with the same sections
    rebuilt = rebuild_document(result.segments)
    root = parse_xml(rebuilt)
    check_clinical_document(root)
    assert section_outline(root) == section_outline(source)
    assert split_document(rebuilt, PATIENT).segments == result.segments

    # each segment stands alone in its envelope
    for segment in result.segments:
        assert segment_from_xml(segment_to_xml(segment)) == segment
