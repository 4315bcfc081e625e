"""De-identification for the research bucket: pure, no I/O, no lxml.

Safe Harbor rules (:mod:`safe_harbor`, :mod:`text`, :mod:`dates`, :mod:`geography`),
keyed pseudonyms (:mod:`pseudonym`), flat analytics records (:mod:`records`), the
k-anonymity gate with a release's records by kind and period (:mod:`kanon`; the names
and the manifest are :mod:`phr_share.public_layout`'s) and the leak scanner (:mod:`scanner`).
The CDA side (where identifiers sit in a document) is :mod:`phr_share.ccda.scrub`.
"""

from phr_share.deid.kanon import Release, ReleaseObject, build_release, enforce_k_anonymity
from phr_share.deid.policy import DateMode, DeidPolicy
from phr_share.deid.pseudonym import pseudonym
from phr_share.deid.records import FlatRecord
from phr_share.deid.safe_harbor import SafeHarbor
from phr_share.deid.scanner import Finding, scan

__all__ = [
    "DateMode",
    "DeidPolicy",
    "Finding",
    "FlatRecord",
    "Release",
    "ReleaseObject",
    "SafeHarbor",
    "build_release",
    "enforce_k_anonymity",
    "pseudonym",
    "scan",
]
