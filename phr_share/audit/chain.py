"""The audit chain, pure: canonical encoding, entry hashes, verification.

Each entry's hash is SHA-256 over the previous entry's hash and the entry's canonical
encoding (sorted, compact JSON of its fields). The head (last sequence number and
hash) is stored apart, so deleting entries from the end is caught as well as editing,
deleting or reordering any of them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from phr_share.models import Outcome

__all__ = [
    "GENESIS",
    "Action",
    "Break",
    "Entry",
    "Head",
    "Outcome",
    "entry_hash",
    "first_break",
    "stored_entry",
]

GENESIS = "0" * 64


class Action(StrEnum):
    """What happened, as ``source:subject:action`` tags."""

    INGEST = "store:document:ingest"
    READ = "store:segment:read"
    RELEASE = "research:release:publish"
    RELEASE_CHOICE = "research:choice:change"
    ROTATE = "keys:master:rotate"
    RETIRE = "keys:master:retire"
    ERASE = "patient:data:erase"
    RECOVER = "store:journal:recover"
    SERIES_REBUILD = "store:series:rebuild"
    REPORT_DOWNLOAD = "store:report:download"
    USER_CREATE = "auth:user:create"
    USER_DISABLE = "auth:user:disable"
    PASSWORD_CHANGE = "auth:user:password"  # noqa: S105 (an event tag, not a secret)
    PASSWORD_RESET_REQUEST = "auth:password:reset-request"  # noqa: S105 (an event tag)
    PASSWORD_RESET = "auth:password:reset"  # noqa: S105 (an event tag, not a secret)
    EMAIL_CHANGE = "auth:user:email"
    LOGIN = "auth:session:login"
    LOGOUT = "auth:session:logout"
    TOKEN_ISSUE = "auth:token:issue"  # noqa: S105 (an event tag, not a secret)
    TOKEN_REVOKE = "auth:token:revoke"  # noqa: S105
    MFA_ENROL = "auth:mfa:enrol"
    MFA_VERIFY = "auth:mfa:verify"
    MFA_FAIL = "auth:mfa:fail"
    MFA_RECOVERY_USED = "auth:mfa:recovery-used"
    MFA_RECOVERY_RENEW = "auth:mfa:recovery-renew"
    MFA_REMOVE = "auth:mfa:remove"
    MFA_RESET = "auth:mfa:reset"
    CARE_INVITE = "care:relationship:invite"
    CARE_REQUEST = "care:relationship:request"
    CARE_ACCEPT = "care:relationship:accept"
    # Ending care is logged as a revoke; every chain since the first holds this value
    # inside its hashes, so it never changes.
    CARE_REVOKE = "care:relationship:revoke"
    CARE_ALERTS = "care:alerts:change"
    TARGETS_SET = "care:targets:set"
    GRANT_CREATE = "consent:grant:create"
    GRANT_CHANGE = "consent:grant:change"
    GRANT_REVOKE = "consent:grant:revoke"
    DELEGATION_REQUEST = "consent:delegation:request"
    DELEGATION_APPROVE = "consent:delegation:approve"
    DELEGATION_REFUSE = "consent:delegation:refuse"
    SENSITIVITY_CHANGE = "consent:sensitivity:change"
    LINK_CREATE = "consent:link:create"
    LINK_REVOKE = "consent:link:revoke"
    LINK_REDEEM = "consent:link:redeem"
    POLICY_PREVIEW = "consent:policy:preview"
    EMERGENCY_DECLARE = "emergency:access:declare"
    EMERGENCY_REVIEW = "emergency:access:review"


@dataclass(frozen=True, slots=True)
class Entry:
    """One audit entry: ids and codes only, never patient data."""

    seq: int
    at: datetime
    action: Action
    actor: str
    outcome: Outcome = Outcome.OK
    patient_id: str | None = None
    subject: str | None = None
    details: Mapping[str, str | int] = field(default_factory=dict)

    def canonical(self) -> bytes:
        """Sorted, compact JSON of every field; the bytes the hash covers."""
        document = {
            "seq": self.seq,
            "at": self.at.isoformat(),
            "action": self.action.value,
            "actor": self.actor,
            "outcome": self.outcome.value,
            "patient": self.patient_id,
            "subject": self.subject,
            "details": dict(self.details),
        }
        return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


def stored_entry(row: Any) -> Entry:
    """The entry a stored row holds (anything with the audit table's columns as attributes);
    ValueError or TypeError when a column holds what no entry can."""
    details = json.loads(row.details)
    if not isinstance(details, dict):
        raise TypeError("an entry's details are an object")
    return Entry(
        seq=row.seq,
        at=row.at,
        action=Action(row.action),
        actor=row.actor,
        outcome=Outcome(row.outcome),
        patient_id=row.patient_id,
        subject=row.subject,
        details=details,
    )


@dataclass(frozen=True, slots=True)
class Head:
    """The stored end of the chain."""

    seq: int
    hash: str


def entry_hash(previous: str, entry: Entry) -> str:
    """SHA-256 over the previous hash and the entry's canonical encoding."""
    return hashlib.sha256(previous.encode() + b"\n" + entry.canonical()).hexdigest()


@dataclass(frozen=True, slots=True)
class Break:
    """Where and how the chain is broken."""

    seq: int
    reason: str


def first_break(stored: Iterable[tuple[Entry, str, str]], head: Head | None) -> Break | None:
    """The first broken entry of ``(entry, prev_hash, hash)`` rows in sequence order.

    Catches an edited entry (its hash no longer matches), a deleted or reordered one
    (sequence gap, or a previous hash that is not the one before), and truncation (the
    last entry is not the stored head).
    """
    previous, expected = GENESIS, 1
    for entry, prev_hash, stored_hash in stored:
        if entry.seq != expected:
            return Break(expected, "missing or out of order")
        if prev_hash != previous:
            return Break(entry.seq, "does not follow the entry before it")
        if entry_hash(previous, entry) != stored_hash:
            return Break(entry.seq, "altered after it was written")
        previous, expected = stored_hash, expected + 1
    last = expected - 1
    if head is None:
        return None if last == 0 else Break(1, "the log has entries but no head")
    if head.seq < last:
        return Break(head.seq + 1, "written after the stored head")
    if head.seq > last:
        return Break(last + 1, "removed from the end of the log")
    if head.hash != previous:
        return Break(last, "does not match the stored head")
    return None
