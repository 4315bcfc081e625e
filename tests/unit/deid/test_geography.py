"""ZIP codes under Safe Harbor."""

from __future__ import annotations

import pytest

from phr_share.deid.geography import generalise_zip_codes, restricted_zip3, zip3


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


@pytest.mark.parametrize(
    ("text", "expected", "removed"),
    [
        ("lives in OH 45584 now", "lives in OH [ZIP 455] now", 1),
        ("Dayton, Ohio 45402-1234.", "[ADDRESS], Ohio [ZIP 454].", 2),
        ("Portland, OR, 97005, phone 555-0100", "[ADDRESS], OR, [ZIP 970], phone 555-0100", 2),
        ("Berlin NH 03601", "[ADDRESS] NH [ZIP 000]", 2),  # 036 is a small area
        ("New York, New York 10001", "[ADDRESS], New York [ZIP 100]", 2),
        ("Winston-Salem, North Carolina 27101", "[ADDRESS], North Carolina [ZIP 271]", 2),
        ("St. Louis, Mo. 63101", "[ADDRESS], Mo. [ZIP 631]", 2),
        ("mail to Calif. 94110", "mail to Calif. [ZIP 941]", 1),
        ("W.Va. 25301", "W.Va. [ZIP 253]", 1),
        ("to Dr. Souza. Portland OR 97005", "to Dr. Souza. [ADDRESS] OR [ZIP 970]", 2),
        ("ZIP 45402", "ZIP [ZIP 454]", 1),
        ("zip code: 45402-1234", "zip code: [ZIP 454]", 1),
        ("Postal code 45402", "Postal code [ZIP 454]", 1),
    ],
)
def test_zip_codes_in_prose_keep_their_zip3(text: str, expected: str, removed: int) -> None:
    assert generalise_zip_codes(text) == (expected, removed)


@pytest.mark.parametrize(
    "text",
    [
        "Heparin sodium 10000 UNT/ML",
        "OH 455841",  # six digits: not a ZIP code
        "Ohio resident since 2019",
        "in 46202 cases",  # a lower-case "in" is not Indiana
        "NYHA class II, 10000 steps",
    ],
)
def test_five_digits_without_a_state_or_label_stay(text: str) -> None:
    assert generalise_zip_codes(text) == (text, 0)
