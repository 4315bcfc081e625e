"""A patient's measurements as a series, and the chronic-care summaries computed from it.

Pure: points in, figures out; no I/O and no clock. :mod:`~phr_share.series.summary`
computes the home blood-pressure, glucose (self-measured and continuous), and weight
figures for a window in the patient's time zone; :mod:`~phr_share.series.view` draws
long periods as min/max/mean per interval and short ones at full resolution.
"""

from phr_share.series.points import Point
from phr_share.series.summary import WINDOWS, Summary, summarise, summary_json
from phr_share.series.view import ChartView, chart_view

__all__ = ["WINDOWS", "ChartView", "Point", "Summary", "chart_view", "summarise", "summary_json"]
