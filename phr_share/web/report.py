"""The clinic-visit report as a PDF download: the patient's from My data, a clinician's
from the record page. The use case decides what goes in and audits every download."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from flask import Blueprint, Response, request
from werkzeug.wrappers import Response as BaseResponse

from phr_share import sharing
from phr_share.errors import InvalidInput
from phr_share.models import CLINICIANS, Principal, Purpose, Role
from phr_share.web.local_time import local, zone
from phr_share.web.security import current_account, requires, services

__all__ = ["bp", "report_days"]

bp = Blueprint("report", __name__)


def report_days(sent: Mapping[str, str]) -> int:
    """The period a report was asked for: 90 days unless 30, 180 or 365; InvalidInput
    for anything else."""
    asked = sent.get("days", str(sharing.REPORT_DAYS)).strip()
    if asked not in {str(days) for days in sharing.REPORT_PERIODS}:
        raise InvalidInput("the report covers 30, 90, 180 or 365 days")
    return int(asked)


def _me() -> Principal:
    account = current_account()
    assert account is not None  # guarded by @requires
    return account.principal


@bp.get("/me/report.pdf")
@requires(Role.PATIENT)
def mine() -> BaseResponse:
    """My own visit report, of everything, for the period asked."""
    me = _me()
    assert me.patient_id is not None
    return _pdf(me, me.patient_id, Purpose.TREATMENT)


@bp.get("/clinic/patients/<uuid:patient_id>/report.pdf")
@requires(*CLINICIANS)
def patients(patient_id: uuid.UUID) -> BaseResponse:
    """A patient's visit report, of what the patient shares with me."""
    purpose = Purpose.EMERGENCY if request.args.get("emergency") == "1" else Purpose.TREATMENT
    return _pdf(_me(), patient_id, purpose)


def _pdf(reader: Principal, patient_id: uuid.UUID, purpose: Purpose) -> BaseResponse:
    days = report_days(request.args)
    svc = services()
    data = sharing.visit_report_pdf(svc, reader, patient_id, days, zone=zone(), purpose=purpose)
    # The file's name holds the day only: no name, no id, nothing about the patient.
    name = f"visit-report-{local(svc.clock()):%Y-%m-%d}.pdf"
    return Response(
        data,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )
