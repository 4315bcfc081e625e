"""What de-identification costs in clinical meaning: the words of narrative it removes."""

from __future__ import annotations

from difflib import SequenceMatcher

__all__ = ["words_removed"]


def words_removed(before: str, after: str) -> tuple[int, int]:
    """How many words ``before`` has, and how many of them are missing from ``after``.

    Words are what whitespace separates; the two texts are aligned word by word, so a
    word kept in its place counts as kept and a replaced one ("Ingrid" -> "[NAME]", a
    date cut to its year) as removed.
    """
    old, new = before.split(), after.split()
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    kept = sum(block.size for block in matcher.get_matching_blocks())
    return len(old), len(old) - kept
