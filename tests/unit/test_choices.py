"""One parser for a value that must be one of a fixed set."""

from __future__ import annotations

import pytest

from phr_share.choices import parse_choice, parse_choices
from phr_share.errors import InvalidInput
from phr_share.models import Purpose, SegmentKind


def test_a_choice_is_the_member_its_value_spells() -> None:
    chosen = parse_choice(Purpose, "emergency", "purpose")
    assert chosen is Purpose.EMERGENCY
    assert parse_choice(("json", "jsonl"), "jsonl", "format") == "jsonl"


@pytest.mark.parametrize("value", ["bogus", "", "Treatment", " treatment", None, 1, ["treatment"]])
def test_anything_else_names_the_field_and_every_allowed_value(value: object) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_choice((Purpose.TREATMENT, Purpose.EMERGENCY), value, "purpose")
    assert refused.value.message == "purpose is one of: treatment, emergency"


def test_several_choices_come_from_a_list() -> None:
    kinds = parse_choices(SegmentKind, ["lifestyle", "lifestyle", "other"], "kinds")
    assert kinds == {SegmentKind.LIFESTYLE, SegmentKind.OTHER}
    assert parse_choices(SegmentKind, [], "kinds") == set()
    for not_a_list in ("lifestyle", {"lifestyle": 1}, None, 3):
        with pytest.raises(InvalidInput, match="kinds is a list"):
            parse_choices(SegmentKind, not_a_list, "kinds")
    with pytest.raises(InvalidInput, match=r"^kinds is one of: personal, health-status"):
        parse_choices(SegmentKind, ["lifestyle", ""], "kinds")
