"""The access history as visits, and reason codes in words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from phr_share.audit import Outcome
from phr_share.consent import Reason
from phr_share.sharing.history import AccessEvent
from phr_share.web.views import filesize, reason_words, visits

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _read(
    seconds: float,
    actor: str = "user:1",
    kind: str = "physical-signs",
    outcome: Outcome = Outcome.OK,
    reason: str = "grant",
) -> AccessEvent:
    return AccessEvent(
        seq=0,
        at=T0 + timedelta(seconds=seconds),
        actor=actor,
        segment="s",
        kind=kind,
        outcome=outcome,
        reason=reason,
        basis="grant:1" if outcome is Outcome.OK else None,
        purpose="treatment",
        emergency=False,
    )


def test_reads_close_together_by_one_person_for_one_reason_are_one_visit() -> None:
    events = [  # oldest first, as the log keeps them
        _read(0, kind="health-status"),
        _read(200),
        _read(201, kind="health-status"),
        _read(201, actor="user:2"),
        _read(202),
        _read(
            203, kind="family-history", outcome=Outcome.DENIED, reason="restricted-kind-not-named"
        ),
        _read(230),
    ]
    found = visits(events)
    assert [(v.actor, v.outcome, v.count) for v in found] == [
        ("user:1", Outcome.OK, 4),  # 200-230 s, though others read in between
        ("user:1", Outcome.DENIED, 1),
        ("user:2", Outcome.OK, 1),
        ("user:1", Outcome.OK, 1),  # 0 s: more than a minute before
    ]
    assert found[0].kinds == {"physical-signs": 3, "health-status": 1}
    assert found[0].at == T0 + timedelta(seconds=230)
    assert found[-1].kinds == {"health-status": 1}
    assert sum(v.count for v in found) == len(events)


def test_reason_codes_read_as_words() -> None:
    assert reason_words(Reason.GRANT.value) == "a grant you gave"
    assert reason_words(Reason.BREAK_GLASS.value) == "emergency access"
    assert reason_words(Reason.GRANT_EXPIRED.value) == "grant expired"
    assert reason_words("something-new") == "something new"


def test_sizes_read_in_decimal_units() -> None:
    assert [filesize(n) for n in (0, 999, 1000, 18585, 999_949, 2_400_000, 7 * 10**9)] == [
        "0 B",
        "999 B",
        "1.0 kB",
        "18.6 kB",
        "999.9 kB",
        "2.4 MB",
        "7.0 GB",
    ]
