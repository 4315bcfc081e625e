"""The free-text scrubber, pattern by pattern."""

from __future__ import annotations

from collections import Counter

import pytest

from phr_share.deid.text import DateParts, TextScrubber
from phr_share.models import Identifiers, PhiKind

NOTHING_KNOWN = Identifiers()


def scrubber(known: Identifiers = NOTHING_KNOWN) -> tuple[TextScrubber, Counter[PhiKind]]:
    counts: Counter[PhiKind] = Counter()

    def on_date(parts: DateParts) -> str:
        return "[DATE]" if parts.year is None else str(parts.year)

    def count(kind: PhiKind) -> None:
        counts[kind] += 1

    return TextScrubber(known, on_date, count, oldest_birth_year=1936), counts


@pytest.mark.parametrize(
    ("text", "expected", "kind"),
    [
        ("seen 03/14/2024 at 10:00", "seen 2024 at 10:00", PhiKind.DATE),
        ("seen 3/4/24", "seen [DATE]", PhiKind.DATE),
        ("Last seen 07/30/2021.", "Last seen 2021.", PhiKind.DATE),
        ("on 2024-03-14T10:15:00-05:00", "on 2024", PhiKind.DATE),
        ("on 2024/03/14", "on 2024", PhiKind.DATE),
        ("on March 14th, 2024", "on 2024", PhiKind.DATE),
        ("on 14 March 2024", "on 2024", PhiKind.DATE),
        ("on Sep-16-2014 -", "on 2014 -", PhiKind.DATE),
        ("in June 2019", "in 2019", PhiKind.DATE),
        ("on June 3rd", "on [DATE]", PhiKind.DATE),
        ("06/2019", "2019", PhiKind.DATE),
        ("stamp 20190601101500", "stamp 2019", PhiKind.DATE),
        ("he is 93 years old", "he is 90+ years", PhiKind.DATE),
        ("aged 101", "age 90+", PhiKind.DATE),
        ("born in 1930", "born in [DATE]", PhiKind.DATE),
        ("call (555) 010-4477 today", "call [PHONE] today", PhiKind.PHONE),
        ("call +1 555.010.4477", "call [PHONE]", PhiKind.PHONE),
        ("mail jo.doe+x@mail.example.com", "mail [EMAIL]", PhiKind.EMAIL),
        ("Email: luis.szab\u00f3@example.net", "Email: [EMAIL]", PhiKind.EMAIL),
        ("see http://a.example.org/x?y=1 now", "see [URL] now", PhiKind.URL),
        ("see www.example.org", "see [URL]", PhiKind.URL),
        ("see WWW.EXAMPLE.ORG", "see [URL]", PhiKind.URL),
        ("from 10.0.0.254.", "from [IP].", PhiKind.IP_ADDRESS),
        ("ssn 999-45-6789", "ssn [ID]", PhiKind.SSN),
        ("SSN: 999-45-6789", "SSN: [ID]", PhiKind.SSN),
        ("MRN# 12345678", "MRN# [ID]", PhiKind.MRN),
        ("Policy No. XK-99812", "Policy No. [ID]", PhiKind.HEALTH_PLAN),
        ("Acct 5521234", "Acct [ID]", PhiKind.ACCOUNT),
        ("DEA AB1234563", "DEA [ID]", PhiKind.LICENCE),
        ("VIN 1HGCM82633A004352", "VIN [VEHICLE]", PhiKind.VEHICLE),
        ("lives at 42 Old Mill Road.", "lives at [ADDRESS]", PhiKind.GEOGRAPHY),
        ("PO Box 77", "[ADDRESS]", PhiKind.GEOGRAPHY),
        ("zip 97024-1188", "zip [ZIP 970]", PhiKind.GEOGRAPHY),
        ("sent to 97024-1188 by post", "sent to [ZIP 970] by post", PhiKind.GEOGRAPHY),
        ("Salem, OR 97301", "[ADDRESS], OR [ZIP 973]", PhiKind.GEOGRAPHY),
        ("moved to OH 45584", "moved to OH [ZIP 455]", PhiKind.GEOGRAPHY),
        ("Dayton, Ohio 45402-1234", "[ADDRESS], Ohio [ZIP 454]", PhiKind.GEOGRAPHY),
        ("seen with her daughter Ingrid Ferreira", "seen with her daughter [NAME]", PhiKind.NAME),
        ("caregiver: Luis", "caregiver: [NAME]", PhiKind.NAME),
        ("neighbour (Ana Souza) visits", "neighbour ([NAME]) visits", PhiKind.NAME),
        ("Seen by Dr. Kwame Mensah.", "Seen by Dr. [NAME].", PhiKind.NAME),
        ("ref 12345678901", "ref [ID]", PhiKind.OTHER_ID),
        ("Cell 4645829736.", "Cell [ID].", PhiKind.OTHER_ID),
        ("sample AB123456", "sample [ID]", PhiKind.OTHER_ID),
    ],
)
def test_patterns(text: str, expected: str, kind: PhiKind) -> None:
    scrub, counts = scrubber()
    assert scrub(text) == expected
    assert counts[kind] >= 1


@pytest.mark.parametrize(
    "text",
    [
        "BP 146/92 mmHg, HR 78 /min, weight 84.2 kg",
        "HbA1c 7.4 %; COVID-19 vaccine; ICD-10 I10; B12 level 300 pg/mL",
        "Type 2 diabetes since 2021; 89 years old",
        "Lisinopril 10 mg tablet, may take with food",
        "born in 1940",
        "OID 2.16.840.1.113883.6.1",
        "range 120-130",
        "release 1.2.2021.5",
        "Mother: Parkinson disease; his son has diabetes",
        "Nurse Practitioner visit",
    ],
)
def test_clinical_text_is_left_alone(text: str) -> None:
    scrub, counts = scrubber()
    assert scrub(text) == text
    assert not counts


def test_known_identifiers_go_whatever_their_case_and_spacing() -> None:
    known = Identifiers(
        (
            (PhiKind.NAME, "Ottoline"),
            (PhiKind.NAME, "Vexley"),
            (PhiKind.GEOGRAPHY, "12 Birch Road"),
            (PhiKind.PHONE, "tel:+1(555)201-3344"),
            (PhiKind.MRN, "A7734521"),
        )
    )
    scrub, counts = scrubber(known)
    text = "OTTOLINE  vexley of 12 birch   road, 555 201 3344, chart a7734521; Vexleyfield stays"
    assert scrub(text) == "[NAME]  [NAME] of [ADDRESS], [PHONE], chart [ID]; Vexleyfield stays"
    assert counts == Counter(
        {PhiKind.NAME: 2, PhiKind.GEOGRAPHY: 1, PhiKind.PHONE: 1, PhiKind.MRN: 1}
    )


def test_a_repeated_text_is_counted_at_every_occurrence() -> None:
    scrub, counts = scrubber(Identifiers(((PhiKind.NAME, "Vexley"),)))
    first = scrub("Mrs Vexley seen 03/14/2024")
    assert scrub("Mrs Vexley seen 03/14/2024") == first == "Mrs [NAME] seen 2024"
    assert scrub("Active") == scrub("Active") == "Active"
    assert counts == Counter({PhiKind.NAME: 2, PhiKind.DATE: 2})


@pytest.mark.parametrize(
    "written",
    [
        "O\u2019Brien reports pain",
        "OBRIEN reports pain",
        "Mary\u2013Ann O`Brien",
        "Mary Ann OBrien",
        "MaryAnn",
        "Mary-Ann O'Brien with Jose",
    ],
)
def test_known_names_are_found_however_apostrophes_hyphens_and_accents_are_written(
    written: str,
) -> None:
    known = Identifiers(
        (
            (PhiKind.NAME, "Mary-Ann"),
            (PhiKind.NAME, "Mary-Ann O'Brien"),
            (PhiKind.NAME, "O'Brien"),
            (PhiKind.NAME, "Jos\u00e9"),
        )
    )
    scrub, counts = scrubber(known)
    scrubbed = scrub(written).lower()
    assert "brien" not in scrubbed
    assert "ann" not in scrubbed
    assert "jose" not in scrubbed
    assert counts[PhiKind.NAME] >= 1
