"""Which segment kind a CDA section belongs to: one table of data, one lookup.

The table is ``section_kinds.csv`` beside this module: a row maps either a section
code (code system OID + code) or a section templateId root to a kind. A templateId
match wins over a code match (templates are the more specific claim; vendors reuse
codes loosely); a section that matches nothing is ``other``. A section written by
another organisation than the document's own becomes ``third-party``, except that
``personal`` sections always stay ``personal``.
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import TypeVar

from phr_share.models import Code, InstanceId, SegmentKind

__all__ = ["SectionRule", "SectionTable", "build_table", "classify", "section_table"]

_K = TypeVar("_K", str, tuple[str, str])


@dataclass(frozen=True, slots=True)
class SectionRule:
    """One row of the table: the kind and the section's name, for people."""

    kind: SegmentKind
    section: str


@dataclass(frozen=True, slots=True)
class SectionTable:
    """The table, indexed by template root and by (code system, code)."""

    by_template: Mapping[str, SectionRule]
    by_code: Mapping[tuple[str, str], SectionRule]

    def lookup(self, template_ids: Iterable[InstanceId], code: Code | None) -> SectionRule | None:
        """The rule for a section's templateIds and code, or None when nothing matches."""
        for template in template_ids:
            rule = self.by_template.get(template.root)
            if rule is not None:
                return rule
        if code is not None:
            return self.by_code.get((code.system, code.code))
        return None


def classify(
    template_ids: Iterable[InstanceId], code: Code | None, *, third_party: bool = False
) -> SegmentKind:
    """The segment kind of a section; never fails: unknown sections are ``other``."""
    rule = section_table().lookup(template_ids, code)
    kind = rule.kind if rule is not None else SegmentKind.OTHER
    if third_party and kind is not SegmentKind.PERSONAL:
        return SegmentKind.THIRD_PARTY
    return kind


@functools.cache
def section_table() -> SectionTable:
    """Load and check the packaged table; a broken table is a bug, so ValueError."""
    text = resources.files(__package__).joinpath("section_kinds.csv").read_text("utf-8")
    return build_table(csv.DictReader(io.StringIO(text)))


def build_table(rows: Iterable[Mapping[str, str]]) -> SectionTable:
    """Index table rows; raises ValueError on a malformed row or a conflicting mapping."""
    by_template: dict[str, SectionRule] = {}
    by_code: dict[tuple[str, str], SectionRule] = {}
    for number, row in enumerate(rows, start=2):
        rule = SectionRule(SegmentKind(row["kind"]), row["section"])
        system, code, template = row["code_system"], row["code"], row["template_root"]
        if bool(template) == bool(code and system):
            raise ValueError(
                f"section table row {number}: give a template root or a code, not both"
            )
        if template:
            _put(by_template, template, rule, number)
        else:
            _put(by_code, (system, code), rule, number)
    return SectionTable(by_template, by_code)


def _put(index: dict[_K, SectionRule], key: _K, rule: SectionRule, number: int) -> None:
    known = index.get(key)
    if known is not None and known.kind is not rule.kind:
        raise ValueError(f"section table row {number}: {key} already maps to {known.kind}")
    index[key] = rule
