"""The danger zone, from its one table: each threshold's edge on both sides."""

from __future__ import annotations

import pytest

from phr_share.series.danger import DANGER_ZONE, danger_signs


@pytest.mark.parametrize(
    ("measurements", "signs"),
    [
        ([("8480-6", 179, "mm[Hg]"), ("8462-4", 119, "mm[Hg]")], []),
        ([("8480-6", 180, "mm[Hg]")], ["very-high-systolic"]),
        ([("8462-4", 120, "mm[Hg]")], ["very-high-diastolic"]),
        ([("2339-0", 54, "mg/dL")], []),
        ([("2339-0", 53, "mg/dL")], ["very-low-glucose"]),
        ([("2339-0", 300, "mg/dL")], []),
        ([("2339-0", 301, "mg/dL")], ["very-high-glucose"]),
        ([("15074-8", 2.9, "mmol/L")], ["very-low-glucose"]),  # 52 mg/dL
        ([("15074-8", 17.0, "mmol/L")], ["very-high-glucose"]),  # 306 mg/dL
        ([("8867-4", 190, "/min")], []),  # a fast pulse is not in this table
    ],
)
def test_each_edge_of_the_table(
    measurements: list[tuple[str, float, str]], signs: list[str]
) -> None:
    assert [s.threshold.sign for s in danger_signs(measurements)] == signs


def test_both_pressures_high_are_two_signs() -> None:
    found = danger_signs([("8480-6", 185, "mm[Hg]"), ("8462-4", 125, "mm[Hg]")])
    assert [s.value for s in found] == [185, 125]
    assert [s.threshold.sign for s in found] == ["very-high-systolic", "very-high-diastolic"]


def test_each_threshold_has_its_own_sign() -> None:
    assert len({t.sign for t in DANGER_ZONE}) == len(DANGER_ZONE)


def test_every_threshold_says_what_it_is_and_what_to_do() -> None:
    for threshold in DANGER_ZONE:
        assert threshold.words.endswith(".")
        assert threshold.todo.endswith(".")
