"""What a researcher asks of a release: kind, since, ages, parsed and matched."""

from __future__ import annotations

from datetime import date

import pytest

from phr_share.errors import InvalidInput
from phr_share.research import AgeRange, RecordQuery


@pytest.mark.parametrize(
    ("text", "expected"),
    [("40-64", AgeRange(40, 64)), (" 65+ ", AgeRange(65)), ("0 - 17", AgeRange(0, 17))],
)
def test_age_ranges_parse(text: str, expected: AgeRange) -> None:
    assert AgeRange.parse(text) == expected
    assert str(expected) == text.replace(" ", "")


@pytest.mark.parametrize("text", ["", "40", "forty-64", "-5", "40-", "1000-2000"])
def test_malformed_age_ranges_are_refused_with_a_hint(text: str) -> None:
    with pytest.raises(InvalidInput, match="40-64"):
        AgeRange.parse(text)


def test_a_backwards_range_says_so() -> None:
    with pytest.raises(InvalidInput, match="from the lower age to the higher"):
        AgeRange.parse("64-40")


@pytest.mark.parametrize(
    ("band", "inside_40_64", "inside_65_up"),
    [
        ("40-44", True, False),
        ("60-64", True, False),
        ("35-39", False, False),
        ("40-49", True, False),
        ("60-69", False, False),  # straddles 64/65: in neither
        ("65-69", False, True),
        ("90+", False, True),
        (None, False, False),
        ("unknown", False, False),
        (42, False, False),
    ],
)
def test_a_band_is_inside_only_when_all_of_it_is(
    band: object, inside_40_64: bool, inside_65_up: bool
) -> None:
    assert AgeRange(40, 64).holds(band) is inside_40_64
    assert AgeRange(65).holds(band) is inside_65_up


def test_a_query_reads_request_parameters_and_blank_means_any() -> None:
    assert RecordQuery.from_args({}) == RecordQuery()
    assert RecordQuery.from_args({"kind": "", "since": " ", "ages": ""}).empty
    query = RecordQuery.from_args({"kind": "physical-signs", "since": "2025-03-01", "ages": "65+"})
    assert query == RecordQuery("physical-signs", date(2025, 3, 1), AgeRange(65))
    assert not query.empty


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"kind": "../x"}, "kind is one of: personal, health-status"),
        ({"kind": "personal-ish"}, "kind is one of: personal, health-status"),
        ({"since": "1/3/2025"}, "since is a date"),
        ({"ages": "old"}, "ages are a range"),
    ],
)
def test_a_bad_parameter_is_named(args: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        RecordQuery.from_args(args)


def test_matching_by_kind_date_year_and_ages() -> None:
    record = {"kind": "physical-signs", "age_band": "70-74", "year": "2024", "date": None}
    assert RecordQuery().matches(record)
    assert RecordQuery(kind="physical-signs").matches(record)
    assert not RecordQuery(kind="health-status").matches(record)
    assert RecordQuery(since=date(2024, 12, 31)).matches(record)  # its year reaches since
    assert not RecordQuery(since=date(2025, 1, 1)).matches(record)
    assert RecordQuery(since=date(2025, 1, 1)).matches({**record, "year": "2020-2025"})
    assert RecordQuery(since=date(2025, 1, 1)).matches({**record, "year": None})  # undated
    dated = {**record, "date": "2024-03-02"}
    assert not RecordQuery(since=date(2024, 3, 3)).matches(dated)
    assert RecordQuery(since=date(2024, 3, 2)).matches(dated)
    assert RecordQuery(ages=AgeRange(65)).matches(record)
    assert not RecordQuery(ages=AgeRange(18, 64)).matches(record)
