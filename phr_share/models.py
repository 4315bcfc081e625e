"""Plain data shared by every layer: segment kinds, roles and statuses, codes, documents,
segments and measured values."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import NewType

__all__ = [
    "ACCOUNT_ROLES",
    "ACCOUNT_SYSTEM",
    "BOUNDARY_REASONS",
    "CARERS",
    "CLINICIANS",
    "LOINC",
    "MAX_ID",
    "PHR_OID",
    "RXNORM",
    "SERIES_KINDS",
    "SERIES_REBUILDER",
    "SNOMED",
    "CareStatus",
    "ClinicalEntry",
    "Code",
    "DocumentRef",
    "GrantStatus",
    "Identifiers",
    "InstanceId",
    "ItemOutcome",
    "Measurement",
    "Mood",
    "Outcome",
    "PatientIdentity",
    "PhiKind",
    "Point",
    "Principal",
    "PrincipalId",
    "Purpose",
    "Reason",
    "ReleaseStatus",
    "Role",
    "Segment",
    "SegmentKind",
    "Sensitivity",
    "parse_user_id",
    "path_sort_key",
    "tracking_id_for",
    "tracking_ids",
    "user_id_text",
]

LOINC = "2.16.840.1.113883.6.1"
SNOMED = "2.16.840.1.113883.6.96"
RXNORM = "2.16.840.1.113883.6.88"
# PHR Share's own OID arc: a UUID-derived OID (2.25.<uuid as integer>, ITU-T X.667).
PHR_OID = "2.25.159894715224632297503976708677735739468"
# Identifier system of PHR Share account ids (``user:<uuid>``) in FHIR exports.
ACCOUNT_SYSTEM = f"urn:oid:{PHR_OID}.12"

# The largest id the index holds: its ids are Integer columns, 32-bit on PostgreSQL.
MAX_ID = 2**31 - 1

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

    @property
    def label(self) -> str:
        """The kind as people read it ("Vital signs" for ``physical-signs``)."""
        return _KIND_WORDS[self][0]

    @property
    def about(self) -> str:
        """What segments of the kind hold, in a few words."""
        return _KIND_WORDS[self][1]


_KIND_WORDS = {
    SegmentKind.PERSONAL: ("Personal details", "name, ids, address, contacts, birth date"),
    SegmentKind.HEALTH_STATUS: (
        "Health status",
        "problems, medications, allergies, immunisations, procedures, results, visits",
    ),
    SegmentKind.PHYSICAL_SIGNS: ("Vital signs", "blood pressure, heart rate, glucose"),
    SegmentKind.BODY_MEASURES: ("Body measures", "height, weight, BMI"),
    SegmentKind.FAMILY_HISTORY: ("Family history", "illnesses in the family"),
    SegmentKind.PATIENT_NARRATIVE: (
        "Mood and functioning",
        "the patient's own account: emotions, pain, mental and functional status",
    ),
    SegmentKind.LIFESTYLE: ("Lifestyle", "diet, physical activity, smoking"),
    SegmentKind.DOCTOR_NOTES: (
        "Clinicians' notes",
        "notes, assessments, plans, orders, instructions",
    ),
    SegmentKind.THIRD_PARTY: ("From other institutions", "sections another organisation wrote"),
    SegmentKind.OTHER: ("Other", "sections that fit no other kind"),
}


# The kinds whose measurements go into the patient's series: vital signs and body
# measures, results, the patient's own account (pain, mood) and lifestyle (activity).
SERIES_KINDS = frozenset(
    {
        SegmentKind.HEALTH_STATUS,
        SegmentKind.PHYSICAL_SIGNS,
        SegmentKind.BODY_MEASURES,
        SegmentKind.PATIENT_NARRATIVE,
        SegmentKind.LIFESTYLE,
    }
)


PrincipalId = NewType("PrincipalId", str)
"""Who a principal is, as text: ``user:<account uuid>`` (made by :func:`user_id_text`,
read back by :func:`parse_user_id`), or a named system or operator id."""

# The one system principal that reads for maintenance: the series rebuild.
SERIES_REBUILDER = PrincipalId("system:series")


class Role(StrEnum):
    """What an account is, or who else acts: ``system`` is the release router, never a
    person; ``operator`` is whoever runs the ``phr-share`` command on the server, trusted
    with its state directory and keys."""

    PATIENT = "patient"
    DOCTOR = "doctor"
    NURSE = "nurse"
    # Family or a friend the patient asked in: reads what the patient grants them, never
    # under an emergency or a one-visit link, and writes nothing into the record.
    CAREGIVER = "caregiver"
    RESEARCHER = "researcher"
    ADMIN = "admin"
    SYSTEM = "system"
    OPERATOR = "operator"


CLINICIANS = frozenset({Role.DOCTOR, Role.NURSE})
# Who can be in a patient's care and read under the patient's grants.
CARERS = CLINICIANS | {Role.CAREGIVER}
# The roles an account can have (the system and the operator are not accounts).
ACCOUNT_ROLES = frozenset(Role) - {Role.SYSTEM, Role.OPERATOR}


class Purpose(StrEnum):
    """Why a segment is read; a grant permits one purpose."""

    TREATMENT = "treatment"
    RESEARCH = "research"
    EMERGENCY = "emergency"
    # The system recomputing a patient's measurement series from their segments: what it
    # reads goes back, sealed, into the patient's own series and nowhere else.
    MAINTENANCE = "maintenance"


class Reason(StrEnum):
    """Why a decision or a refusal came out as it did: stable codes for logs, APIs and
    people. Every ``AccessDenied`` carries one of these."""

    OWNER = "owner"
    GRANT = "grant"
    SHARE_LINK = "share-link"
    BREAK_GLASS = "break-glass"
    RESEARCH_RELEASE = "research-release"
    DEID_CONTEXT = "deid-context"
    SERIES_REBUILD = "series-rebuild"
    # Names the patient, reads nothing: the viewer is in the patient's care or invited.
    IN_CARE = "in-care"

    NO_GRANT = "no-grant"
    ACCOUNT_DISABLED = "account-disabled"
    ROLE_NOT_PERMITTED = "role-not-permitted"
    PURPOSE_MISMATCH = "purpose-mismatch"
    GRANT_PENDING = "grant-pending"
    GRANT_REFUSED = "grant-refused"
    GRANT_REVOKED = "grant-revoked"
    GRANT_NOT_YET_VALID = "grant-not-yet-valid"
    GRANT_EXPIRED = "grant-expired"
    KIND_NOT_GRANTED = "kind-not-granted"
    KIND_EXCEPTED = "kind-excepted"
    RESTRICTED_KIND = "restricted-kind-not-named"
    VERY_RESTRICTED_KIND = "very-restricted-kind"
    BREAK_GLASS_EXPIRED = "break-glass-expired"
    LINK_OTHER_GRANTEE = "link-other-grantee"
    LINK_REVOKED = "link-revoked"
    LINK_USED = "link-used"
    LINK_EXPIRED = "link-expired"
    NOT_RELEASED = "not-released"

    # Refusals of the use-case boundary, outside a read decision.
    NOT_OWNER = "not-owner"
    NOT_IN_CARE = "not-in-care"
    NOT_A_PARTY = "not-a-party"
    # A role that must sign in with a second factor, on an account that has none yet.
    MFA_REQUIRED = "mfa-required"


# The reasons only the use-case boundary gives; the decision point gives every other one.
BOUNDARY_REASONS = frozenset(
    {Reason.NOT_OWNER, Reason.NOT_IN_CARE, Reason.NOT_A_PARTY, Reason.MFA_REQUIRED}
)


class Sensitivity(StrEnum):
    """How carefully a kind is guarded.

    ``restricted`` kinds are opened only by a grant or link that names them; ``very
    restricted`` ones, in addition, never by break-glass.
    """

    NORMAL = "normal"
    RESTRICTED = "restricted"
    VERY_RESTRICTED = "very-restricted"


class GrantStatus(StrEnum):
    """A grant's state; a delegated grant is ``pending`` until the patient answers."""

    PENDING = "pending"
    ACTIVE = "active"
    REVOKED = "revoked"
    REFUSED = "refused"


class CareStatus(StrEnum):
    """A care relationship's state: ``invited`` by the patient or ``requested`` by the
    clinician until the other side accepts, ``active``, then ``ended`` for good."""

    INVITED = "invited"
    REQUESTED = "requested"
    ACTIVE = "active"
    ENDED = "ended"


class ReleaseStatus(StrEnum):
    """A release run's state in the index: pending while it runs, then published or failed."""

    PENDING = "pending"
    PUBLISHED = "published"
    FAILED = "failed"


class ItemOutcome(StrEnum):
    """What became of one segment in a release. A segment with no coded statement yields
    no record to gate, so it is never published: ``no-data`` keeps later runs from reading
    it again. Suppressed ones are retried."""

    PUBLISHED = "published"
    SUPPRESSED = "suppressed"
    NO_DATA = "no-data"


class Outcome(StrEnum):
    """Whether an audited action went through."""

    OK = "ok"
    DENIED = "denied"
    FAILED = "failed"


class Mood(StrEnum):
    """A five-point self-reported mood scale."""

    VERY_LOW = "very-low"
    LOW = "low"
    NEUTRAL = "neutral"
    GOOD = "good"
    VERY_GOOD = "very-good"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who asks: ``user:<account uuid>`` (or ``system:router``, ``operator:cli``), its
    role, its own patient id if any, and whether the account is switched on."""

    id: PrincipalId
    role: Role
    patient_id: uuid.UUID | None = None
    active: bool = True

    @classmethod
    def of_user(
        cls,
        user_id: uuid.UUID,
        role: Role,
        patient_id: uuid.UUID | None = None,
        active: bool = True,
    ) -> Principal:
        """The principal of an account."""
        return cls(user_id_text(user_id), role, patient_id, active)

    @property
    def user_id(self) -> uuid.UUID | None:
        """The account id behind a ``user:<uuid>`` principal; None for anyone else."""
        return parse_user_id(self.id)


_USER_PREFIX = "user:"


def user_id_text(user_id: uuid.UUID) -> PrincipalId:
    """An account's principal id, ``user:<uuid>``: the one place it is spelled."""
    return PrincipalId(f"{_USER_PREFIX}{user_id}")


def parse_user_id(principal_id: str) -> uuid.UUID | None:
    """The account id in a ``user:<uuid>`` principal id; None for any other id."""
    if not principal_id.startswith(_USER_PREFIX):
        return None
    try:
        return uuid.UUID(principal_id.removeprefix(_USER_PREFIX))
    except ValueError:
        return None


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


class PhiKind(StrEnum):
    """The 18 HIPAA Safe Harbor identifier kinds (45 CFR 164.514(b)(2)(i)(A)-(R))."""

    NAME = "names"
    GEOGRAPHY = "geography"  # below state; ZIP beyond 3 digits
    DATE = "dates"  # every date element but the year; ages over 89
    PHONE = "phone"
    FAX = "fax"
    EMAIL = "email"
    SSN = "ssn"
    MRN = "medical-record-number"
    HEALTH_PLAN = "health-plan-number"
    ACCOUNT = "account-number"
    LICENCE = "licence-number"
    VEHICLE = "vehicle-identifier"
    DEVICE = "device-identifier"
    URL = "url"
    IP_ADDRESS = "ip-address"
    BIOMETRIC = "biometric"
    IMAGE = "image"
    OTHER_ID = "other-identifier"


@dataclass(frozen=True, slots=True)
class Identifiers:
    """Identifying values found in a document, by kind: what must never leave it."""

    values: tuple[tuple[PhiKind, str], ...] = ()

    def of(self, kind: PhiKind) -> frozenset[str]:
        """The values of one kind."""
        return frozenset(value for k, value in self.values if k is kind)

    def __or__(self, other: Identifiers) -> Identifiers:
        return Identifiers(tuple(sorted({*self.values, *other.values})))

    def __len__(self) -> int:
        return len(self.values)


@dataclass(frozen=True, slots=True)
class PatientIdentity:
    """What a document's header says about its patient, for de-identification.

    ``birth_time`` is an HL7 timestamp; ``sex`` is M, F or U; ``postal_code`` is the
    home address's. ``identifiers`` holds every identifying value of the header.
    """

    patient_id: uuid.UUID
    birth_time: str | None = None
    sex: str = "U"
    postal_code: str | None = None
    identifiers: Identifiers = field(default_factory=Identifiers)


@dataclass(frozen=True, slots=True)
class ClinicalEntry:
    """One coded clinical statement of a section, as plain facts.

    ``codes`` holds the statement's code, its coded value and the coded product (drug,
    vaccine) when present; ``value``/``unit`` a measured value; ``time`` the statement's
    HL7 timestamp (its start when it is an interval).
    """

    statement: str
    codes: tuple[Code, ...]
    value: str | None = None
    unit: str | None = None
    time: str | None = None


@dataclass(frozen=True, slots=True)
class Measurement:
    """One measured value of a section, for the charts: its LOINC code (or ``MOOD``),
    value, unit, time."""

    code: str
    value: float
    unit: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Point:
    """One point of a patient's series: its LOINC code (or ``MOOD``), value, UCUM unit,
    when it was measured (aware), and the segment it came from (tracking id) with that
    segment's kind."""

    code: str
    value: float
    unit: str
    at: datetime
    source: uuid.UUID
    kind: str
