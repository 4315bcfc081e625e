"""The routing policy: data validated by a schema; personal never leaves the private store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from phr_share.errors import ConfigurationError
from phr_share.models import SegmentKind
from phr_share.policy import load_routing_policy
from phr_share.policy.routing import DEFAULT_POLICY, policy_from_json


def _default() -> dict[str, object]:
    loaded: dict[str, object] = json.loads(DEFAULT_POLICY.read_text())
    return loaded


def test_every_segment_goes_private_and_only_released_kinds_go_public() -> None:
    policy = load_routing_policy()
    released = {SegmentKind.PHYSICAL_SIGNS, SegmentKind.DOCTOR_NOTES}
    for kind in SegmentKind:
        route = policy.route(kind, released)
        assert route.private
        assert route.public == (kind is SegmentKind.PHYSICAL_SIGNS)


def test_nothing_is_public_by_default() -> None:
    policy = load_routing_policy()
    assert not any(policy.route(kind, set()).public for kind in SegmentKind)


def test_personal_can_never_be_releasable() -> None:
    document = _default()
    kinds = document["kinds"]
    assert isinstance(kinds, dict)
    kinds["personal"] = "releasable"
    with pytest.raises(ConfigurationError, match="kinds/personal"):
        policy_from_json(document)


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda d: d["kinds"].pop("lifestyle"), "kinds"),
        (lambda d: d["kinds"].update({"lifestyle": "public"}), "kinds/lifestyle"),
        (lambda d: d["kinds"].update({"genome": "releasable"}), "kinds"),
        (lambda d: d.update({"format": "phr-share-routing/2"}), "format"),
    ],
)
def test_a_policy_that_breaks_the_schema_is_refused(change: object, where: str) -> None:
    document = _default()
    change(document)  # type: ignore[operator]
    with pytest.raises(ConfigurationError, match=f"invalid at {where}"):
        policy_from_json(document)


def test_an_unreadable_policy_file_is_a_configuration_error(tmp_path: Path) -> None:
    broken = tmp_path / "routing.json"
    broken.write_text("{not json")
    with pytest.raises(ConfigurationError, match="cannot be read"):
        load_routing_policy(broken)
    with pytest.raises(ConfigurationError):
        load_routing_policy(tmp_path / "missing.json")


def test_releasing_a_private_only_kind_is_refused() -> None:
    policy = load_routing_policy()
    with pytest.raises(ConfigurationError, match="'doctor-notes'"):
        policy.check_release({SegmentKind.DOCTOR_NOTES, SegmentKind.LIFESTYLE})
    policy.check_release({SegmentKind.LIFESTYLE})
