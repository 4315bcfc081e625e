"""What a researcher reads: the published releases of the public bucket and their
records, checked against each release's manifest, whole or filtered, as JSON lines or
Parquet. Only researchers and admins read them; nothing here touches a patient's record.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from phr_share.deid.records import RECORD_FIELDS
from phr_share.models import Principal, Role
from phr_share.research import (
    RecordQuery,
    ReleaseInfo,
    catalogue,
    records_to_jsonl,
    records_to_parquet,
    release_records,
)
from phr_share.sharing.guard import require_role
from phr_share.sharing.services import Services

# With the use cases, the research vocabulary the researcher's pages and API speak in:
# the fields of a released record (name, type, meaning) for the query form, the query,
# and what a release says of itself.
__all__ = [
    "RECORD_FIELDS",
    "RecordQuery",
    "ReleaseInfo",
    "ReleaseRecords",
    "research_records",
    "research_releases",
]

_READERS = (Role.RESEARCHER, Role.ADMIN)
_MEDIA_TYPES = {"jsonl": "application/x-ndjson", "parquet": "application/vnd.apache.parquet"}


@dataclass(frozen=True, slots=True)
class ReleaseRecords:
    """The records of one release that answer a query, as read (and checked)."""

    release_id: str
    rows: list[dict[str, Any]]

    def encoded(self, fmt: Literal["jsonl", "parquet"]) -> tuple[bytes, str]:
        """The records as a file of ``fmt`` and its media type; InvalidInput for a
        malformed date in Parquet."""
        data = records_to_jsonl(self.rows) if fmt == "jsonl" else records_to_parquet(self.rows)
        return data, _MEDIA_TYPES[fmt]


def research_releases(svc: Services, principal: Principal) -> list[ReleaseInfo]:
    """Every published release, oldest first. AccessDenied for anyone but a researcher or
    an admin; IntegrityError for a bad manifest."""
    require_role(principal, *_READERS)
    return catalogue(svc.public, svc.settings.s3_bucket)


def research_records(
    svc: Services, principal: Principal, release_id: str, query: RecordQuery | None = None
) -> ReleaseRecords:
    """The records of one release that answer ``query`` (every record when None), each
    object checked whole against the manifest. AccessDenied for anyone but a researcher or
    an admin; NotFound or IntegrityError for a missing or altered release."""
    require_role(principal, *_READERS)
    rows = release_records(svc.public, svc.settings.s3_bucket, release_id, query)
    return ReleaseRecords(release_id, rows)
