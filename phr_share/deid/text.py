"""Free-text scrubbing: every identifier in narrative replaced, clinical words kept.

Four passes over each text. The first cuts ZIP codes written after a state or a ZIP
label to their first three digits ("OH [ZIP 455]"), removing the city before the state.
The second removes what the document itself tells us is identifying (its people's
names, addresses, phone numbers, e-mail addresses and ids), matched case-insensitively
as whole words with any spacing or punctuation in numbers. The third removes the names
of people a relationship word or a title introduces ("her daughter [NAME]", "Dr.
[NAME]": :mod:`names`). The fourth removes what looks identifying whatever the document
says: dates (down to the year, or shifted), ages over 89, phone and fax numbers, e-mail
and web addresses, IP addresses, SSNs, labelled record/account/plan/licence numbers,
long digit runs and mixed letter-and-digit tokens, vehicle identification numbers,
street addresses and ZIP+4 codes.

No maintained offline library covers this for clinical narrative without a language
model download, so it is written here and tested against every kind.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from functools import partial

from phr_share.deid.geography import generalise_zip_codes, zip_token
from phr_share.deid.names import APOSTROPHES as _APOSTROPHES
from phr_share.deid.names import HYPHENS as _HYPHENS
from phr_share.deid.names import introduced_names, learnt_names
from phr_share.models import Identifiers, PhiKind

__all__ = ["DateParts", "TextScrubber"]

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = "(?:" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_ORD = r"(?:st|nd|rd|th)?"
_NUMBER_KINDS = (PhiKind.PHONE, PhiKind.FAX)
_ID_KINDS = (
    PhiKind.SSN,
    PhiKind.MRN,
    PhiKind.HEALTH_PLAN,
    PhiKind.ACCOUNT,
    PhiKind.LICENCE,
    PhiKind.DEVICE,
    PhiKind.VEHICLE,
    PhiKind.OTHER_ID,
)
_LABELS = {
    "mrn": PhiKind.MRN,
    "mr#": PhiKind.MRN,
    "medical record": PhiKind.MRN,
    "acct": PhiKind.ACCOUNT,
    "account": PhiKind.ACCOUNT,
    "member": PhiKind.HEALTH_PLAN,
    "policy": PhiKind.HEALTH_PLAN,
    "subscriber": PhiKind.HEALTH_PLAN,
    "group": PhiKind.HEALTH_PLAN,
    "license": PhiKind.LICENCE,
    "licence": PhiKind.LICENCE,
    "dea": PhiKind.LICENCE,
    "npi": PhiKind.LICENCE,
    "ssn": PhiKind.SSN,
    "social security": PhiKind.SSN,
}
_LABEL = (
    r"(?P<prefix>(?i:(?P<label>mrn|mr\#|medical\s+record|acct|account|member|policy|subscriber|"
    r"group|licen[cs]e|dea|npi|ssn|social\s+security|patient\s+id)"
    r"(?:\s*(?:number|no\.?|id|\#))?\s*[:\#]?\s*))"
)

# Alternatives tried left to right at each position: the most specific first.
_GENERIC = re.compile(
    "|".join(
        f"(?P<{name}>{pattern})"
        for name, pattern in (
            ("email", r"[\w.%+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}"),
            ("url", r"(?i:\b(?:https?|ftp)://[^\s<>\"']+|\bwww\.[^\s<>\"']+)"),
            ("labelled", _LABEL + r"(?=[A-Za-z-]*\d)[A-Za-z0-9][A-Za-z0-9-]{3,}"),
            (
                "iso_date",
                r"(?<!\d)\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?"
                r"(?:Z|[+-]\d{2}:?\d{2})?)?(?!\d)",
            ),
            # A full stop may end the sentence after a date ("seen 07/30/2021."), not
            # go on with more digits (a version number, 1.2.2021.5).
            ("num_date", r"(?<![\d/.-])\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})(?![\d/-]|\.\d)"),
            (
                "month_day_year",
                rf"(?i:\b{_MONTH}[\s/-]+\d{{1,2}}{_ORD}(?:,\s*|[\s/-]+)\d{{4}}\b)",
            ),
            ("day_month_year", rf"(?i:\b\d{{1,2}}{_ORD}[\s-]+{_MONTH},?[\s-]+\d{{2,4}}\b)"),
            ("month_year", rf"(?i:\b{_MONTH},?\s+\d{{4}}\b)"),
            ("month_day", rf"(?i:\b{_MONTH}\s+\d{{1,2}}{_ORD}\b)"),
            ("numeric_month_year", r"(?<![\d/])(?:0?[1-9]|1[0-2])/\d{4}(?![\d/])"),
            (
                "compact_date",
                r"(?<!\d)(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
                r"(?:\d{4}(?:\d{2})?)?(?:[+-]\d{4})?(?!\d)",
            ),
            ("old_age", r"(?i:\b(?:9\d|1[0-4]\d)\s*-?\s*(?:years?|yrs?|y/?o)(?:[\s-]+old)?\b)"),
            ("old_age_label", r"(?i:\bage[ds]?\s*:?\s*(?:9\d|1[0-4]\d)\b)"),
            ("birth_year", r"(?i:\b(?:born|b\.|dob:?)\s*(?:in\s+)?(?:18|19|20)\d{2}\b)"),
            ("ssn", r"(?<!\d)\d{3}-\d{2}-\d{4}(?!\d)"),
            (
                "ip",
                r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)"
                r"(?!\.?\d)",
            ),
            (
                "phone",
                r"(?<![\w+])(?:\+?1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}(?!\d)",
            ),
            ("zip4", r"(?<!\d)\d{5}-\d{4}(?!\d)"),
            (
                "vin",
                r"\b(?=[A-HJ-NPR-Z0-9]*\d)(?=[A-HJ-NPR-Z0-9]*[A-HJ-NPR-Z])[A-HJ-NPR-Z0-9]{17}\b",
            ),
            (
                "street",
                r"\b\d{1,6}\s+(?:[NSEW]\.?\s+)?(?:[A-Z][A-Za-z0-9'.-]*\s+){1,4}"
                r"(?:Street|St|Avenue|Ave|Road|Rd|Lane|Ln|Drive|Dr|Boulevard|Blvd|Way|"
                r"Court|Ct|Place|Pl|Terrace|Ter|Circle|Cir|Highway|Hwy|Parkway|Pkwy|"
                r"Square|Sq|Trail|Trl)\b\.?",
            ),
            ("po_box", r"(?i:\bP\.?\s?O\.?\s+Box\s+\d+\b)"),
            ("digits", r"(?<![\d.,])\d{7,}(?![\d,]|\.\d)"),
            ("token", r"\b(?=(?:[A-Z-]*\d){5})(?=[0-9-]*[A-Z])[A-Z0-9][A-Z0-9-]{5,}\b"),
        )
    )
)
_PLAIN = {
    "email": (PhiKind.EMAIL, "[EMAIL]"),
    "url": (PhiKind.URL, "[URL]"),
    "ssn": (PhiKind.SSN, "[SSN]"),
    "ip": (PhiKind.IP_ADDRESS, "[IP]"),
    "phone": (PhiKind.PHONE, "[PHONE]"),
    "vin": (PhiKind.VEHICLE, "[VEHICLE]"),
    "street": (PhiKind.GEOGRAPHY, "[ADDRESS]"),
    "po_box": (PhiKind.GEOGRAPHY, "[ADDRESS]"),
    "digits": (PhiKind.OTHER_ID, "[ID]"),
    "token": (PhiKind.OTHER_ID, "[ID]"),
    "month_day": (PhiKind.DATE, "[DATE]"),
    "old_age": (PhiKind.DATE, "90+ years"),
    "old_age_label": (PhiKind.DATE, "age 90+"),
}
_YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")
_ISO = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_NUM = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{2,4})")
_WORD_MONTH = re.compile(
    rf"(?i:(\d{{1,2}})?{_ORD}[\s-]*({_MONTH})[\s,/-]*(\d{{1,2}})?{_ORD},?[\s/-]*(\d{{4}}))"
)
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")


@dataclass(frozen=True, slots=True)
class DateParts:
    """A date found in text: year, month and day as far as the text gave them."""

    year: int | None
    month: int | None = None
    day: int | None = None


class TextScrubber:
    """Replaces identifiers in free text; every replacement is reported to ``count``."""

    def __init__(
        self,
        known: Identifiers,
        on_date: Callable[[DateParts], str],
        count: Callable[[PhiKind], None],
        oldest_birth_year: int,
    ) -> None:
        self._on_date = on_date
        self._count = count
        self._oldest_birth_year = oldest_birth_year
        self._identifiers = known
        self._groups: list[_KnownGroup] | None = None  # made on first use
        # Texts that introduce nobody, as learn_names found them: no name pass for these.
        self._quiet: set[str] = set()
        # Narrative repeats itself ("Active", "BP Systolic", table headers): each distinct
        # text is scrubbed once, and its removals are counted again at every occurrence.
        self._seen: dict[str, tuple[str, tuple[PhiKind, ...]]] = {}

    def learn_names(self, texts: Iterable[str]) -> None:
        """Learn the names these texts introduce ("seen with her daughter Ingrid"), to
        scrub them wherever they are written again ("Ingrid will bring the list")."""
        learnt: set[str] = set()
        for text in set(texts):
            names = learnt_names(text)
            if names is None:
                self._quiet.add(text)
            else:
                learnt |= names
        if learnt:
            more = Identifiers(tuple((PhiKind.NAME, name) for name in sorted(learnt)))
            self._identifiers = self._identifiers | more
            self._groups = None
            self._seen.clear()

    def __call__(self, text: str) -> str:
        """The text with every identifier replaced."""
        seen = self._seen.get(text)
        if seen is None:
            seen = self._seen[text] = self._scrub(text)
        for kind in seen[1]:
            self._count(kind)
        return seen[0]

    def _scrub(self, text: str) -> tuple[str, tuple[PhiKind, ...]]:
        quiet = text in self._quiet  # replacing identifiers never makes someone introduced
        text, places = generalise_zip_codes(text)
        removed = [PhiKind.GEOGRAPHY] * places
        words = _words(text.lower())
        if self._groups is None:
            self._groups = _known_groups(self._identifiers)
        for group in self._groups:
            if group.may_occur(text, words):
                text = group.pattern.sub(partial(_replace_known, removed), text)
        for start, end in () if quiet else reversed(introduced_names(text, words)):
            text = text[:start] + "[NAME]" + text[end:]
            removed.append(PhiKind.NAME)
        if _GENERIC_HINT.search(text):  # every generic pattern needs one of these
            text = _GENERIC.sub(partial(self._replace_generic, removed), text)
        return text, tuple(removed)

    def _replace_generic(self, removed: list[PhiKind], match: re.Match[str]) -> str:
        name = match.lastgroup or ""
        if name in _PLAIN:
            kind, token = _PLAIN[name]
            removed.append(kind)
            return token
        if name == "birth_year":
            year = _YEAR.search(match.group(0))
            if year is None or int(year.group(1)) > self._oldest_birth_year:
                return match.group(0)
            removed.append(PhiKind.DATE)  # a birth year of someone 90 or older
            return match.group(0)[: year.start()] + "[DATE]"
        if name == "zip4":
            removed.append(PhiKind.GEOGRAPHY)
            return zip_token(match.group(0))
        if name == "labelled":
            label = " ".join(match.group("label").lower().split())
            kind = next((k for key, k in _LABELS.items() if label.startswith(key)), PhiKind.MRN)
            removed.append(kind)
            return match.group("prefix") + "[ID]"
        parts = _date_parts(name, match.group(0))
        if parts is None:
            return match.group(0)
        removed.append(PhiKind.DATE)
        return self._on_date(parts)


def _replace_known(removed: list[PhiKind], match: re.Match[str]) -> str:
    kind = PhiKind(_KIND_OF_GROUP[match.lastgroup or ""])
    removed.append(kind)
    return _TOKEN[kind]


_GENERIC_HINT = re.compile(r"\d|@|://|(?i:www\.)")
_WORDS = re.compile(r"\w+")
# Word processors curl apostrophes and lengthen hyphens; people drop them ("OBrien"),
# space them ("Mary Ann") or type a name without its accents ("Jose"): a known name is
# found in any of those spellings.
_MARKS = str.maketrans(dict.fromkeys(_APOSTROPHES + _HYPHENS, ""))
_DASH = re.escape(_HYPHENS)  # for a character class
_BETWEEN_WORDS = rf"[\s,.{_DASH}]+"


def _unmarked(text: str) -> str:
    # Without apostrophes and hyphens, and with accents dropped (José -> Jose).
    text = text.translate(_MARKS)
    return text if text.isascii() else _unaccented(text)


def _unaccented(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _words(lowered: str) -> set[str]:
    words = set(_WORDS.findall(lowered))
    unmarked = _unmarked(lowered)
    if unmarked != lowered:
        words.update(_WORDS.findall(unmarked))
    return words


def _spellings(word: str) -> str:
    pattern = []
    for char in word:
        if char in _APOSTROPHES:
            pattern.append(f"[{_APOSTROPHES}]?")
        elif char in _HYPHENS:
            pattern.append(rf"[\s{_DASH}]?")
        elif char.isascii() or len(plain := _unaccented(char)) != 1:
            pattern.append(re.escape(char))
        else:  # an accented letter: with or without its accent
            pattern.append(f"[{re.escape(char)}{re.escape(plain)}]")
    return "".join(pattern)


_NON_DIGITS = re.compile(r"\D")


@dataclass(slots=True)
class _KnownGroup:
    """Known values of some kinds, one pattern, and the cheap hint that says when to run it.

    Most narrative mentions none of a document's identifiers, so each pattern is compiled
    on first need and run only when a word of the text starts a known value, the text's
    digits hold a known number, or (for e-mail and web addresses) the text has @ or ://.
    """

    source: str
    first_words: frozenset[str] = frozenset()
    numbers: tuple[str, ...] = ()
    addresses: bool = False
    compiled: re.Pattern[str] | None = None

    @property
    def pattern(self) -> re.Pattern[str]:
        if self.compiled is None:
            self.compiled = re.compile(self.source, re.IGNORECASE)
        return self.compiled

    def may_occur(self, text: str, words: set[str]) -> bool:
        if not self.first_words.isdisjoint(words):
            return True
        if self.numbers:
            digits = _NON_DIGITS.sub("", text)
            return any(number in digits for number in self.numbers)
        return self.addresses and ("@" in text or "://" in text or "www." in text.lower())


def _known_groups(known: Identifiers) -> list[_KnownGroup]:
    groups = []
    for kinds in (
        (PhiKind.EMAIL, PhiKind.URL),
        _ID_KINDS,
        _NUMBER_KINDS,
        (PhiKind.NAME, PhiKind.GEOGRAPHY),
    ):
        alternatives = []
        for kind in kinds:
            patterns = sorted(_value_patterns(kind, known.of(kind)), key=len, reverse=True)
            if patterns:
                alternatives.append(f"(?P<{kind.name.lower()}>{'|'.join(patterns)})")
        if not alternatives:
            continue
        values = [value for kind in kinds for value in known.of(kind)]
        group = _KnownGroup("|".join(alternatives))
        if kinds == _NUMBER_KINDS:
            group.numbers = tuple(sorted({_NON_DIGITS.sub("", v)[-10:] for v in values}))
        elif PhiKind.EMAIL in kinds:
            group.addresses = True
        else:
            group.first_words = frozenset(
                first
                for value in values
                for spelling in (value.lower(), _unmarked(value.lower()))
                if (first := next(iter(_WORDS.findall(spelling)), None))
            )
        groups.append(group)
    return groups


_TOKEN = {
    PhiKind.NAME: "[NAME]",
    PhiKind.GEOGRAPHY: "[ADDRESS]",
    PhiKind.PHONE: "[PHONE]",
    PhiKind.FAX: "[FAX]",
    PhiKind.EMAIL: "[EMAIL]",
    PhiKind.URL: "[URL]",
    **dict.fromkeys(_ID_KINDS, "[ID]"),
}
_KIND_OF_GROUP = {kind.name.lower(): kind.value for kind in PhiKind}


def _value_patterns(kind: PhiKind, values: Iterable[str]) -> set[str]:
    found = set()
    for value in values:
        value = value.strip()
        digits = re.sub(r"\D", "", value)
        if kind in _NUMBER_KINDS:
            if len(digits) >= 7:
                # Any spacing or punctuation between the digits; a leading country code optional.
                local = digits[-10:]
                found.add(r"(?<![\d(])\(?(?:\+?1\D{0,2})?" + r"\D{0,2}".join(local) + r"(?!\d)")
            continue
        if kind in _ID_KINDS:
            if len(value) >= 5 and any(c.isdigit() for c in value):
                found.add(r"(?<![\w-])" + re.escape(value) + r"(?![\w-])")
            continue
        if len(value) >= 2:
            words = [_spellings(word) for word in value.split()]
            found.add(r"(?<!\w)" + _BETWEEN_WORDS.join(words) + r"(?!\w)")
    return found


def _date_parts(name: str, text: str) -> DateParts | None:
    if name == "iso_date":
        match = _ISO.match(text)
        return _valid(*match.groups()) if match else None
    if name == "num_date":
        match = _NUM.fullmatch(text)
        if match is None:
            return None
        first, second, year = match.groups()
        if len(year) == 2:
            return DateParts(None)  # a two-digit year: no year can be kept
        return _valid(year, first, second) or _valid(year, second, first)
    if name in {"month_day_year", "day_month_year"}:
        match = _WORD_MONTH.search(text)
        if match is None:
            return None
        day_before, month, day_after, year = match.groups()
        return _valid(year, str(_MONTHS[month.lower().rstrip(".")]), day_before or day_after)
    if name == "compact_date":
        match = _COMPACT.match(text)
        return _valid(*match.groups()) if match else None
    year = _YEAR.search(text)  # month_year, numeric_month_year
    return DateParts(int(year.group(1))) if year else None


def _valid(year: str, month: str | None, day: str | None) -> DateParts | None:
    y, m, d = int(year), int(month) if month else None, int(day) if day else None
    try:
        date(max(y, 1), m or 1, d or 1)
    except ValueError:  # not a calendar date: 13/45/2019 is something else
        return None
    return DateParts(y, m, d)
