"""What de-identification costs in words of narrative."""

from __future__ import annotations

from phr_share.ccda.narrative import narrative_text
from phr_share.deid.meaning import words_removed


def test_replaced_and_deleted_words_count_kept_ones_do_not() -> None:
    before = "Seen with her daughter Ingrid Ferreira on 03/14/2024 for HbA1c 7.2 %"
    after = "Seen with her daughter [NAME] on 2024 for HbA1c 7.2 %"
    assert words_removed(before, after) == (12, 3)
    assert words_removed("", "") == (0, 0)
    assert words_removed(after, after) == (11, 0)


def test_narrative_text_reads_the_sections_own_block_word_by_word() -> None:
    section = (
        b'<section xmlns="urn:hl7-org:v3"><title>Vitals</title><text><table><tr><td>BP</td>'
        b"<td>128/82</td></tr></table><paragraph>Stable.</paragraph></text></section>"
    )
    assert narrative_text(section) == "BP 128/82 Stable."
