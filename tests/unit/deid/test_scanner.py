"""The leak scanner finds identifiers however they are written, and only them."""

from __future__ import annotations

import pytest

from phr_share.deid.scanner import scan
from phr_share.models import Identifiers, PhiKind

IDS = Identifiers(
    (
        (PhiKind.NAME, "Ann"),
        (PhiKind.NAME, "O'Hara"),
        (PhiKind.NAME, "Jo"),
        (PhiKind.GEOGRAPHY, "12 Birch Road"),
        (PhiKind.GEOGRAPHY, "97024-1188"),
        (PhiKind.PHONE, "tel:+1(555)201-3344"),
        (PhiKind.EMAIL, "mailto:ann@example.org"),
        (PhiKind.MRN, "A7734521"),
        (PhiKind.OTHER_ID, "61314"),
        (PhiKind.DATE, "20190601"),
    )
)


@pytest.mark.parametrize(
    ("output", "found"),
    [
        ("Patient ANN was seen", ("Ann",)),
        ("o hara, ann", ("Ann", "O'Hara")),
        ("at 12  birch road.", ("12 Birch Road",)),
        ("zip 970241188", ("97024-1188",)),
        ("call 555.201.3344", ("tel:+1(555)201-3344",)),
        ("(555) 201 3344", ("tel:+1(555)201-3344",)),
        ("write ANN@EXAMPLE.ORG", ("Ann", "mailto:ann@example.org")),
        ("mrn a-7734-521", ("A7734521",)),
        ("visit 61314 today", ("61314",)),
        ("June 1, 2019", ("20190601",)),
        ("1 Jun 2019", ("20190601",)),
        ("06/01/2019", ("20190601",)),
        ("2019-06-01", ("20190601",)),
        ('<effectiveTime value="20190601"/>', ("20190601",)),
    ],
)
def test_identifiers_are_found_however_written(output: str, found: tuple[str, ...]) -> None:
    assert sorted(f.value for f in scan(output, IDS)) == sorted(found)


@pytest.mark.parametrize(
    "output",
    [
        "Annual review; Joanne; jo",  # whole words only; two letters are never looked for
        "Birch pollen allergy, Road traffic accident",
        '<assignedEntity classCode="ANN"><code code="61314"/></assignedEntity>',  # vocabulary
        '<templateId root="2.16.840.1.113883.10.20.22.4.17"/><low value="2019"/>',
        "values 613 14 and 2019 06",
        "State OR, country US, year 2019",
    ],
)
def test_nothing_else_is_reported(output: str) -> None:
    assert scan(output, IDS) == []
