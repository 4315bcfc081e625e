"""The clinic-visit report as a PDF: what it holds (:mod:`.content`, plain data, already in
words) and how it is drawn (:mod:`.pdf`, with its charts from :mod:`.chart`).

Pure: bytes out, no I/O, no clock, no zone; the use case in ``sharing/report.py`` reads
the record through the decision point and puts every time into words before it comes
here. ReportLab lives in this corner only.
"""

from phr_share.report.content import (
    ChartLine,
    ReportChart,
    ReportNote,
    ReportPart,
    ReportSection,
    SensorGlucose,
    VisitReport,
)
from phr_share.report.pdf import render_pdf

__all__ = [
    "ChartLine",
    "ReportChart",
    "ReportNote",
    "ReportPart",
    "ReportSection",
    "SensorGlucose",
    "VisitReport",
    "render_pdf",
]
