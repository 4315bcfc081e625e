"""The Safe Harbor rules, applied part by part as a CDA walker hands the parts over."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from phr_share.deid.dates import Timestamp, age_in_years, parse_timestamp
from phr_share.deid.geography import zip3
from phr_share.deid.policy import DateMode, DeidPolicy
from phr_share.deid.pseudonym import date_offset_days, pseudonym, replacement_id
from phr_share.deid.text import DateParts, TextScrubber
from phr_share.models import PHR_OID, Identifiers, PatientIdentity, PhiKind

__all__ = ["REPLACED_ID_ROOT", "SafeHarbor"]

REPLACED_ID_ROOT = f"{PHR_OID}.5"  # ids issued by the de-identifier, meaningless outside
_OLDEST = 90


class SafeHarbor:
    """De-identification rules for one patient; counts what it removes, never keeps values."""

    def __init__(self, identity: PatientIdentity, policy: DeidPolicy, known: Identifiers) -> None:
        self.identity = identity
        self.policy = policy
        self.counts: Counter[PhiKind] = Counter()
        shift = policy.dates is DateMode.SHIFT
        self.offset_days = date_offset_days(policy.secret, identity.patient_id) if shift else 0
        self.birth = parse_timestamp(identity.birth_time) if identity.birth_time else None
        self.over_89 = self.birth is not None and age_in_years(self.birth, policy.as_of) >= _OLDEST
        self.pseudonym = pseudonym(policy.secret, identity.patient_id)
        self.zip3 = zip3(identity.postal_code)
        # A patient's documents repeat timestamps and ids: each is worked out once.
        self._timestamps: dict[str, str] = {}
        self._text = TextScrubber(
            identity.identifiers | known,
            self._text_date,
            self.removed,
            oldest_birth_year=policy.as_of.year - _OLDEST,
        )

    def learn_names(self, texts: Iterable[str]) -> None:
        """Learn the names the patient's narrative introduces, to scrub them everywhere."""
        self._text.learn_names(texts)

    def removed(self, kind: PhiKind, count: int = 1) -> None:
        """Count removed identifiers."""
        self.counts[kind] += count

    def take_counts(self) -> dict[PhiKind, int]:
        """What was removed since the last call, by kind; starts counting afresh."""
        counts, self.counts = dict(self.counts), Counter()
        return counts

    def timestamp(self, value: str) -> str:
        """An event time: its year, or the whole time shifted by the patient's offset."""
        replacement = self._timestamps.get(value)
        if replacement is None:
            replacement = self._timestamps[value] = self._timestamp(value)
        return replacement

    def _timestamp(self, value: str) -> str:
        stamp = parse_timestamp(value)
        if stamp is None:
            return "" if any(c.isdigit() for c in value) else value
        if self.offset_days:
            return stamp.shifted(self.offset_days)
        return f"{stamp.year:04d}"

    def birth_time(self, value: str) -> str | None:
        """A birth time (a relative's): masked when that person is 90 or older today."""
        stamp = parse_timestamp(value)
        if stamp is None or age_in_years(stamp, self.policy.as_of) >= _OLDEST:
            return None
        return self.timestamp(value)

    def identifier(self, root: str, extension: str | None) -> tuple[str, str]:
        """A stable stand-in for an instance identifier, under PHR Share's own root."""
        token = replacement_id(self.policy.secret, self.identity.patient_id, root, extension)
        return REPLACED_ID_ROOT, token

    def postal_code(self, value: str) -> str | None:
        """A ZIP code's first three digits (000 for small areas); anything else goes."""
        return zip3(value)

    def text(self, value: str) -> str:
        """Free text with every identifier replaced."""
        return self._text(value)

    def _text_date(self, parts: DateParts) -> str:
        if parts.year is None:
            return "[DATE]"
        if self.offset_days and parts.month is not None:
            shifted = Timestamp(parts.year, parts.month, parts.day).shifted(self.offset_days)
            return shifted if parts.day is None else f"{shifted[:4]}-{shifted[4:6]}-{shifted[6:8]}"
        if self.over_89 and self.birth is not None and parts.year <= self.birth.year:
            return "[DATE]"  # a year that old could give an age over 89 away
        return f"{parts.year:04d}"
