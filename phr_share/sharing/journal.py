"""The ingest journal: a pending document names every object an ingest is about to write,
and which attempt writes them.

One attempt holds a journal at a time. The first inserts it (the unique index on
patient and content hash lets only one in); a later one takes it over only when no live
attempt holds it: the holder gave up (a store down while rolling back) or has held it
longer than ABANDONED_AFTER (its process died). The holder alone marks the document
stored, so of two ingests of the same bytes at once exactly one reports it new, and
nothing is written twice.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

from phr_share.ccda.split import SplitDocument
from phr_share.crypto import ALGORITHM
from phr_share.db import Document, DocumentStatus, Session
from phr_share.db.queries import documents as document_rows
from phr_share.errors import PhrShareError, StoreConflict
from phr_share.sharing.services import Services

__all__ = [
    "ABANDONED_AFTER",
    "being_stored",
    "claim",
    "container_for",
    "let_go",
    "new_document",
    "object_name",
    "roll_back",
]

# A journal whose attempt has held it this long is taken to be abandoned (its process
# died): the next ingest of the document, or recover, takes it over. An ingest at the
# section limit takes seconds.
ABANDONED_AFTER = timedelta(minutes=15)
# A LOINC code is digits, a hyphen and a check digit; anything else is not kept.
_LOINC_CODE = re.compile(r"[0-9]{1,7}-[0-9]")


def container_for(patient_id: uuid.UUID) -> str:
    """The patient's private container: their opaque global id, nothing else."""
    return str(patient_id)


def object_name(kind: str, tracking_id: uuid.UUID, version: int) -> str:
    """The private object of one segment version: kind, tracking id and version only."""
    return f"{kind}/{tracking_id}/v{version}"


def being_stored() -> StoreConflict:
    """The conflict a second attempt at a document meets while another holds it."""
    return StoreConflict("the same document is being stored by another request; try again")


def claim(svc: Services, session: Session, document_id: int, attempt: str) -> bool:
    """Take over a pending journal no live attempt holds; False if one does (or got it first)."""
    now = svc.clock()
    return document_rows.claim_journal(
        session, document_id, attempt, now=now, stale_before=now - ABANDONED_AFTER
    )


def let_go(
    svc: Services, session: Session, document_id: int, attempt: str, *, stored: bool
) -> bool:
    """End this attempt's hold on its journal, the document stored or left for the next
    attempt; False when the attempt no longer held it."""
    stored_at = svc.clock() if stored else None
    return document_rows.end_hold(session, document_id, attempt, stored_at=stored_at)


def new_document(
    svc: Services, session: Session, split: SplitDocument, digest: str, key_id: str, attempt: str
) -> Document:
    """The pending document and its segments' rows: one INSERT for all of them, however
    many sections (the ORM would send one per row to get each row's id back)."""
    ref = split.document
    series = str(ref.set_id or ref.id)
    version = (document_rows.latest_version(session, split.patient_id, series) or 0) + 1
    document = Document(
        patient_id=split.patient_id,
        document_key=str(ref.id),
        series=series,
        version=version,
        content_sha256=digest,
        type_code=_type_code(split),
        status=DocumentStatus.PENDING,
        created_at=svc.clock(),
        attempt=attempt,
        attempted_at=svc.clock(),
    )
    session.add(document)
    session.flush()
    container = container_for(split.patient_id)
    rows = [
        {
            "document_id": document.id,
            "patient_id": split.patient_id,
            "tracking_id": segment.tracking_id,
            "version": version,
            "kind": segment.kind.value,
            "path": segment.path,
            "container": container,
            "object_name": object_name(segment.kind.value, segment.tracking_id, version),
            "key_id": key_id,
            "algorithm": ALGORITHM,
            "content_sha256": segment.sha256,
            "ciphertext_sha256": "",
            "size": len(segment.content),
        }
        for segment in split.segments
    ]
    document_rows.insert_segments(session, rows)
    return document


def _type_code(split: SplitDocument) -> str | None:
    # Only a well-formed LOINC code: the index holds codes, never a document's own words.
    loinc = split.document.code.loinc if split.document.code is not None else None
    return loinc if loinc is not None and _LOINC_CODE.fullmatch(loinc) else None


def roll_back(svc: Services, document_id: int, attempt: str) -> bool:
    """Remove a pending document's objects, then its rows, if this attempt holds it; when a
    delete fails, keep the journal and let go of it, for the next attempt to finish."""
    with svc.db.session() as session:
        document = session.get(Document, document_id)
        if document is None or document.attempt != attempt:
            return False
        names = [(row.container, row.object_name) for row in document.segments]
    try:
        for container, name in names:
            svc.private.delete(container, name)
    except PhrShareError:
        with svc.db.session() as session:
            let_go(svc, session, document_id, attempt, stored=False)
        return False
    with svc.db.session() as session:
        document = session.get(Document, document_id, with_for_update=True)
        if document is not None and document.attempt == attempt:
            session.delete(document)
    return True
