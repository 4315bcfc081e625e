"""The leak scanner: does any identifier of the source documents appear in some output?

Text is compared the way a person would read it: case-insensitively, with spacing and
punctuation ignored. Names, places and other words must match whole words in order;
numbers (phones, ids, ZIP codes) must match their digits in order whatever separates
them; full dates are looked for in the common ways of writing them. Values too short
to mean anything (one- and two-letter name parts, ids under five characters) are not
looked for, and what Safe Harbor allows to stay (state, country, year) never is.

A finding carries the identifier it found: findings are for tests and operators, and
must not be logged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from phr_share.models import Identifiers, PhiKind

__all__ = ["Finding", "scan"]

_MONTH_NAMES = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_WORD = re.compile(r"[a-z0-9]+")
_ENTITY = re.compile(r"&(?:amp|lt|gt|quot|apos);|&#x?[0-9a-f]+;")
_TAG = re.compile(r"<[^>]*>")
_TEMPLATE = re.compile(r"<(?:[\w-]+:)?(?:templateId|typeId)\b")
_FENCE = " fence0fence "  # a word no identifier contains; never crossed by a match
_ATTRIBUTE = re.compile(r"([\w:.-]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
# Attributes that hold HL7 vocabulary or structure, never a person's data: an ASSIGNED
# classCode is not the given name "Assigned".
_VOCABULARY = frozenset(
    {
        "classcode",
        "moodcode",
        "typecode",
        "determinercode",
        "contextcontrolcode",
        "contextconductionind",
        "inversionind",
        "negationind",
        "use",
        "operator",
        "mediatype",
        "representation",
        "code",
        "codesystem",
        "codesystemname",
        "codesystemversion",
        "nullflavor",
        "unit",
        "xsi:type",
        "inclusive",
        "institutionspecified",
        "xmlns",
        "stylecode",
        "format",
        "kind",
        "path",
        "sha256",
        "xmlns:xsi",
        "xmlns:sdtc",
    }
)


@dataclass(frozen=True, slots=True)
class Finding:
    """An identifier found in scanned output."""

    kind: PhiKind
    value: str


def scan(output: bytes | str, identifiers: Identifiers) -> list[Finding]:
    """Every identifier of ``identifiers`` that appears in ``output``."""
    text = output.decode("utf-8", "replace") if isinstance(output, bytes) else output
    text = _ENTITY.sub(" ", _TAG.sub(_tag_values, text).lower())
    words = " " + " ".join(_WORD.findall(text)) + " "
    squashed = "".join(_WORD.findall(text))
    findings = []
    for kind, value in identifiers.values:
        if any(_present(form, words, squashed) for form in _forms(kind, value)):
            findings.append(Finding(kind, value))
    return findings


def _tag_values(tag: re.Match[str]) -> str:
    # Keep what a tag says (attribute values), not what it is (element and attribute names,
    # template ids). Fields are fenced apart so that neighbours never read as one value.
    markup = tag.group(0)
    if _TEMPLATE.match(markup):
        return _FENCE
    values = (
        m.group(2) if m.group(2) is not None else m.group(3)
        for m in _ATTRIBUTE.finditer(markup)
        if m.group(1).lower() not in _VOCABULARY
    )
    return _FENCE + _FENCE.join(values) + _FENCE


def _present(form: tuple[str, str], words: str, squashed: str) -> bool:
    how, needle = form
    return needle in (words if how == "words" else squashed)


def _forms(kind: PhiKind, value: str) -> list[tuple[str, str]]:
    lowered = value.lower()
    tokens = _WORD.findall(lowered)
    digits = "".join(ch for ch in lowered if ch.isdigit())
    if kind is PhiKind.DATE:
        return _date_forms(value)
    if kind in {PhiKind.PHONE, PhiKind.FAX}:
        local = digits[-10:]
        return [("squashed", local)] if len(local) >= 7 else []
    if kind in {PhiKind.EMAIL, PhiKind.URL}:
        squashed = "".join(_WORD.findall(lowered.removeprefix("mailto:")))
        return [("squashed", squashed)] if len(squashed) >= 5 else []
    if kind in {PhiKind.NAME, PhiKind.GEOGRAPHY} and not digits:
        joined = " ".join(tokens)
        return [("words", f" {joined} ")] if len(joined) >= 3 else []
    squashed = "".join(tokens)
    if len(squashed) < 5 or not digits:
        return []
    # Long ids are looked for whatever separates their characters; short ones as words,
    # or any five digits would turn up somewhere in a document full of numbers.
    return [("squashed", squashed)] if len(squashed) >= 8 else [("words", f" {' '.join(tokens)} ")]


def _date_forms(value: str) -> list[tuple[str, str]]:
    try:
        day = date(int(value[:4]), int(value[4:6]), int(value[6:8]))
    except ValueError:
        return []
    if day.year < 1800:  # placeholders such as 00010101 date nothing
        return []
    month = _MONTH_NAMES[day.month - 1]
    written = (
        f"{day:%Y %m %d}",
        f"{day:%m %d %Y}",
        f"{day.month} {day.day} {day.year}",
        f"{month} {day.day} {day.year}",
        f"{day.day} {month} {day.year}",
        f"{month[:3]} {day.day} {day.year}",
        f"{day.day} {month[:3]} {day.year}",
        f"{day:%d} {month[:3]} {day.year}",
    )
    forms = [("words", f" {text} ") for text in dict.fromkeys(written)]
    forms.append(("squashed", f"{day:%Y%m%d}"))
    return forms
