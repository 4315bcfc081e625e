"""The clinician's pages: patients, a patient's permitted record, notes, partners, emergencies."""

from __future__ import annotations

import uuid

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from phr_share import sharing
from phr_share.errors import AccessDenied, InvalidInput, InvalidReadings, NotFound
from phr_share.models import CLINICIANS, Principal, Purpose, Role, SegmentKind
from phr_share.web.local_time import local
from phr_share.web.presentation import (
    home_readings,
    kinds_from,
    whole_number,
)
from phr_share.web.record_view import record_context
from phr_share.web.security import current_account, requires, services

__all__ = ["bp"]

bp = Blueprint("clinic", __name__, url_prefix="/clinic")


def _me() -> Principal:
    account = current_account()
    assert account is not None
    return account.principal


def _purpose() -> Purpose:
    return Purpose.EMERGENCY if request.args.get("emergency") == "1" else Purpose.TREATMENT


@bp.get("")
@requires(*CLINICIANS)
def patients() -> str:
    """Patients who shared with me, invitations to answer, and a request form."""
    svc, me = services(), _me()
    care = sharing.care_of(svc, me)
    return render_template(
        "clinic/patients.html",
        cards=sharing.patients_of(svc, me),
        invitations=[c for c in care if c.status == "invited"],
        waiting=[c for c in care if c.status == "requested"],
        unseen=[n for n in sharing.notifications(svc, me) if n.seen_at is None],
    )


@bp.post("/care/<id:relationship>/accept")
@requires(*CLINICIANS)
def accept(relationship: int) -> BaseResponse:
    """Accept a patient's invitation."""
    sharing.accept_care(services(), _me(), relationship)
    flash("Invitation accepted. The patient decides what to share with you.", "ok")
    return redirect(url_for("clinic.patients"))


@bp.post("/care/request")
@requires(*CLINICIANS)
def request_care() -> BaseResponse:
    """Ask a patient (by patient id) to let me care for them."""
    try:
        patient_id = uuid.UUID(request.form.get("patient_id", "").strip())
    except ValueError:
        raise InvalidInput("a patient id is a UUID") from None
    sharing.request_care(services(), _me(), patient_id)
    flash("Request sent. The patient sees it on their sharing page.", "ok")
    return redirect(url_for("clinic.patients"))


@bp.get("/patients/<uuid:patient_id>")
@requires(*CLINICIANS)
def record(patient_id: uuid.UUID) -> str:
    """The segments the decision point lets me read, rendered; each read is audited."""
    svc, me, purpose = services(), _me(), _purpose()
    return render_template(
        "clinic/record.html",
        care=next(iter(sharing.care_of(svc, me, patient_id)), None),
        limits=sharing.TARGET_LIMITS,
        emergency=purpose is Purpose.EMERGENCY,
        kinds=[k for k in SegmentKind if k is not SegmentKind.PERSONAL],
        **record_context(svc, me, patient_id, request.args, purpose),
    )


@bp.post("/patients/<uuid:patient_id>/notes")
@requires(*CLINICIANS)
def note(patient_id: uuid.UUID) -> BaseResponse | tuple[str, int]:
    """Write a note or order back; it lands in the patient's private container."""
    try:
        sharing.write_note(
            services(),
            _me(),
            patient_id,
            request.form.get("text", ""),
            order=request.form.get("type") == "order",
        )
    except InvalidReadings as error:
        flash(error.fields.get("text", error.message), "error")
        return redirect(url_for("clinic.record", patient_id=patient_id))
    flash("Saved to the patient's record. They will see it on their page.", "ok")
    return redirect(url_for("clinic.record", patient_id=patient_id))


@bp.post("/patients/<uuid:patient_id>/targets")
@requires(*CLINICIANS)
def targets(patient_id: uuid.UUID) -> BaseResponse:
    """Set the patient's blood-pressure target and glucose range; the patient is told."""
    form = request.form
    sharing.set_targets(
        services(),
        _me(),
        patient_id,
        systolic=whole_number(form.get("systolic", ""), "systolic target", 0, 999),
        diastolic=whole_number(form.get("diastolic", ""), "diastolic target", 0, 999),
        glucose_low=whole_number(form.get("glucose_low", ""), "glucose range low", 0, 999),
        glucose_high=whole_number(form.get("glucose_high", ""), "glucose range high", 0, 999),
    )
    flash("Targets saved. The patient sees them, with your name, on their page.", "ok")
    return redirect(url_for("clinic.record", patient_id=patient_id))


@bp.post("/patients/<uuid:patient_id>/partner")
@requires(*CLINICIANS)
def partner(patient_id: uuid.UUID) -> BaseResponse:
    """Ask a partner clinician in; the patient must approve."""
    svc = services()
    try:
        partner_id = sharing.find_account(svc, _me(), username=request.form.get("username", "")).id
    except NotFound:
        raise InvalidInput("no account with that username") from None
    sharing.ask_partner(
        svc, _me(), partner_id, patient_id, kinds_from(request.form.getlist("kinds"))
    )
    flash("Asked. The partner gets access once the patient approves.", "ok")
    return redirect(url_for("clinic.record", patient_id=patient_id))


@bp.post("/patients/<uuid:patient_id>/emergency")
@requires(*CLINICIANS)
def emergency(patient_id: uuid.UUID) -> BaseResponse:
    """Declare an emergency (break-glass): audited, time-boxed, shown to the patient."""
    access = sharing.declare_emergency(
        services(), _me(), patient_id, request.form.get("reason", "")
    )
    flash(
        f"Emergency access until {local(access.until):%H:%M}. Every read is flagged, "
        "the patient is told, and an administrator reviews it.",
        "warning",
    )
    return redirect(url_for("clinic.record", patient_id=patient_id, emergency="1"))


@bp.get("/link")
@requires(Role.DOCTOR)
def link() -> str:
    """The page a one-visit link opens; the token stays in the fragment, out of server logs."""
    return render_template("clinic/link.html")


@bp.post("/link")
@requires(Role.DOCTOR)
def open_link() -> str | tuple[str, int]:
    """Use the link once: the linked segments are read and shown."""
    try:
        visit = sharing.open_shared_sections(
            services(), _me(), request.form.get("token", "").strip()
        )
    except (AccessDenied, NotFound) as error:
        message = "This link was already used, has expired, was revoked or is not for you."
        if isinstance(error, NotFound):
            message = "This link is not valid."
        return render_template("clinic/link.html", error=message), error.http_status
    readings, others = home_readings(visit.sections, visit.document_types)
    return render_template(
        "clinic/link_record.html",
        sections=others,
        readings=readings,
        name=visit.patient_name,
    )
