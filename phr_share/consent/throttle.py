"""The sign-in throttle's rules, pure: which recent failures hold a try back, and how long.

Failures (wrong passwords, wrong second-factor codes) are counted per account and per
client address within a sliding window (15 minutes):

* **account from this address**: 5 failures, and that address may not try that account
  again until the oldest of them is out of the window. Another account from the same
  address (a clinic behind one NAT address) and the same account from another address
  are not held back by them;
* **account under attack**: past 20 failures for one account from any addresses, each
  address gets 1 failure for it instead of 5. A guesser with many addresses is slowed
  five-fold, yet the right password from an address that has not failed is still let
  in: nobody is locked out of their account by someone else's guesses;
* **address**: 100 failures from one address, for any accounts (spraying one common
  password over many usernames), and that address is held back for every account;
* **second-factor codes**: 5 wrong codes for one account, from anywhere, and its codes
  are not checked for the rest of the window. Only someone who has the password reaches
  the code, so this stops a guesser with the password, never a password guesser.

Forgotten-password requests are held back on their own (:class:`ResetPolicy`): past 3
links mailed to one account within an hour no more are sent (the answer stays the
same, so nobody learns the account exists), and past 10 requests from one address, for
any names or addresses, that address is told to wait.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

__all__ = [
    "Failure",
    "Limit",
    "ResetPolicy",
    "ThrottlePolicy",
    "Wait",
    "in_words",
    "reset_wait",
    "wait_for",
]


class Limit(StrEnum):
    """Which rule holds a try back."""

    ACCOUNT_HERE = "account-here"
    ADDRESS = "address"
    CODES = "codes"
    RESET_ACCOUNT = "reset-account"
    RESET_ADDRESS = "reset-address"


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    """The counts and the window of the rules above."""

    window: timedelta = timedelta(minutes=15)
    per_account_here: int = 5
    per_account: int = 20
    per_account_here_under_attack: int = 1
    per_address: int = 100
    codes_per_account: int = 5


@dataclass(frozen=True, slots=True)
class ResetPolicy:
    """How many reset links one account gets, and requests one address makes, per window."""

    window: timedelta = timedelta(hours=1)
    per_account: int = 3
    per_address: int = 10


@dataclass(frozen=True, slots=True)
class Failure:
    """One recent failure of the account asked about: when, whether from the asking
    address, whether a wrong code (not a wrong password)."""

    at: datetime
    here: bool
    code: bool = False


@dataclass(frozen=True, slots=True)
class Wait:
    """How long a try is held back, and by which rule."""

    seconds: int
    limit: Limit


def _clears(times: Sequence[datetime], limit: int, now: datetime, window: timedelta) -> float:
    """Seconds until fewer than ``limit`` of ``times`` (sorted) are within the window."""
    if len(times) < limit:
        return 0.0
    return (times[len(times) - limit] + window - now).total_seconds()


def wait_for(
    policy: ThrottlePolicy,
    now: datetime,
    account: Sequence[Failure],
    address: Sequence[datetime],
    *,
    code: bool = False,
) -> Wait | None:
    """The wait before a try (a code when ``code``) may be checked, or None for now.

    ``account`` holds the account's failures in the window, ``address`` the times of the
    asking address's failures in it, for any account.
    """
    window = policy.window
    every = sorted(f.at for f in account)
    here = sorted(f.at for f in account if f.here)
    under_attack = min(
        _clears(every, policy.per_account, now, window),
        _clears(here, policy.per_account_here_under_attack, now, window),
    )
    waits = [
        (
            max(_clears(here, policy.per_account_here, now, window), under_attack),
            Limit.ACCOUNT_HERE,
        ),
        (_clears(sorted(address), policy.per_address, now, window), Limit.ADDRESS),
    ]
    if code:
        codes = sorted(f.at for f in account if f.code)
        waits.append((_clears(codes, policy.codes_per_account, now, window), Limit.CODES))
    seconds, limit = max(waits, key=lambda w: w[0])
    return Wait(max(1, math.ceil(seconds)), limit) if seconds > 0 else None


def reset_wait(
    policy: ResetPolicy, now: datetime, account: Sequence[datetime], address: Sequence[datetime]
) -> Wait | None:
    """The wait before another reset request is answered with a mail, or None for now.

    ``account`` holds when links were made for the account in the window (empty for no
    account), ``address`` when the asking address made requests in it.
    """
    waits = [
        (_clears(sorted(address), policy.per_address, now, policy.window), Limit.RESET_ADDRESS),
        (_clears(sorted(account), policy.per_account, now, policy.window), Limit.RESET_ACCOUNT),
    ]
    seconds, limit = max(waits, key=lambda w: w[0])
    return Wait(max(1, math.ceil(seconds)), limit) if seconds > 0 else None


def in_words(seconds: int) -> str:
    """A wait as people say it: "40 seconds", "1 minute", "2 minutes" (minutes rounded up)."""
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
