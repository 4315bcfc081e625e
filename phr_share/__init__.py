"""PHR Share: hybrid-cloud personal health record sharing.

A patient's CCD / C-CDA document is split into segments; identified segments are kept
encrypted in a private store, anonymised ones the patient releases go to a public
research bucket, and every read is decided by the patient's consent.
"""

from importlib.metadata import PackageNotFoundError, version

from phr_share.models import Segment, SegmentKind

try:
    __version__ = version("phr-share")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

__all__ = ["Segment", "SegmentKind", "__version__"]
