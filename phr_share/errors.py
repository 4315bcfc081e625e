"""The exceptions PHR Share raises, each with its HTTP status and CLI exit code.

Every message is written by this package, never copied from a document, so no
patient data can reach a log line or an error page through an exception::

    PhrShareError                     500 / 70 (EX_SOFTWARE)
    ├── InvalidInput                  422 / 65 (EX_DATAERR)
    │   ├── InvalidDocument           an XML document was refused
    │   │   ├── EmptyDocument
    │   │   ├── DocumentTooLarge      413
    │   │   ├── DocumentTooDeep
    │   │   ├── TooManySections       more sections than PHR_MAX_SECTIONS
    │   │   ├── MalformedXML          not well-formed XML
    │   │   ├── ForbiddenXML          DTD, entity or other construct refused
    │   │   ├── NotClinicalDocument   wrong root element or namespace
    │   │   └── SchemaViolation       does not match a schema in schemas/
    │   ├── InvalidSegment            a segment or segment set is unusable
    │   ├── InvalidReadings           home readings rejected, per field
    │   └── ProofRejected             an audit proof bundle does not check out (names what failed)
    ├── KAnonymityNotReached          422 / 65  a research release refused, nothing written
    ├── Unauthenticated               401 / 77 (EX_NOPERM)  unknown account, wrong password or token
    │   └── AccountClosed             the right password of an account closed by its erasure
    ├── TooManyAttempts               429 / 75 (EX_TEMPFAIL)  sign-in throttled; has retry_after
    ├── AccessDenied                  403 / 77  refused by the decision point, a use case's own
    │                                           check or a sign-in guard; has a Reason
    ├── InvalidState                  409 / 65  e.g. approving a delegation that was already refused
    ├── NotFound                      404 / 66 (EX_NOINPUT)
    │   └── ObjectNotFound            a stored object is missing
    ├── IntegrityError                500 / 65  a stored object failed to decrypt (one opaque error)
    ├── KeyErased                     410 / 65  the patient's key was destroyed (erasure)
    ├── StorageError                  502 / 74 (EX_IOERR)
    │   ├── StoreUnavailable          503 / 69 (EX_UNAVAILABLE)  Swift, S3 or KMS cannot be reached
    │   └── StoreConflict             409 / 75 (EX_TEMPFAIL)  a concurrent change; retry
    └── ConfigurationError            78 (EX_CONFIG)
"""

from __future__ import annotations

from collections.abc import Mapping

from phr_share.models import Reason

__all__ = [
    "AccessDenied",
    "AccountClosed",
    "ConfigurationError",
    "DocumentTooDeep",
    "DocumentTooLarge",
    "EmptyDocument",
    "ForbiddenXML",
    "IntegrityError",
    "InvalidDocument",
    "InvalidInput",
    "InvalidReadings",
    "InvalidSegment",
    "InvalidState",
    "KAnonymityNotReached",
    "KeyErased",
    "MalformedXML",
    "NotClinicalDocument",
    "NotFound",
    "ObjectNotFound",
    "PhrShareError",
    "ProofRejected",
    "SchemaViolation",
    "StorageError",
    "StoreConflict",
    "StoreUnavailable",
    "TooManyAttempts",
    "TooManySections",
    "Unauthenticated",
]


class PhrShareError(Exception):
    """Base of every error this package raises on purpose."""

    http_status = 500
    exit_code = 70
    code = "internal"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(PhrShareError):
    """Input from a user or a file that the system refuses."""

    http_status = 422
    exit_code = 65
    code = "invalid-input"


class InvalidDocument(InvalidInput):
    """An XML document was refused; ``line`` and ``column`` say where, when known."""

    code = "invalid-document"

    def __init__(self, message: str, *, line: int | None = None, column: int | None = None) -> None:
        where = (
            f" (line {line}, column {column})" if line is not None and column is not None else ""
        )
        super().__init__(message + where)
        self.line = line
        self.column = column


class EmptyDocument(InvalidDocument):
    """The document holds no XML at all."""

    code = "empty-document"


class DocumentTooLarge(InvalidDocument):
    """The document is over the configured size limit."""

    http_status = 413
    code = "document-too-large"


class DocumentTooDeep(InvalidDocument):
    """Elements are nested deeper than the configured limit."""

    code = "document-too-deep"


class TooManySections(InvalidDocument):
    """The document has more sections than the configured limit; refused before any work."""

    code = "too-many-sections"


class MalformedXML(InvalidDocument):
    """The bytes are not well-formed XML (truncated, garbage, bad encoding)."""

    code = "malformed-xml"


class ForbiddenXML(InvalidDocument):
    """A construct that is never accepted: DTDs, entity declarations or references."""

    code = "forbidden-xml"


class NotClinicalDocument(InvalidDocument):
    """Well-formed XML, but not an HL7 CDA ``ClinicalDocument``."""

    code = "not-clinical-document"


class SchemaViolation(InvalidDocument):
    """The document does not match one of the schemas in ``schemas/``."""

    code = "schema-violation"


class InvalidSegment(InvalidInput):
    """A segment (or a set of segments) cannot be read, trusted or combined."""

    code = "invalid-segment"


class InvalidReadings(InvalidInput):
    """Home readings were rejected; ``fields`` maps each bad field to what is wrong."""

    code = "invalid-readings"

    def __init__(self, fields: Mapping[str, str]) -> None:
        self.fields = dict(fields)
        listed = "; ".join(f"{name}: {problem}" for name, problem in sorted(self.fields.items()))
        super().__init__(f"readings rejected: {listed}")


class ProofRejected(InvalidInput):
    """An audit proof bundle failed its offline check; the message names the failed check.

    Unlike IntegrityError this is specific on purpose: a bundle holds nothing secret, and
    whoever checks it needs to know which entry or which signature did not hold.
    """

    code = "proof-rejected"


class KAnonymityNotReached(PhrShareError):
    """A research release would leave someone in a group smaller than k; nothing is written."""

    http_status = 422
    exit_code = 65
    code = "k-anonymity-not-reached"


class Unauthenticated(PhrShareError):
    """No account behind the request: unknown user, wrong password, bad or expired token.

    One message for all of them, so a caller cannot probe which accounts exist.
    """

    http_status = 401
    exit_code = 77
    code = "unauthenticated"

    def __init__(self, message: str = "the credentials were not accepted") -> None:
        super().__init__(message)


class AccountClosed(Unauthenticated):
    """The password was right, but the patient erased their data and the account closed
    with it. Raised only after the password matched, so it tells no one else it existed."""

    code = "account-closed"

    def __init__(self) -> None:
        super().__init__("this account was closed when its data was erased")


class TooManyAttempts(PhrShareError):
    """Too many wrong passwords or codes: no try is checked for ``retry_after`` seconds.

    The message says how long in words ("Try again in 2 minutes."), never whose account.
    """

    http_status = 429
    exit_code = 75
    code = "too-many-requests"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class AccessDenied(PhrShareError):
    """Refused: by the decision point, by a use case's own check (owner, party, care, a
    disabled account, a second factor not set up) or by the role and second-factor guards
    of the web and the CLI; ``reason`` is its stable code."""

    http_status = 403
    exit_code = 77
    code = "access-denied"

    def __init__(self, reason: Reason, message: str | None = None) -> None:
        # Reason() refuses a code that is not one of the stable ones.
        self.reason = Reason(reason)
        super().__init__(message or f"access denied: {self.reason.value}")


class InvalidState(PhrShareError):
    """The action does not fit the current state (e.g. accepting an ended relationship)."""

    http_status = 409
    exit_code = 65
    code = "invalid-state"


class NotFound(PhrShareError):
    """A patient, document, segment or release the caller named does not exist."""

    http_status = 404
    exit_code = 66
    code = "not-found"


class ObjectNotFound(NotFound):
    """A stored object is missing from its container or bucket."""

    code = "object-not-found"


class IntegrityError(PhrShareError):
    """A stored object failed authentication: edited, swapped, truncated or re-labelled.

    Deliberately one error with one message, whatever check failed, as Fernet's
    ``InvalidToken``: a tamperer learns nothing from it.
    """

    exit_code = 65
    code = "integrity"

    def __init__(self, message: str = "a stored object failed its integrity check") -> None:
        super().__init__(message)


class KeyErased(PhrShareError):
    """The patient's key was destroyed by an erasure: their private data is unreadable."""

    http_status = 410
    exit_code = 65
    code = "key-erased"


class StorageError(PhrShareError):
    """An object store (Swift, S3) or key service refused or failed a request."""

    http_status = 502
    exit_code = 74
    code = "storage"


class StoreUnavailable(StorageError):
    """An object store or key service cannot be reached; nothing half-done is kept."""

    http_status = 503
    exit_code = 69
    code = "store-unavailable"


class StoreConflict(StorageError):
    """A concurrent change got there first (e.g. a non-empty container); retry."""

    http_status = 409
    exit_code = 75
    code = "store-conflict"


class ConfigurationError(PhrShareError):
    """A PHR_* setting is missing or has a value that cannot be used."""

    exit_code = 78
    code = "configuration"
