"""Plain data shared by every layer: segment kinds, codes, documents and segments."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

__all__ = [
    "LOINC",
    "Code",
    "DocumentRef",
    "InstanceId",
    "Segment",
    "SegmentKind",
    "path_sort_key",
    "tracking_id_for",
    "tracking_ids",
]

LOINC = "2.16.840.1.113883.6.1"

# UUIDv5 namespace of PHR Share tracking ids. Changing it changes every tracking id.
_TRACKING_NAMESPACE = uuid.UUID("a870bd87-2c1e-4582-a15f-30c42dd26b83")


class SegmentKind(StrEnum):
    """The kinds a record is divided into; each decides where a segment may go."""

    PERSONAL = "personal"
    HEALTH_STATUS = "health-status"
    PHYSICAL_SIGNS = "physical-signs"
    BODY_MEASURES = "body-measures"
    FAMILY_HISTORY = "family-history"
    PATIENT_NARRATIVE = "patient-narrative"
    LIFESTYLE = "lifestyle"
    DOCTOR_NOTES = "doctor-notes"
    THIRD_PARTY = "third-party"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Code:
    """A coded concept: code, code system OID and optional display name."""

    code: str
    system: str
    display: str | None = None

    @property
    def loinc(self) -> str | None:
        """The code when it is a LOINC code, else None."""
        return self.code if self.system == LOINC else None


@dataclass(frozen=True, slots=True)
class InstanceId:
    """An HL7 instance identifier (II): root OID or UUID plus optional extension."""

    root: str
    extension: str | None = None

    def __str__(self) -> str:
        return self.root if self.extension is None else f"{self.root}^{self.extension}"


@dataclass(frozen=True, slots=True)
class DocumentRef:
    """The source document of a segment, with the header facts needed to rebuild one."""

    id: InstanceId
    version: int = 1
    set_id: InstanceId | None = None
    code: Code | None = None
    title: str | None = None
    effective_time: str | None = None


@dataclass(frozen=True, slots=True)
class Segment:
    """One standalone part of a patient's document; ``sha256`` is of ``content``.

    ``path`` is ``header`` (the personal segment), ``body`` (an unstructured body) or
    ``body/N[/M...]``: the 1-based position of a section among its siblings.
    """

    kind: SegmentKind
    tracking_id: uuid.UUID
    patient_id: uuid.UUID
    document: DocumentRef
    path: str
    content: bytes
    title: str | None = None
    code: Code | None = None
    template_ids: tuple[InstanceId, ...] = ()
    masked: tuple[str, ...] = ()
    sha256: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sha256", hashlib.sha256(self.content).hexdigest())

    @property
    def parent_path(self) -> str | None:
        """The path of the section this one is nested in, or None at the top level."""
        head, _, _ = self.path.rpartition("/")
        return head if head.count("/") >= 1 else None


def tracking_id_for(patient_id: uuid.UUID, document_id: InstanceId, path: str) -> uuid.UUID:
    """The stable tracking id of the segment at ``path`` of a patient's document."""
    return tracking_ids(patient_id, document_id)(path)


def tracking_ids(patient_id: uuid.UUID, document_id: InstanceId) -> Callable[[str], uuid.UUID]:
    """Tracking ids for the paths of one document: UUIDv5 of patient, document and path.

    The same values as ``uuid.uuid5``, with the common prefix hashed once per document.
    """
    prefix = f"{patient_id}|{document_id.root}|{document_id.extension or ''}|"
    base = hashlib.sha1(_TRACKING_NAMESPACE.bytes + prefix.encode(), usedforsecurity=False)

    def for_path(path: str) -> uuid.UUID:
        digest = base.copy()
        digest.update(path.encode())
        return uuid.UUID(bytes=digest.digest()[:16], version=5)

    return for_path


def path_sort_key(path: str) -> tuple[int, ...]:
    """Document order: header, then the body, then sections depth-first."""
    if path == "header":
        return (0,)
    return (1, *(int(part) for part in path.split("/")[1:]))
