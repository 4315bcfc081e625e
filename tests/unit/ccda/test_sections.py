"""The section -> kind table: its integrity and the classification rules."""

from __future__ import annotations

import pytest

from phr_share.ccda.sections import build_table, classify, section_table
from phr_share.ccda.vocab import BODY_MEASURES_TEMPLATE
from phr_share.models import LOINC, Code, InstanceId, SegmentKind


def loinc(code: str) -> Code:
    return Code(code, LOINC)


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("11450-4", SegmentKind.HEALTH_STATUS),  # problems
        ("11348-0", SegmentKind.HEALTH_STATUS),  # history of past illness
        ("48765-2", SegmentKind.HEALTH_STATUS),  # allergies
        ("10160-0", SegmentKind.HEALTH_STATUS),  # medications
        ("11369-6", SegmentKind.HEALTH_STATUS),  # immunizations
        ("47519-4", SegmentKind.HEALTH_STATUS),  # procedures
        ("30954-2", SegmentKind.HEALTH_STATUS),  # results
        ("46240-8", SegmentKind.HEALTH_STATUS),  # encounters
        ("8716-3", SegmentKind.PHYSICAL_SIGNS),  # vital signs
        ("10157-6", SegmentKind.FAMILY_HISTORY),
        ("10190-7", SegmentKind.PATIENT_NARRATIVE),  # mental status
        ("47420-5", SegmentKind.PATIENT_NARRATIVE),  # functional status
        ("29762-2", SegmentKind.LIFESTYLE),  # social history
        ("61144-2", SegmentKind.LIFESTYLE),  # nutrition
        ("51847-2", SegmentKind.DOCTOR_NOTES),  # assessment and plan
        ("18776-5", SegmentKind.DOCTOR_NOTES),  # plan of care
        ("69730-0", SegmentKind.DOCTOR_NOTES),  # instructions
        ("29299-5", SegmentKind.DOCTOR_NOTES),  # reason for visit
        ("48768-6", SegmentKind.PERSONAL),  # payers: member ids identify the patient
    ],
)
def test_the_design_table_sections_map_to_their_kinds(code: str, kind: SegmentKind) -> None:
    assert classify((), loinc(code)) is kind


def test_a_template_id_wins_over_the_code() -> None:
    # A discharge-diagnosis template seen with a nonstandard code in the corpus.
    templates = (InstanceId("2.16.840.1.113883.10.20.22.2.24", "2015-08-01"),)
    assert classify(templates, Code("C-CDAV2-DDN", LOINC)) is SegmentKind.HEALTH_STATUS
    assert classify((), Code("C-CDAV2-DDN", LOINC)) is SegmentKind.OTHER


def test_body_measures_are_recognised_by_the_project_template() -> None:
    templates = (InstanceId(BODY_MEASURES_TEMPLATE), InstanceId("2.16.840.1.113883.10.20.22.2.4.1"))
    assert classify(templates, loinc("8716-3")) is SegmentKind.BODY_MEASURES


def test_codes_match_only_in_their_own_code_system() -> None:
    assert classify((), Code("11450-4", "2.16.840.1.113883.6.96")) is SegmentKind.OTHER


def test_unknown_and_uncoded_sections_are_other_never_an_error() -> None:
    assert classify((), None) is SegmentKind.OTHER
    assert classify((InstanceId("1.2.3.4"),), loinc("00000-0")) is SegmentKind.OTHER


def test_a_section_by_another_organisation_is_third_party_but_personal_stays_personal() -> None:
    assert classify((), loinc("30954-2"), third_party=True) is SegmentKind.THIRD_PARTY
    assert classify((), loinc("48768-6"), third_party=True) is SegmentKind.PERSONAL


def test_the_packaged_table_has_every_kind_it_claims_and_no_conflicts() -> None:
    table = section_table()
    kinds = {rule.kind for rule in (*table.by_template.values(), *table.by_code.values())}
    assert kinds >= set(SegmentKind) - {SegmentKind.THIRD_PARTY}
    assert len(table.by_template) > 50
    assert len(table.by_code) > 50


def test_a_table_mapping_one_code_to_two_kinds_is_rejected() -> None:
    row = {"code_system": LOINC, "code": "1-1", "template_root": "", "section": "x"}
    with pytest.raises(ValueError, match="already maps"):
        build_table([{**row, "kind": "lifestyle"}, {**row, "kind": "other"}])


def test_a_row_with_neither_code_nor_template_is_rejected() -> None:
    with pytest.raises(ValueError, match="not both"):
        build_table(
            [{"kind": "other", "code_system": "", "code": "", "template_root": "", "section": "x"}]
        )
