"""De-identifying segments for research: the C-CDA walker driven by Safe Harbor rules.

Pure (no I/O): a research release runs it on the segments a patient releases when it
reads them back from the private store (``sharing.release``), the patient's research
preview on what a release would take, the ``deidentify`` command on a whole document.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from phr_share.ccda.entries import anchors_of, clinical_entries, narrative_of
from phr_share.ccda.identity import collect_identifiers, patient_identity
from phr_share.ccda.narrative import narrative_text
from phr_share.ccda.scrub import free_texts, scrub_tree
from phr_share.ccda.split import SplitDocument
from phr_share.ccda.xml import canonical, parse_xml
from phr_share.deid.meaning import words_removed
from phr_share.deid.policy import DeidPolicy
from phr_share.deid.records import FlatRecord, flat_record
from phr_share.deid.safe_harbor import SafeHarbor
from phr_share.errors import InvalidSegment
from phr_share.models import Identifiers, PatientIdentity, PhiKind, Segment, SegmentKind

__all__ = [
    "DeidentifiedSegment",
    "deidentify_document",
    "deidentify_segments",
    "narrative_words_removed",
]


@dataclass(frozen=True, slots=True)
class DeidentifiedSegment:
    """A released segment: de-identified CDA XML, its flat records and what was removed."""

    kind: SegmentKind
    title: str | None
    xml: bytes
    records: tuple[FlatRecord, ...]
    removed: Mapping[PhiKind, int]


def deidentify_segments(
    segments: Iterable[Segment], identity: PatientIdentity, policy: DeidPolicy
) -> list[DeidentifiedSegment]:
    """De-identify segments of one patient; the header's and their own identifiers, and
    the names their narrative introduces ("her daughter Ingrid"), are scrubbed from every
    one of them.

    Raises InvalidSegment for a ``personal`` segment (it never leaves the private store)
    or a segment of another patient.
    """
    trees = []
    known = Identifiers()
    for segment in segments:
        if segment.kind is SegmentKind.PERSONAL:
            raise InvalidSegment("the personal segment is never de-identified for release")
        if segment.patient_id != identity.patient_id:
            raise InvalidSegment("a segment of another patient was given")
        root = parse_xml(segment.content)
        known = known | collect_identifiers(root)
        trees.append((segment, root))
    rules = SafeHarbor(identity, policy, known)
    # A person introduced once ("seen with her daughter Ingrid") is often named again
    # alone ("Ingrid will bring the list"): such names are known to every segment.
    rules.learn_names(text for _, root in trees for text in free_texts(root))
    released = []
    for segment, root in trees:
        facts = clinical_entries(root)
        scrub_tree(root, rules)
        anchors = anchors_of(root)
        # A statement with neither a code nor a value tells a study nothing it can count.
        flat = (
            flat_record(segment.kind.value, fact.entry, narrative_of(fact.element, anchors), rules)
            for fact in facts
        )
        records = tuple(record for record in flat if record.measured)
        released.append(
            DeidentifiedSegment(
                segment.kind, segment.title, canonical(root), records, rules.take_counts()
            )
        )
    return released


def deidentify_document(
    document: SplitDocument, policy: DeidPolicy, kinds: Collection[SegmentKind] | None = None
) -> list[DeidentifiedSegment]:
    """De-identify the released kinds of a split document (all but ``personal`` by default)."""
    header = next(s for s in document.segments if s.path == "header")
    identity = patient_identity(header.content, document.patient_id)
    chosen = [
        s
        for s in document.segments
        if s.kind is not SegmentKind.PERSONAL and (kinds is None or s.kind in kinds)
    ]
    return deidentify_segments(chosen, identity, policy)


def narrative_words_removed(source: Segment, released: DeidentifiedSegment) -> tuple[int, int]:
    """How many words the source section's narrative has, and how many of them its
    de-identified copy lost: the cost in clinical meaning. Raises InvalidDocument for bad XML."""
    return words_removed(narrative_text(source.content), narrative_text(released.xml))
