"""Every corpus document splits with no section lost and rebuilds: HL7's shipped examples
in every clone, and the documents under $PHR_CORPUS_DIR when it is set."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from phr_share.ccda import rebuild_document, segment_from_xml, segment_to_xml, split_document
from phr_share.ccda.header import check_clinical_document
from phr_share.ccda.xml import HL7, parse_xml
from tests.conftest import (
    HL7_EXAMPLES,
    HL7_EXPECTED,
    PATIENT,
    corpus_dir,
    corpus_files,
    corpus_name,
)

H = f"{{{HL7}}}"
FILES = corpus_files()

pytestmark = pytest.mark.corpus


def section_outline(root: etree._Element) -> list[tuple[str | None, str]]:
    """(LOINC code, title) of every section in document order."""
    outline = []
    for section in root.iter(f"{H}section"):
        code = section.find(f"{H}code")
        title = " ".join("".join(section.findtext(f"{H}title") or "").split())
        outline.append((code.get("code") if code is not None else None, title))
    return outline


def test_every_shipped_example_is_expected_and_named_in_the_provenance() -> None:
    shipped = sorted(p.name for p in HL7_EXAMPLES.glob("*.xml"))
    assert shipped == sorted(HL7_EXPECTED)
    assert len([n for n, error in HL7_EXPECTED.items() if error is None]) >= 13
    provenance = (HL7_EXAMPLES / "PROVENANCE.md").read_text("utf-8")
    assert all(f"`{name}`" in provenance for name in shipped)
    larger = corpus_dir()
    if larger is not None:  # a corpus named on purpose holds documents
        assert len(FILES) > len(shipped)


@pytest.mark.parametrize(
    "name", sorted(n for n, e in HL7_EXPECTED.items() if e), ids=lambda n: f"hl7/{n}"
)
def test_a_shipped_stub_or_fragment_is_refused_with_its_error(name: str) -> None:
    expected = HL7_EXPECTED[name]
    assert expected is not None
    with pytest.raises(expected):
        split_document((HL7_EXAMPLES / name).read_bytes(), PATIENT)


@pytest.mark.parametrize("path", FILES, ids=corpus_name)
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
