"""What a page about someone else's record shows (a clinician's or a caregiver's): the
targets, the summary and charts, the home readings table and the other sections the
decision point lets the reader read, each read audited."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from phr_share import sharing
from phr_share.errors import AccessDenied
from phr_share.models import Principal, Purpose
from phr_share.web.local_time import zone
from phr_share.web.presentation import (
    CHART_PERIODS,
    chart_json,
    chart_period,
    page_of,
    sittings_table,
    summary_days,
)

__all__ = ["record_context"]


def record_context(
    svc: sharing.Services,
    reader: Principal,
    patient_id: uuid.UUID,
    args: Mapping[str, str],
    purpose: Purpose = Purpose.TREATMENT,
) -> dict[str, Any]:
    """The template context of a record page, read for ``purpose``."""
    days = summary_days(args)
    # Charts, summary and the home readings table from the series: a few bucket reads,
    # however long the record; the home readings documents are not read again as sections.
    period = chart_period(args)
    # The targets, where the reader may see the vital signs they are about.
    try:
        targets: sharing.Targets | None = sharing.targets_of(svc, reader, patient_id)
    except AccessDenied:
        targets = None
    shown = targets or sharing.DEFAULT_TARGETS
    # The summary and the glucose profile follow the patient's clock: their mornings,
    # evenings and times of day (the times shown stay in the reader's zone).
    clock = sharing.patient_time_zone(svc, reader, patient_id) or zone()
    dashboard = sharing.dashboard_of(
        svc,
        reader,
        patient_id,
        days=days,
        chart_days=CHART_PERIODS[period],
        or_all="chart" not in args,
        purpose=purpose,
        zone=clock,
        bp_target=shown.pressure,
    )
    page = sharing.readings_page(
        svc, reader, patient_id, page=page_of(args), purpose=purpose, read=dashboard.series
    )
    others = sharing.read_sections(svc, reader, patient_id, purpose, tabled=page.documents)
    readout = sharing.readout_of(dashboard, own=False)
    return {
        "patient_id": patient_id,
        "name": sharing.patient_name(svc, reader, patient_id),
        "sections": others,
        "readings": sittings_table(page, shown),
        "series": chart_json(dashboard.chart, shown),
        "targets": targets,
        "measured": bool(dashboard.series.tables),
        "summary": readout.summary,
        "agp": readout.agp,
        "cgm": readout.cgm,
        "agp_needs": readout.agp_needs,
        "patient_clock": None if clock == zone() else clock.key,
        "days": days,
        "period": period if dashboard.chart_days == CHART_PERIODS[period] else "all",
    }
