"""ZIP codes under Safe Harbor."""

from __future__ import annotations

import pytest

from phr_share.deid.geography import restricted_zip3, zip3


@pytest.mark.parametrize(
    ("postal", "released"),
    [
        ("97024", "970"),
        ("97024-1188", "970"),
        ("970241188", "970"),
        ("03601", "000"),  # 036: 20,000 people or fewer
        ("89301", "000"),
        ("10001", "100"),
        ("EC1A 1BB", None),
        ("K1A 0B1", None),
        ("", None),
        (None, None),
    ],
)
def test_zip3(postal: str | None, released: str | None) -> None:
    assert zip3(postal) == released


def test_the_restricted_list_is_the_published_one() -> None:
    published = ["036", "059", "063", "102", "203", "556", "692", "790", "821", "823", "830"]
    published += ["831", "878", "879", "884", "890", "893"]
    assert restricted_zip3() == frozenset(published)
