"""The researcher's side of the public bucket: the release catalogue, verified records,
a resumable bulk pull, and Parquet export. Reads only what releases published."""

from phr_share.research.catalogue import (
    RecordObject,
    ReleaseInfo,
    catalogue,
    records_to_jsonl,
    release_info,
    release_records,
)
from phr_share.research.parquet import records_to_parquet
from phr_share.research.pull import PullReport, pull, wanted_objects
from phr_share.research.query import AgeRange, RecordQuery

__all__ = [
    "AgeRange",
    "PullReport",
    "RecordObject",
    "RecordQuery",
    "ReleaseInfo",
    "catalogue",
    "pull",
    "records_to_jsonl",
    "records_to_parquet",
    "release_info",
    "release_records",
    "wanted_objects",
]
