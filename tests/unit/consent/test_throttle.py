"""The sign-in throttle's rules, pure: per account from an address, per account under
attack, per address, and second-factor codes; the wait in words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from phr_share.consent.throttle import Failure, Limit, ThrottlePolicy, Wait, in_words, wait_for

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
POLICY = ThrottlePolicy()


def ago(minutes: float) -> datetime:
    return NOW - timedelta(minutes=minutes)


def test_five_failures_from_here_hold_this_address_back_until_the_oldest_ages_out() -> None:
    four = [Failure(ago(14 - n), here=True) for n in range(4)]
    assert wait_for(POLICY, NOW, four, []) is None
    five = [*four, Failure(ago(1), here=True)]
    # The oldest of the five, 14 minutes ago, leaves the 15-minute window in 1 minute.
    assert wait_for(POLICY, NOW, five, []) == Wait(60, Limit.ACCOUNT_HERE)


def test_failures_from_elsewhere_do_not_hold_this_address_back() -> None:
    elsewhere = [Failure(ago(1), here=False) for _ in range(POLICY.per_account - 1)]
    assert wait_for(POLICY, NOW, elsewhere, []) is None


def test_an_account_under_attack_gives_each_address_one_failure() -> None:
    attack = [Failure(ago(10), here=False) for _ in range(POLICY.per_account)]
    # An address that has not failed may still try (the right password gets in)...
    assert wait_for(POLICY, NOW, attack, []) is None
    # ...one that failed once waits until the attack or its own failure ages out.
    once = [*attack, Failure(ago(2), here=True)]
    assert wait_for(POLICY, NOW, once, []) == Wait(5 * 60, Limit.ACCOUNT_HERE)
    recent_attack = [Failure(ago(1), here=False) for _ in range(POLICY.per_account)]
    assert wait_for(POLICY, NOW, [*recent_attack, Failure(ago(2), True)], []) == Wait(
        13 * 60, Limit.ACCOUNT_HERE
    )


def test_spraying_from_one_address_holds_it_back_for_every_account() -> None:
    sprayed = [ago(10)] * (POLICY.per_address - 1) + [ago(3)]
    assert wait_for(POLICY, NOW, [], sprayed[:-1]) is None
    assert wait_for(POLICY, NOW, [], sprayed) == Wait(5 * 60, Limit.ADDRESS)


def test_wrong_codes_stop_codes_from_anywhere_but_not_passwords() -> None:
    codes = [Failure(ago(5), here=False, code=True) for _ in range(POLICY.codes_per_account)]
    assert wait_for(POLICY, NOW, codes, []) is None  # the password step
    assert wait_for(POLICY, NOW, codes, [], code=True) == Wait(10 * 60, Limit.CODES)
    assert wait_for(POLICY, NOW, codes[:-1], [], code=True) is None


def test_failures_out_of_the_window_count_for_nothing() -> None:
    old = [Failure(ago(15), here=True) for _ in range(10)]
    assert wait_for(POLICY, NOW, old, [ago(15)] * 200) is None


def test_the_longest_wait_wins_and_is_never_zero() -> None:
    here = [Failure(ago(14.999), here=True) for _ in range(5)]
    assert wait_for(POLICY, NOW, here, []) == Wait(1, Limit.ACCOUNT_HERE)
    both = [ago(1)] * POLICY.per_address
    assert wait_for(POLICY, NOW, here, both) == Wait(14 * 60, Limit.ADDRESS)


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (1, "1 second"),
        (40, "40 seconds"),
        (60, "1 minute"),
        (61, "2 minutes"),
        (120, "2 minutes"),
        (900, "15 minutes"),
    ],
)
def test_the_wait_in_words(seconds: int, words: str) -> None:
    assert in_words(seconds) == words
