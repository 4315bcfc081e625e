"""People that no header names, found in narrative by the words that introduce them.

A relationship word ("seen with her daughter Ingrid Ferreira", "his son, Tom", "wife
Mary-Ann O'Neil", "caregiver: Luis", "neighbour (Ana Souza)", "accompanied by Gloria")
or a title ("Dr. Wendell Okafor") introduces a person: the capitalised words after it
are a name, unless they are known not to be one. Known non-names are the words of
``narrative_words.txt`` (clinical and common words: "Mother: Diabetes", "Nurse
Practitioner"), words with a clinical ending ("Thyroiditis"), acronyms in mixed-case
text ("Father: CAD") and eponyms before their disease ("Mother: Parkinson disease",
"Apgar score"). Words right before a relationship in parentheses or after a comma and a
possessive ("Ana Souza (daughter)", "Ana Souza, her neighbour") are read the same way.
The relationship word and the title stay, so the narrative still says who was there.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources

__all__ = ["APOSTROPHES", "HYPHENS", "introduced_names", "learnt_names"]

# Word processors curl apostrophes and lengthen hyphens: "O\u2019Neil", "Mary\u2013Ann".
APOSTROPHES = "'\u2018\u2019\u02bc`\u00b4"
HYPHENS = "-\u2010\u2011\u2012\u2013\u2014"

# Phrases that introduce a person, each with the word that gives it away cheaply.
_PHRASES = {
    r"significant\s+other": "significant",
    r"next\s+of\s+kin": "kin",
    r"power\s+of\s+attorney": "attorney",
    r"emergency\s+contact": "contact",
    r"contact\s+person": "contact",
    r"case\s+manager": "manager",
    r"care\s+manager": "manager",
    r"social\s+worker": "worker",
    r"care\s*giver": "giver",
    r"accompanied\s+by": "accompanied",
    r"brought\s+(?:in\s+)?by": "brought",
    r"escorted\s+by": "escorted",
    r"cared\s+for\s+by": "cared",
    r"visited\s+by": "visited",
    r"lives\s+with": "lives",
    r"living\s+with": "living",
    r"resides\s+with": "resides",
    r"staying\s+with": "staying",
    r"c/o": "c",
}
# Abbreviated titles take a full stop; after a whole word one ends the sentence ("ask your
# doctor. Keep it cold").
_SHORT_TITLES = ("dr", "mr", "mrs", "ms", "mx", "prof")
_LONG_TITLES = ("doctor", "miss", "professor", "nurse")
_SPECIALIST_ENDINGS = ("ologist", "iatrist", "ician", "itian")
_SPECIALIST = re.compile(rf"(?i:(?:{'|'.join(_SPECIALIST_ENDINGS)})s?\b)")
_PREFIXES = ("", "grand", "step", "god")
_PLURALS = ("", "s", "es")
# "1002 Healthcare Dr. Portland": a street, not a doctor.
_STREET_BEFORE = re.compile(r"\d+[A-Za-z]?\s+(?:[\w'-]+\s+){0,3}$")
_MARK = f"[{re.escape(APOSTROPHES)}]"
# What may stand between a relationship word and the name: "son, Tom", "caregiver: Luis",
# "neighbour (Ana", "friend named Ana", "daughter's name is Ana", "wife - Mary".
_UPPER = "".join(c for c in map(chr, range(0x250)) if c.isupper())
_UPPER_CLASS = re.escape(_UPPER)
_AFTER_RELATION = re.compile(
    rf"(?:{_MARK}s)?(?:\s*[,:=(\[\u2013\u2014-]+\s*|\s+)"
    r"(?i:(?:(?:is\s+)?named|called|name\s*(?:is\s*)?[:=-]?|is|was)\s+)?[\"\u201c\u2018']?"
)
_AFTER_TITLE = re.compile(r"\s+")
# "Her Son Tom Will Drive": in Title Case a capital says nothing about a name.
_CAPITALISED_BEFORE = re.compile(rf"[{_UPPER_CLASS}]\w*[ \t]+$")
_LETTER = r"[^\W\d_]"
_TOKEN = re.compile(
    rf"[{_UPPER_CLASS}]{_LETTER}*(?:[{re.escape(APOSTROPHES + HYPHENS)}]{_LETTER}+)*"
)
_PARTICLES = "de|da|das|do|dos|del|della|der|den|di|du|la|le|van|von|bin|ibn|al|el|y|ter|ten"
_WITHIN_NAME = re.compile(rf"\s+(?:(?:{_PARTICLES})\s+){{0,2}}|\.\s*")
_BETWEEN_NAMES = re.compile(r"\s*,\s*(?:(?:and|&)\s+)?|\s+(?:and|&|or)\s+")
_NEXT_WORD = re.compile(rf"[\s{re.escape(HYPHENS)}]*(\w[\w{re.escape(APOSTROPHES + HYPHENS)}]*)")
_CLINICAL_ENDING = re.compile(
    r"(?:itis|osis|emia|aemia|pathy|plasia|trophy|ectomy|otomy|ostomy|plasty|scopy|algia|ism"
    r"|ology|ologic|ological|iatry|iatric)$"
    r"|^.{4,}oma$"
)
_WORDS = re.compile(r"\w+")
_MOST_WORDS = 4  # given, middle, family, second family (two where capitals say little)
_MOST_NAMES = 4  # "her daughters Ana, Luisa and Maria"
_BEFORE = 80  # characters looked at before "(daughter)"


@dataclass(frozen=True, slots=True)
class _Vocabulary:
    """The words of ``narrative_words.txt`` and the patterns made from them."""

    keys: frozenset[str]  # a text holds one of these words when it may introduce someone
    function: frozenset[str]
    clinical: frozenset[str]
    head: frozenset[str]
    introducer: re.Pattern[str]  # a title or a relationship, a name after it
    relation_after: re.Pattern[str]  # "(daughter)", ", her neighbour", a name before it
    is_relation: re.Pattern[str]

    def never_a_name(self, lower: str) -> bool:
        return lower in self.function or lower in self.clinical or lower in self.head


@functools.cache
def _vocabulary() -> _Vocabulary:
    text = resources.files(__package__).joinpath("narrative_words.txt").read_text("utf-8")
    sections: dict[str, set[str]] = {}
    current: set[str] = set()
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], set())
        elif line and not line.startswith("#"):
            current.add(line)
    people = sorted(sections["relation"], key=len, reverse=True)
    relation = (
        r"(?:(?:great[\s-]*)*(?:grand|step[\s-]?|god|foster\s+|half[\s-])?"
        rf"(?:{'|'.join(map(re.escape, people))})(?:s|es)?(?:[\s-]in[\s-]laws?)?"
        rf"|{'|'.join(_PHRASES)}|\w+(?:{'|'.join(_SPECIALIST_ENDINGS)})s?)"
    )
    titles = (*_SHORT_TITLES, *_LONG_TITLES)
    owner = rf"(?:his|her|their|the\s+patient{_MARK}?s|pt{_MARK}?s)"
    return _Vocabulary(
        keys=frozenset(
            {p + word + s for p in _PREFIXES for word in people for s in _PLURALS}
            | set(_PHRASES.values())
            | set(titles)
        ),
        function=frozenset(sections["function"]),
        clinical=frozenset(sections["clinical"]),
        head=frozenset(sections["head"]),
        introducer=re.compile(
            rf"(?i:\b(?:(?P<title>(?:{'|'.join(_SHORT_TITLES)})\.?|{'|'.join(_LONG_TITLES)})"
            rf"(?=\s)|(?P<relation>{relation})(?!\w)))"
        ),
        relation_after=re.compile(
            rf"(?i:\(\s*(?:(?:{owner}|the)\s+)?(?P<a>{relation})\s*\)"
            rf"|,\s+{owner}\s+(?P<b>{relation})(?!\w))"
        ),
        is_relation=re.compile(rf"(?i:{relation}|{'|'.join(titles)})"),
    )


def introduced_names(text: str, words: set[str] | None = None) -> list[tuple[int, int]]:
    """Where the text names people its relationship words and titles introduce (spans).

    ``words`` (the text's lower-case words), when the caller has them, saves a look.
    """
    return _merged([(start, end) for start, end, _ in _introduced(text, words)])


def learnt_names(text: str) -> frozenset[str] | None:
    """The names the text introduces, whole and word by word, to be looked for in every
    text of the record; None when it introduces nobody at all.

    Names read where capitals say little (ALL CAPS, Title Case) are scrubbed where they
    stand but not learnt: there a name can run on into the words after it ("HIS SON TOM
    WILL BRING"), and those words would then be removed from every text of the record.
    """
    found = _introduced(text, None)
    if not found:
        return None
    names = set()
    for start, end, sure in found:
        name = " ".join(text[start:end].split())
        if sure and not name.isupper():
            names.add(name)
            names.update(word for word in _TOKEN.findall(name) if len(word) > 1)
    return frozenset(names)


def _introduced(text: str, words: set[str] | None) -> list[tuple[int, int, bool]]:
    # (start, end, sure) of every name; sure when the capitals around it mean something.
    vocabulary = _vocabulary()
    if words is None:
        words = set(_WORDS.findall(text.lower()))
    if words.isdisjoint(vocabulary.keys) and not _SPECIALIST.search(text):
        return []  # most narrative introduces nobody
    spans: list[tuple[int, int, bool]] = []
    for match in vocabulary.introducer.finditer(text):
        titled = match.group("title") is not None
        doctor_or_drive = match.group().lower().rstrip(".") == "dr"
        if doctor_or_drive and _STREET_BEFORE.search(text, 0, match.start()):
            continue
        after = (_AFTER_TITLE if titled else _AFTER_RELATION).match(text, match.end())
        if after is None:
            continue
        sure = not match.group().isupper() and not _CAPITALISED_BEFORE.search(
            text, 0, match.start()
        )
        names = _names_from(text, after.end(), titled or not sure, titled, sure)
        spans.extend((start, end, sure) for start, end in names)
    for match in vocabulary.relation_after.finditer(text):
        relation = match.group("a") or match.group("b")
        span = _name_before(text, match.start(), relation.isupper())
        if span is not None:
            spans.append((*span, not relation.isupper()))
    return spans


def _names_from(
    text: str, pos: int, loose: bool, titled: bool, sure: bool
) -> list[tuple[int, int]]:
    names: list[tuple[int, int]] = []
    after = pos
    while len(names) < _MOST_NAMES:
        found = _one_name(text, pos, loose, titled and not names, _MOST_WORDS if sure else 2)
        if found is None:
            break
        start, end, after = found
        names.append((start, end))
        joiner = _BETWEEN_NAMES.match(text, after)
        if joiner is None:
            break
        pos = joiner.end()
    if names and not titled and _eponym_follows(text, after):
        return []  # "Mother: Parkinson disease", "Glasgow Coma Scale"
    return names


def _one_name(
    text: str, pos: int, loose: bool, titled: bool, most: int
) -> tuple[int, int, int] | None:
    # One person's name: capitalised words, with particles ("Ana de Souza") and initials
    # ("J. Smith") between them. Returns (start, end, end with "'s").
    start = end = after = -1
    count = 0
    while count < most:
        token = _TOKEN.match(text, pos)
        if token is None:
            break
        word, possessive = _core(token.group())
        if not _may_be_name(word, loose, titled):
            break
        start = token.start() if start < 0 else start
        end, after = token.start() + len(word), token.end()
        count += 1
        joiner = _WITHIN_NAME.match(text, after)
        if possessive or joiner is None or (joiner.group().startswith(".") and len(word) > 1):
            break
        pos = joiner.end()
    if start < 0 or end - start == 1:  # nothing, or a lone letter ("Twin A")
        return None
    return start, end, after


def _name_before(text: str, pos: int, loose: bool) -> tuple[int, int] | None:
    window_start = max(0, pos - _BEFORE)
    window = text[window_start:pos].rstrip()
    run: list[re.Match[str]] = []  # the capitalised words that end the window, right first
    for token in reversed(list(_TOKEN.finditer(window))):
        gap = window[token.end() : run[-1].start() if run else len(window)]
        if (run and not _joins(gap, token.group())) or (not run and gap):
            break
        run.append(token)
    names = []
    for token in run:  # from the right: the name ends where the relationship begins
        if not _may_be_name(_core(token.group())[0], loose, False):
            break
        names.append(token)
    if not names or (len(names) == 1 and len(names[0].group()) == 1):
        return None
    return window_start + names[-1].start(), window_start + names[0].end()


def _joins(gap: str, before: str) -> bool:
    joiner = _WITHIN_NAME.fullmatch(gap)
    return joiner is not None and (not gap.startswith(".") or len(before) == 1)


def _core(word: str) -> tuple[str, bool]:
    if len(word) > 3 and word[-1] in "sS" and word[-2] in APOSTROPHES:
        return word[:-2], True
    return word, False


def _may_be_name(word: str, loose: bool, after_title: bool) -> bool:
    vocabulary = _vocabulary()
    lower = word.lower()
    if vocabulary.is_relation.fullmatch(word):
        return False  # "Caregiver: Mother", "Nurse RN Nightingale"
    if after_title:  # "Nurse Practitioner"; but "Dr. Hand" and "Dr. Ross" are names
        return lower not in vocabulary.function
    if vocabulary.never_a_name(lower) or _CLINICAL_ENDING.search(lower):
        return False
    return loose or len(word) == 1 or not word.isupper()


def _eponym_follows(text: str, pos: int) -> bool:
    vocabulary = _vocabulary()
    for _ in range(3):
        match = _NEXT_WORD.match(text, pos)
        if match is None:
            return False
        word = _core(match.group(1))[0].lower()
        if word in vocabulary.head or _CLINICAL_ENDING.search(word):
            return True
        if word not in vocabulary.clinical:
            return False
        pos = match.end()
    return False


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
