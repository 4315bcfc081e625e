"""People that no header names, found by the relationship word or title before them."""

from __future__ import annotations

import pytest

from phr_share.deid.names import introduced_names, learnt_names


def named(text: str) -> str:
    for start, end in reversed(introduced_names(text)):
        text = text[:start] + "[NAME]" + text[end:]
    return text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("seen with her daughter Ingrid Ferreira today", "seen with her daughter [NAME] today"),
        ("his son, Tom, drove him", "his son, [NAME], drove him"),
        ("wife Mary-Ann O'Neil", "wife [NAME]"),
        ("wife Mary\u2013Ann O\u2019Neil at bedside", "wife [NAME] at bedside"),
        ("caregiver: Luis", "caregiver: [NAME]"),
        ("neighbour (Ana Souza)", "neighbour ([NAME])"),
        ("accompanied by mother Gloria", "accompanied by mother [NAME]"),
        ("Accompanied by Gloria", "Accompanied by [NAME]"),
        ("brother-in-law Rui Costa", "brother-in-law [NAME]"),
        ("great-granddaughter Zoe", "great-granddaughter [NAME]"),
        ("the patient's guardian, named Helena Vogt", "the patient's guardian, named [NAME]"),
        ("daughter's name is Ingrid", "daughter's name is [NAME]"),
        ("friend called Ana de Souza", "friend called [NAME]"),
        ("son J. Smith", "son [NAME]"),
        (
            "her daughters Ana, Luisa and Maria visit",
            "her daughters [NAME], [NAME] and [NAME] visit",
        ),
        ("his wife Mary's car", "his wife [NAME]'s car"),
        ("Emergency contact: Ana Souza", "Emergency contact: [NAME]"),
        ("Spouse name: Ana Souza", "Spouse name: [NAME]"),
        ("HIS SON TOM HAS DIABETES", "HIS SON [NAME] HAS DIABETES"),
        ("Ingrid Ferreira (daughter) at bedside", "[NAME] (daughter) at bedside"),
        ("Ana Souza, her neighbour, called", "[NAME], her neighbour, called"),
        ("cardiologist Wendell Okafor", "cardiologist [NAME]"),
        ("Dr. Wendell Okafor", "Dr. [NAME]"),
        ("Seen by Dr. \u00c9lodie M\u00fcller.", "Seen by Dr. [NAME]."),
        ("Dr. Hand and Mr. JONES", "Dr. [NAME] and Mr. [NAME]"),  # after a title, all names
        ("her husband Mr. Okafor", "her husband Mr. [NAME]"),
        ("Nurse Practitioner Jane Doe", "Nurse Practitioner [NAME]"),
        ("daughter Grace and son Will", "daughter [NAME] and son [NAME]"),
        ("Nurse RN Nightingale, Nancy", "Nurse RN [NAME], [NAME]"),
        (
            "Lives at 42 Old Mill Road. Mrs Ana Souza called",
            "Lives at 42 Old Mill Road. Mrs [NAME] called",
        ),
        ("Dr. Robert Dolin, Nov 07, 1999", "Dr. [NAME], Nov 07, 1999"),
    ],
)
def test_a_relationship_or_title_introduces_a_name(text: str, expected: str) -> None:
    assert named(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "his son has diabetes",
        "wife Type 2 diabetes",
        "Mother: Parkinson disease",
        "Father: Alzheimer's",
        "Brother: Down syndrome",
        "Mother: Crohn's disease",
        "Sister: Bell's palsy",
        "Mother: Hodgkin lymphoma",
        "Father: Glasgow Coma Scale 7 after his stroke",
        "MOTHER: PARKINSON DISEASE",
        "Mother: Diabetes, Hypertension",
        "Father: CAD, HTN",
        "lives with HIV",
        "lives with Parkinson's disease",
        "Grandmother: Hashimoto Thyroiditis",
        "Glaucoma (mother)",
        "Breast Cancer (Mother)",
        "Caregiver: Mother",
        "Twin A delivered",
        "Baby Aspirin 81 mg",
        "Partners HealthCare",
        "Father (deceased)",
        "ask your doctor. Keep it cold",
        "1002 Healthcare Dr. Portland",
        "Allopathic & Osteopathic Physicians; Internal Medicine, Gastroenterology",
        "Technologist, Pathology",
        "Provider Rating",
        "Alzheimer's (father)",
        "Mother: Essential hypertension",
        "Father: Congestive heart failure",
        "Mother: Barrett esophagus",
    ],
)
def test_clinical_words_after_a_relationship_stay(text: str) -> None:
    assert introduced_names(text) == []


def test_introduced_names_are_learnt_whole_and_word_by_word() -> None:
    assert learnt_names("with her daughter Ingrid Ferreira") == {
        "Ingrid Ferreira",
        "Ingrid",
        "Ferreira",
    }
    assert learnt_names("Dr. Okafor") == {"Okafor"}
    assert learnt_names("Active") is None  # introduces nobody


def test_names_read_where_capitals_say_little_are_scrubbed_but_not_learnt() -> None:
    texts = ["HIS SON TOM WILL BRING THE LIST", "Her Son Tom Will Drive Her Home"]
    assert [named(t) for t in texts] == [
        "HIS SON [NAME] BRING THE LIST",
        "Her Son [NAME] Drive Her Home",
    ]
    assert [learnt_names(t) for t in texts] == [frozenset(), frozenset()]
