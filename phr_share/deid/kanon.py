"""The k-anonymity gate: nothing is released where fewer than k people look alike.

Records are grouped by their quasi-identifiers (age band, sex, ZIP3, year). A group's
size is the number of distinct people (pseudonyms) in it, not of records, since one
person's many readings do not hide them. If some groups are smaller than k, the whole
release is generalised one step at a time (10-year age bands, ZIP3 to 000, 20-year
bands, 5-year periods) until the records in small groups are few enough to suppress
(at most ``max_suppressed`` of the release). If no step gets there, the release is
refused: :class:`KAnonymityNotReached`, and nothing is written.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from phr_share.deid.records import QUASI_IDENTIFIERS, FlatRecord
from phr_share.errors import KAnonymityNotReached
from phr_share.public_layout import Gate, period

__all__ = [
    "Release",
    "ReleaseObject",
    "build_release",
    "enforce_k_anonymity",
    "generalise",
    "lay_out_release",
    "smallest_group",
]

Generaliser = Callable[[FlatRecord], FlatRecord]


def _widen_age(width: int) -> Generaliser:
    def widen(record: FlatRecord) -> FlatRecord:
        band = record.age_band
        if band is None or band == "90+":
            return record
        low = int(band.split("-")[0]) // width * width
        return replace(record, age_band=f"{low}-{min(low + width - 1, 89)}")

    return widen


def _zip_000(record: FlatRecord) -> FlatRecord:
    return replace(record, zip3="000") if record.zip3 else record


def _five_year_period(record: FlatRecord) -> FlatRecord:
    if record.year is None or not record.year.isdigit():
        return record
    low = int(record.year) // 5 * 5
    return replace(record, year=f"{low}-{low + 4}")


_LADDER: tuple[tuple[str, Generaliser | None], ...] = (
    ("none", None),
    ("10-year age bands", _widen_age(10)),
    ("ZIP3 to 000", _zip_000),
    ("20-year age bands", _widen_age(20)),
    ("5-year periods", _five_year_period),
)


def generalise(record: FlatRecord, steps: Sequence[str]) -> FlatRecord:
    """The record as the gate saw it after the named generalisation steps."""
    chosen = set(steps)
    for step, generaliser in _LADDER:
        if generaliser is not None and step in chosen:
            record = generaliser(record)
    return record


@dataclass(frozen=True, slots=True)
class KAnonymous:
    """Records that passed the gate, and how."""

    records: tuple[FlatRecord, ...]
    k_requested: int
    k_achieved: int
    generalisation: tuple[str, ...]
    records_in: int
    records_suppressed: int


def smallest_group(records: Iterable[FlatRecord]) -> int:
    """The smallest number of distinct people sharing one set of quasi-identifiers."""
    sizes = [len(people) for people in _groups(records).values()]
    return min(sizes) if sizes else 0


def enforce_k_anonymity(
    records: Sequence[FlatRecord], k: int = 5, max_suppressed: float = 0.05
) -> KAnonymous:
    """Generalise and suppress until every group has ``k`` people.

    Raises KAnonymityNotReached when even the coarsest step would suppress more than
    ``max_suppressed`` of the records (or leave fewer than ``k`` people).
    """
    if k < 1:
        raise ValueError("k must be at least 1")
    current = list(records)
    applied: list[str] = []
    for step, generalise in _LADDER:
        if generalise is not None:
            current = [generalise(record) for record in current]
            applied.append(step)
        kept, suppressed = _suppress_small(current, k)
        if kept and len(suppressed) <= max_suppressed * len(current):
            return KAnonymous(
                records=tuple(kept),
                k_requested=k,
                k_achieved=smallest_group(kept),
                generalisation=tuple(applied),
                records_in=len(records),
                records_suppressed=len(suppressed),
            )
    raise KAnonymityNotReached(
        f"{len(records)} records cannot be made {k}-anonymous: even after "
        f"{', '.join(applied) or 'no generalisation'}, {len(suppressed)} records sit in groups "
        f"of fewer than {k} people (at most {max_suppressed:.0%} may be suppressed)"
    )


def _groups(records: Iterable[FlatRecord]) -> dict[tuple[str | None, ...], set[str]]:
    groups: dict[tuple[str | None, ...], set[str]] = defaultdict(set)
    for record in records:
        groups[record.quasi_identifiers].add(record.pseudonym)
    return groups


def _suppress_small(records: list[FlatRecord], k: int) -> tuple[list[FlatRecord], list[FlatRecord]]:
    groups = _groups(records)
    small = {key for key, people in groups.items() if len(people) < k}
    kept = [r for r in records if r.quasi_identifiers not in small]
    suppressed = [r for r in records if r.quasi_identifiers in small]
    return kept, suppressed


@dataclass(frozen=True, slots=True)
class ReleaseObject:
    """One kind's records of one period, as JSON Lines: a records object of a release."""

    kind: str
    year: str  # a year, a period the gate widened it to, or "unknown"
    data: bytes
    records: int


@dataclass(frozen=True, slots=True)
class Release:
    """What the gate lets a release publish: its records by kind and period, and how it passed."""

    objects: tuple[ReleaseObject, ...]
    gate: Gate


def build_release(
    records: Sequence[FlatRecord], k: int = 5, max_suppressed: float = 0.05
) -> Release:
    """Pass records through the gate and lay them out by kind and period.

    Raises KAnonymityNotReached (and so builds nothing) when the gate cannot be met.
    """
    return lay_out_release(enforce_k_anonymity(records, k, max_suppressed))


def lay_out_release(gated: KAnonymous) -> Release:
    """Records that passed the gate as JSON Lines objects by kind and period, with the
    gate's facts for the manifest (:mod:`phr_share.public_layout` names and lists them)."""
    by_object: dict[tuple[str, str], list[FlatRecord]] = defaultdict(list)
    for record in gated.records:
        by_object[(record.kind, period(record.year))].append(record)
    objects = tuple(
        ReleaseObject(kind, year, _jsonl(rows), len(rows))
        for (kind, year), rows in sorted(by_object.items())
    )
    gate = Gate(
        quasi_identifiers=QUASI_IDENTIFIERS,
        k_requested=gated.k_requested,
        k_achieved=gated.k_achieved,
        generalisation=gated.generalisation,
        records_in=gated.records_in,
        records_suppressed=gated.records_suppressed,
        records_out=len(gated.records),
    )
    return Release(objects, gate)


def _jsonl(records: Iterable[FlatRecord]) -> bytes:
    lines = (json.dumps(r.as_json(), sort_keys=True, ensure_ascii=False) for r in records)
    return ("\n".join(lines) + "\n").encode()
