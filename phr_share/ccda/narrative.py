"""A section's narrative block as plain data a web page can render, and its measurements.

Only the structure a reader needs survives: paragraphs, lists and tables of text. No
markup from the document reaches a page (no styles, links, images or attributes), so a
hostile document cannot inject anything; the page escapes the text as it renders it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone

from lxml import etree

from phr_share.ccda.entries import clinical_entries
from phr_share.ccda.vocab import LOCAL_CODES
from phr_share.ccda.xml import first_child, hl7, parse_xml
from phr_share.codes import MOOD, MOOD_WORDS, NOTE, readable_unit
from phr_share.models import LOINC, Measurement, Mood

__all__ = [
    "MOOD",
    "MOOD_WORDS",
    "NOTE",
    "Block",
    "Measurement",
    "SectionReading",
    "SectionView",
    "Statement",
    "narrative_text",
    "parse_section",
]

# A mood reading is measured under MOOD: the project's five-point scale, as a score from
# 1 (very low) to 5 (very good), so it can be charted beside pain and activity. A
# section's free-text paragraphs are listed under NOTE by :func:`statements`.
_MOOD_SCORES = {mood.value: float(score) for score, mood in enumerate(Mood, start=1)}
_XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"


@dataclass(frozen=True, slots=True)
class Block:
    """``paragraph`` (text), ``list`` (items) or ``table`` (header row, body rows)."""

    kind: str
    text: str = ""
    items: tuple[str, ...] = ()
    header: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True, slots=True)
class SectionView:
    """A section's title and its narrative as blocks."""

    title: str
    blocks: tuple[Block, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class Statement:
    """What one coded entry says, as a person reads it: code, time and text."""

    code: str
    at: datetime
    text: str


def _text(element: etree._Element) -> str:
    return " ".join("".join(element.itertext()).split())


def _cells(row: etree._Element) -> tuple[str, ...]:
    return tuple(_text(c) for c in row if etree.QName(c).localname in {"td", "th"})


def _table(table: etree._Element) -> Block:
    header: tuple[str, ...] = ()
    rows = []
    for row in table.iter(hl7("tr")):
        cells = _cells(row)
        in_head = etree.QName(row.getparent()).localname == "thead"  # type: ignore[arg-type]
        if in_head and not header:
            header = cells
        elif cells:
            rows.append(cells)
    return Block("table", header=header, rows=tuple(rows))


def _blocks(text: etree._Element) -> list[Block]:
    blocks: list[Block] = []
    loose = (text.text or "").strip()
    if loose:
        blocks.append(Block("paragraph", text=" ".join(loose.split())))
    for child in text:
        if not isinstance(child.tag, str):
            continue
        name = etree.QName(child).localname
        if name == "table":
            blocks.append(_table(child))
        elif name == "list":
            items = tuple(_text(i) for i in child if etree.QName(i).localname == "item")
            blocks.append(Block("list", items=items))
        elif _text(child):
            blocks.append(Block("paragraph", text=_text(child)))
        tail = " ".join((child.tail or "").split())
        if tail:
            blocks.append(Block("paragraph", text=tail))
    return blocks


@dataclass(frozen=True, slots=True)
class SectionReading:
    """A section parsed once: its view and, when asked for, its measurements and
    statements (empty otherwise)."""

    view: SectionView
    measurements: tuple[Measurement, ...] = ()
    statements: tuple[Statement, ...] = ()


def parse_section(section_xml: bytes, *, entries: bool) -> SectionReading:
    """The section's view, with its measurements and statements when ``entries``; one
    parse for all three. Raises InvalidDocument for bad XML."""
    section = parse_xml(section_xml)
    if not entries:
        return SectionReading(_view(section))
    return SectionReading(_view(section), tuple(_measured(section)), tuple(_statements_of(section)))


def narrative_text(section_xml: bytes) -> str:
    """The words of a section's narrative block, a space between every two pieces of text.
    Raises InvalidDocument for bad XML."""
    text = first_child(parse_xml(section_xml), hl7("text"))
    return " ".join(" ".join(text.itertext()).split()) if text is not None else ""


def _view(section: etree._Element) -> SectionView:
    title = section.find(hl7("title"))
    text = section.find(hl7("text"))
    return SectionView(
        _text(title) if title is not None else "",
        tuple(_blocks(text)) if text is not None else (),
    )


# An HL7 TS: the date, the time to the second if given, a fraction, a UTC offset if given.
_TS = re.compile(r"(\d{8}(?:\d{2}){0,3})(?:\.\d{1,6})?(?:([+-])(\d{2})(\d{2}))?")


def _when(value: str | None) -> datetime | None:
    """The instant an HL7 TS names, in UTC; a time without an offset is read as UTC.
    None for anything else."""
    found = _TS.fullmatch(value.strip()) if value else None
    if found is None:
        return None
    digits, sign, hours, minutes = found.groups()
    try:
        at = datetime.strptime(digits.ljust(14, "0"), "%Y%m%d%H%M%S")
    except ValueError:
        return None
    zone = UTC
    if sign is not None:
        if int(hours) > 14 or int(minutes) > 59:
            return None
        offset = timedelta(hours=int(hours), minutes=int(minutes))
        zone = timezone(-offset if sign == "-" else offset)
    return at.replace(tzinfo=zone).astimezone(UTC)


def _measured(section: etree._Element) -> list[Measurement]:
    # Every LOINC-coded numeric value with a time, and every mood reading on the
    # five-point scale as its score (code MOOD, unit "{score}").
    found = []
    for facts in clinical_entries(section):
        entry = facts.entry
        when = _when(entry.time)
        if when is None:
            continue
        if entry.codes[0].code == MOOD and entry.codes[0].system == LOCAL_CODES:
            answer = entry.codes[1].code if len(entry.codes) > 1 else ""
            if answer in _MOOD_SCORES:
                found.append(Measurement(MOOD, _MOOD_SCORES[answer], "{score}", when))
            continue
        loinc = next((c.code for c in entry.codes if c.system == LOINC), None)
        if loinc is None or entry.value is None:
            continue
        try:
            value = float(entry.value)
        except ValueError:
            continue
        found.append(Measurement(loinc, value, entry.unit or "", when))
    return found


def _statements_of(section: etree._Element) -> list[Statement]:
    # Every timed coded entry as readable text ("4 / 10", "low", "35 min, cycling", a
    # diet note), under its first code, and the section's free-text paragraphs under NOTE
    # at the entries' time. A section with no timed entry gives nothing: its sitting is
    # unknown.
    found = []
    for facts in clinical_entries(section):
        when = _when(facts.entry.time)
        text = _said(facts.element)
        if when is not None and text:
            found.append(Statement(facts.entry.codes[0].code, when, text))
    narrative = section.find(hl7("text"))
    if found and narrative is not None:
        at = found[0].at
        found += [
            Statement(NOTE, at, block.text)
            for block in _blocks(narrative)
            if block.kind == "paragraph" and block.text
        ]
    return found


def _said(observation: etree._Element) -> str:
    """An entry's value as people write it, with the entry's own text after it."""
    parts = []
    value = observation.find(hl7("value"))
    if value is not None:
        kind = (value.get(_XSI_TYPE) or "").rpartition(":")[2]
        if kind == "PQ" and value.get("value"):
            unit = value.get("unit") or ""
            parts.append(f"{value.get('value')} {readable_unit(unit)}".strip())
        elif kind in {"CD", "CE", "CO"}:
            parts.append(value.get("displayName") or value.get("code") or "")
        else:
            parts.append(_text(value))
    own = observation.find(hl7("text"))
    if own is not None:
        parts.append(_text(own))
    return ", ".join(p for p in parts if p)
