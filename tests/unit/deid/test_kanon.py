"""The k-anonymity gate on generated batches."""

from __future__ import annotations

import json
import random

import pytest

from phr_share.deid.kanon import build_release, enforce_k_anonymity, smallest_group
from phr_share.deid.records import FlatRecord
from phr_share.errors import KAnonymityNotReached
from phr_share.public_layout import Gate


def record(
    person: str,
    age: str,
    sex: str = "F",
    zip3: str = "970",
    year: str = "2024",
    kind: str = "physical-signs",
) -> FlatRecord:
    return FlatRecord(
        kind=kind,
        pseudonym=person,
        age_band=age,
        sex=sex,
        zip3=zip3,
        year=year,
        date=None,
        statement="observation",
        codes=("2.16.840.1.113883.6.1|8480-6",),
        loinc="8480-6",
        snomed=None,
        rxnorm=None,
        value="120",
        unit="mm[Hg]",
        narrative=None,
    )


def people(prefix: str, count: int, age: str, readings: int = 2, **quasi: str) -> list[FlatRecord]:
    return [record(f"{prefix}{n}", age, **quasi) for n in range(count) for _ in range(readings)]


def test_k_counts_people_not_records() -> None:
    batch = people("a", 7, "60-64") + people("b", 5, "65-69") + people("c", 2, "70-74", readings=9)
    assert smallest_group(batch) == 2
    assert smallest_group(people("d", 1, "40-44", readings=50)) == 1
    assert smallest_group([]) == 0


def test_small_groups_are_suppressed_within_the_budget() -> None:
    batch = people("a", 40, "60-64") + people("b", 30, "65-69") + people("c", 2, "70-74")
    result = enforce_k_anonymity(batch, k=5, max_suppressed=0.05)
    assert result.generalisation == ()
    assert result.records_suppressed == 4
    assert result.records_in == len(batch) == len(result.records) + 4
    assert smallest_group(result.records) == result.k_achieved == 30


def test_generalisation_merges_groups_before_suppressing() -> None:
    # Every 5-year band holds 3 people; 10-year bands hold 6.
    batch = [r for low in range(20, 80, 5) for r in people(f"p{low}-", 3, f"{low}-{low + 4}")]
    result = enforce_k_anonymity(batch, k=5, max_suppressed=0.0)
    assert result.generalisation == ("10-year age bands",)
    assert result.records_suppressed == 0
    assert {r.age_band for r in result.records} == {f"{d}-{d + 9}" for d in range(20, 80, 10)}
    assert result.k_achieved == 6


def test_every_group_reaches_k_on_a_random_batch() -> None:
    rng = random.Random(42)
    batch = []
    for n in range(300):
        low = rng.choice(range(20, 90, 5))
        batch += people(
            f"r{n}-",
            1,
            f"{low}-{low + 4}",
            readings=rng.randint(1, 4),
            sex=rng.choice("MF"),
            zip3=rng.choice(["970", "971", "972", "036"]),
            year=str(rng.choice([2023, 2024])),
        )
    result = enforce_k_anonymity(batch, k=5, max_suppressed=0.05)
    assert smallest_group(result.records) >= 5
    assert result.records_suppressed <= 0.05 * len(batch)


def test_a_release_that_cannot_reach_k_says_so_and_builds_nothing() -> None:
    batch = people("a", 3, "60-64")
    with pytest.raises(KAnonymityNotReached, match="cannot be made 5-anonymous"):
        build_release(batch, k=5)
    with pytest.raises(KAnonymityNotReached):
        enforce_k_anonymity(people("a", 40, "60-64") + people("b", 4, "20-24"), 5, 0.0)


def test_a_release_lays_its_records_out_by_kind_and_period_with_the_gates_facts() -> None:
    batch = people("a", 6, "60-64") + people("b", 6, "60-64", year="2025", kind="health-status")
    release = build_release(batch, k=5)
    parts = [(o.kind, o.year) for o in release.objects]
    assert parts == [("health-status", "2025"), ("physical-signs", "2024")]
    assert release.gate == Gate(
        quasi_identifiers=("age_band", "sex", "zip3", "year"),
        k_requested=5,
        k_achieved=6,
        generalisation=(),
        records_in=24,
        records_suppressed=0,
        records_out=24,
    )
    for obj in release.objects:
        lines = obj.data.decode().splitlines()
        assert len(lines) == obj.records == 12
        assert json.loads(lines[0])["loinc"] == "8480-6"


def test_records_without_a_year_are_laid_out_as_unknown() -> None:
    batch = people("a", 5, "60-64", year="") + people("b", 5, "60-64")
    assert [o.year for o in build_release(batch, k=5).objects] == ["2024", "unknown"]
