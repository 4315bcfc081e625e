"""The routing engine: every segment to the private store; released kinds also to research.

The policy is data (a JSON file validated against ``schemas/routing-policy.schema.json``);
this module only reads it and answers, with no I/O of its own beyond loading the file.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from phr_share.errors import ConfigurationError
from phr_share.models import SegmentKind
from phr_share.resources import shipped_file

__all__ = ["DEFAULT_POLICY", "Route", "RoutingPolicy", "load_routing_policy"]

DEFAULT_POLICY = Path(__file__).with_name("default-routing.json")
_SCHEMA_NAME = "routing-policy.schema.json"
RELEASABLE = "releasable"


@dataclass(frozen=True, slots=True)
class Route:
    """Where one segment goes: always the private store; ``public`` when released for research."""

    kind: SegmentKind
    private: bool
    public: bool


@dataclass(frozen=True, slots=True)
class RoutingPolicy:
    """Which kinds may ever be released for research; the patient decides which ones are."""

    releasable: frozenset[SegmentKind]

    def route(self, kind: SegmentKind, released: Collection[SegmentKind]) -> Route:
        """The route of a segment of ``kind`` for a patient who released ``released``."""
        return Route(kind, private=True, public=kind in self.releasable and kind in released)

    def check_release(self, kinds: Collection[SegmentKind]) -> None:
        """Raises ConfigurationError naming the first kind this policy never releases."""
        for kind in sorted(kinds):
            if kind not in self.releasable:
                raise ConfigurationError(f"the routing policy keeps '{kind}' private-only")


def load_routing_policy(path: Path | None = None) -> RoutingPolicy:
    """Read and validate a policy file (the shipped default when ``path`` is None).

    Raises ConfigurationError when the file is unreadable or breaks the schema.
    """
    source = path or DEFAULT_POLICY
    try:
        document = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ConfigurationError(f"routing policy {source} cannot be read as JSON") from error
    return policy_from_json(document)


def policy_from_json(document: Any) -> RoutingPolicy:
    """Validate a parsed policy; raises ConfigurationError with the schema's complaint."""
    validator = jsonschema.Draft202012Validator(_schema())
    error = jsonschema.exceptions.best_match(validator.iter_errors(document))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(top)"
        raise ConfigurationError(f"routing policy is invalid at {where}: {error.message}")
    kinds: Mapping[str, str] = document["kinds"]
    releasable = frozenset(SegmentKind(k) for k, route in kinds.items() if route == RELEASABLE)
    if SegmentKind.PERSONAL in releasable:  # the schema says so too; never trust one check
        raise ConfigurationError("routing policy may never release the personal segment")
    return RoutingPolicy(releasable)


@cache
def _schema() -> dict[str, Any]:
    text = shipped_file("schemas", _SCHEMA_NAME).read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded
