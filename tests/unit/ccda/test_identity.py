"""Where a CDA document says who someone is."""

from __future__ import annotations

from phr_share.ccda.identity import collect_identifiers
from phr_share.ccda.xml import parse_xml
from phr_share.models import PhiKind


def test_a_title_or_qualification_is_no_name_on_its_own() -> None:
    author = parse_xml(
        b'<author xmlns="urn:hl7-org:v3"><assignedAuthor><assignedPerson><name>'
        b"<prefix>Dr</prefix><given>Henry</given><family>Seven</family><suffix>MD</suffix>"
        b"</name></assignedPerson></assignedAuthor></author>"
    )
    names = collect_identifiers(author).of(PhiKind.NAME)
    assert names == {"Henry", "Seven", "Dr Henry Seven MD"}
