"""The audit chain: every edit, deletion, reordering or truncation is found and named."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from phr_share.audit import GENESIS, Action, Entry, Head, entry_hash, first_break

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def _chain(n: int) -> tuple[list[tuple[Entry, str, str]], Head]:
    rows, previous = [], GENESIS
    for seq in range(1, n + 1):
        entry = Entry(
            seq,
            T0 + timedelta(minutes=seq),
            Action.READ,
            "doctor:7",
            patient_id="p",
            subject=f"segment:{seq}",
            details={"kind": "lifestyle"},
        )
        digest = entry_hash(previous, entry)
        rows.append((entry, previous, digest))
        previous = digest
    return rows, Head(n, previous)


def test_an_intact_chain_verifies() -> None:
    rows, head = _chain(5)
    assert first_break(rows, head) is None
    assert first_break([], None) is None


def test_the_encoding_is_canonical_and_covers_every_field() -> None:
    entry = _chain(1)[0][0][0]
    assert entry.canonical() == (
        b'{"action":"store:segment:read","actor":"doctor:7","at":"2026-11-22T09:01:00+00:00",'
        b'"details":{"kind":"lifestyle"},"outcome":"ok","patient":"p","seq":1,'
        b'"subject":"segment:1"}'
    )


@pytest.mark.parametrize(
    ("tamper", "seq", "reason"),
    [
        ("edit", 3, "altered"),
        ("delete", 3, "missing"),
        ("reorder", 2, "missing"),
        ("truncate", 5, "removed from the end"),
        ("append", 6, "after the stored head"),
        ("head", 5, "stored head"),
    ],
)
def test_tampering_is_found_at_the_first_broken_entry(tamper: str, seq: int, reason: str) -> None:
    rows, head = _chain(6 if tamper == "append" else 5)
    if tamper == "edit":
        entry, prev, digest = rows[2]
        rows[2] = (Entry(entry.seq, entry.at, Action.ERASE, entry.actor), prev, digest)
    elif tamper == "delete":
        del rows[2]
    elif tamper == "reorder":
        rows[1], rows[2] = rows[2], rows[1]
    elif tamper == "truncate":
        del rows[4:]
    elif tamper == "append":
        head = Head(5, rows[4][2])
    else:
        head = Head(5, "f" * 64)
    broken = first_break(rows, head)
    assert broken is not None
    assert broken.seq == seq
    assert reason in broken.reason
