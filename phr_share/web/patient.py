"""The patient's pages: data and charts, upload, readings, sharing, history, erasure."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import datetime, time, timedelta

from flask import Blueprint, Response, flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from phr_share import sharing
from phr_share.choices import parse_choice
from phr_share.errors import InvalidDocument, InvalidInput, InvalidReadings, NotFound
from phr_share.models import Principal, Role, SegmentKind, Sensitivity, parse_user_id
from phr_share.web.local_time import zone
from phr_share.web.presentation import (
    CHART_PERIODS,
    CLINICAL_PURPOSES,
    MAX_LINK_HOURS,
    chart_json,
    chart_period,
    kinds_from,
    ordered_record,
    page_of,
    readings_csv,
    released_from,
    sharing_state,
    sittings_table,
    stored_overview,
    summary_days,
    upload_refusal,
    visits,
    whole_number,
)
from phr_share.web.security import current_account, log_out, requires, services

__all__ = ["bp"]

bp = Blueprint("patient", __name__, url_prefix="/me")
KINDS = [k for k in SegmentKind if k is not SegmentKind.PERSONAL]
LISTED = 20  # the newest documents "My data" lists until asked for all


def _me() -> Principal:
    account = current_account()
    assert account is not None  # guarded by @requires
    return account.principal


def _patient_id() -> uuid.UUID:
    patient_id = _me().patient_id
    assert patient_id is not None
    return patient_id


@bp.get("")
@requires(Role.PATIENT)
def dashboard() -> str:
    """Charts, notes from clinicians, notifications and what is stored."""
    svc, me = services(), _me()
    days = summary_days(request.args)
    documents = sharing.stored_documents(svc, me, _patient_id())
    # The notes are read as segments; charts, summary and the readings table come from
    # the series, and only the table's page of sittings is read for what was written.
    # Notices stay until the patient dismisses them.
    unseen = [n for n in sharing.notifications(svc, me) if n.seen_at is None]
    period = chart_period(request.args)
    targets = sharing.targets_of(svc, me, _patient_id())
    dashboard = sharing.dashboard_of(
        svc,
        me,
        _patient_id(),
        days=days,
        chart_days=CHART_PERIODS[period],
        or_all="chart" not in request.args,
        zone=zone(),
        bp_target=targets.pressure,
    )
    page = sharing.readings_page(
        svc, me, _patient_id(), page=page_of(request.args), read=dashboard.series
    )
    readings = sittings_table(page, targets)
    readout = sharing.readout_of(dashboard)
    # Earlier versions of a document (an updated summary sent again) are listed on request.
    with_earlier = request.args.get("versions") == "all"
    listed = documents if with_earlier else [d for d in documents if d.current]
    records, home = stored_overview(listed)
    # My own record: what the clinics' documents say (problems, medicines, allergies,
    # results...), read like any reader's, but for the home readings, shown above.
    mine = sharing.read_sections(svc, me, _patient_id(), tabled=page.documents)
    return render_template(
        "patient/dashboard.html",
        documents=records if request.args.get("documents") == "all" else records[:LISTED],
        documents_total=len(records),
        home=home,
        vital_kind=SegmentKind.PHYSICAL_SIGNS,
        current_total=sum(d.current for d in documents),
        earlier_total=sum(not d.current for d in documents),
        with_earlier=with_earlier,
        segments_total=sum(len(d.segments) for d in documents),
        bytes_total=sum(d.size for d in documents),
        record=ordered_record(s for s in mine if s.record.kind is not SegmentKind.DOCTOR_NOTES),
        notes=[s for s in mine if s.record.kind is SegmentKind.DOCTOR_NOTES],
        unseen=unseen,
        series=chart_json(dashboard.chart, targets),
        readings=readings,
        targets=targets,
        summary=readout.summary,
        agp=readout.agp,
        cgm=readout.cgm,
        agp_needs=readout.agp_needs,
        days=days,
        period=period if dashboard.chart_days == CHART_PERIODS[period] else "all",
    )


@bp.get("/documents/<id:document_id>.xml")
@requires(Role.PATIENT)
def download(document_id: int) -> BaseResponse:
    """One of my stored documents, rebuilt from its segments, as a CDA XML file."""
    data = sharing.export_document(services(), _me(), document_id)
    return Response(
        data,
        mimetype="application/xml",
        headers={"Content-Disposition": f'attachment; filename="phr-document-{document_id}.xml"'},
    )


@bp.get("/readings.csv")
@requires(Role.PATIENT)
def readings_download() -> BaseResponse:
    """My home readings as CSV, one row per measurement, newest first."""
    svc, me = services(), _me()
    data = readings_csv(sharing.home_points(svc, me, _patient_id()))
    return Response(
        data,
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="home-readings.csv"'},
    )


@bp.get("/upload")
@requires(Role.PATIENT)
def upload() -> str:
    """The C-CDA upload form."""
    return render_template("patient/upload.html")


@bp.post("/upload")
@requires(Role.PATIENT)
def upload_post() -> str | tuple[str, int]:
    """Ingest the uploaded document; a refused one is stored nowhere."""
    file = request.files.get("document")
    if file is None or not file.filename:
        return render_template("patient/upload.html", error="Choose a file first."), 422
    data = file.read()
    try:
        result = sharing.ingest_document(services(), _me(), data, _patient_id())
    except InvalidDocument as error:
        page = render_template(
            "patient/upload.html", error=upload_refusal(data, error), detail=error.message
        )
        return page, 422
    return render_template("patient/stored.html", result=result, what="document")


@bp.get("/readings")
@requires(Role.PATIENT)
def readings() -> str:
    """The home readings form."""
    return _readings_form({}, {})


@bp.post("/readings")
@requires(Role.PATIENT)
def readings_post() -> str | tuple[str, int]:
    """Check each field, build the readings document and ingest it like an upload."""
    form = {k: v for k, v in request.form.items() if k != "csrf_token"}
    try:
        svc = services()
        result = sharing.save_readings(svc, _me(), form, zone=zone())
    except InvalidReadings as error:
        return _readings_form(form, error.fields), 422
    if result.danger:
        # At once, in plain words: what the reading means and what to do now.
        return render_template(
            "patient/danger.html",
            signs=sharing.danger_advice(result.danger),
            kinds=set(result.danger),
            number=svc.settings.emergency_number,
            result=result,
        )
    return render_template("patient/stored.html", result=result, what="readings")


def _readings_form(form: Mapping[str, str], errors: Mapping[str, str]) -> str:
    return render_template(
        "patient/readings.html",
        form=form,
        errors=errors,
        measures=sharing.FORM_MEASURES,
        moods=sharing.MOOD_LABELS,
    )


@bp.get("/sharing", endpoint="sharing")
@requires(Role.PATIENT)
def sharing_page() -> str:
    """Care relationships, grants, delegations, links, sensitivity and research release."""
    return render_template("patient/sharing.html", kinds=KINDS, **sharing_state(services(), _me()))


def _back(message: str, category: str = "ok") -> BaseResponse:
    flash(message, category)
    return redirect(url_for("patient.sharing"))


def _account_id(field: str) -> uuid.UUID:
    try:
        return sharing.find_account(services(), _me(), username=request.form.get(field, "")).id
    except NotFound:
        raise InvalidInput("no account with that username") from None


@bp.post("/care/invite")
@requires(Role.PATIENT)
def invite() -> BaseResponse:
    """Invite a clinician into the patient's care."""
    sharing.invite_clinician(services(), _me(), _account_id("username"))
    return _back("Invitation sent. The clinician sees it when they sign in.")


@bp.post("/care/<id:relationship>/accept")
@requires(Role.PATIENT)
def accept(relationship: int) -> BaseResponse:
    """Accept a clinician's request to care for the patient."""
    sharing.accept_care(services(), _me(), relationship)
    return _back("The clinician is now in your care team. Give them a grant to share data.")


@bp.post("/care/<id:relationship>/end")
@requires(Role.PATIENT)
def end(relationship: int) -> BaseResponse:
    """End a care relationship (a clinician's or a caregiver's); their grants are revoked."""
    sharing.end_care(services(), _me(), relationship)
    return _back("Done: they can no longer see your record, and their grants are revoked.")


@bp.post("/caregivers")
@requires(Role.PATIENT)
def invite_caregiver() -> BaseResponse:
    """Ask a caregiver in by their username, sharing the kinds ticked."""
    sharing.invite_caregiver(
        services(),
        _me(),
        request.form.get("username", ""),
        kinds_from(request.form.getlist("kinds")),
        danger_notices=request.form.get("danger") == "on",
    )
    return _back("Your caregiver can now follow what you ticked. You can remove them at any time.")


@bp.post("/caregivers/<id:relationship>/danger")
@requires(Role.PATIENT)
def caregiver_danger(relationship: int) -> BaseResponse:
    """Tell (or stop telling) a caregiver of readings in the danger zone."""
    on = request.form.get("danger") == "on"
    sharing.set_danger_notices(services(), _me(), relationship, on)
    return _back(
        "They will be told of a dangerous reading."
        if on
        else "They will no longer be told of dangerous readings."
    )


def _until(field: str) -> datetime | None:
    value = request.form.get(field, "").strip()
    if not value:
        return None
    try:
        day = datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise InvalidInput("dates are YYYY-MM-DD") from None
    # The end of that day where the patient lives.
    return datetime.combine(day, time(23, 59, 59), zone())


@bp.post("/grants")
@requires(Role.PATIENT)
def grant() -> BaseResponse:
    """Grant a clinician access to the chosen kinds (or all normal kinds)."""
    kinds = (
        None if request.form.get("scope") == "all" else kinds_from(request.form.getlist("kinds"))
    )
    try:
        grantee = uuid.UUID(request.form.get("grantee", ""))
    except ValueError:
        raise InvalidInput("choose a clinician from your care team") from None
    sharing.grant_access(
        services(),
        _me(),
        grantee,
        kinds,
        purpose=parse_choice(
            CLINICAL_PURPOSES, request.form.get("purpose", "treatment"), "purpose"
        ),
        valid_until=_until("valid_until"),
        except_kinds=kinds_from(request.form.getlist("except"), "except"),
    )
    return _back("Grant created.")


@bp.post("/grants/<id:grant_id>/revoke")
@requires(Role.PATIENT)
def revoke(grant_id: int) -> BaseResponse:
    """Revoke a grant; the next read is denied."""
    sharing.revoke_grant(services(), _me(), grant_id)
    return _back("Grant revoked.")


@bp.post("/delegations/<id:grant_id>")
@requires(Role.PATIENT)
def delegation(grant_id: int) -> BaseResponse:
    """Approve or refuse a clinician's request to bring a partner in."""
    approve = request.form.get("answer") == "approve"
    sharing.answer_delegation(services(), _me(), grant_id, approve)
    return _back("Partner approved." if approve else "Partner refused.")


@bp.post("/links")
@requires(Role.PATIENT)
def create_link() -> BaseResponse:
    """Create a one-visit link for a named doctor."""
    hours = whole_number(request.form.get("hours", "48"), "hours", 1, MAX_LINK_HOURS)
    link = sharing.create_share_link(
        services(),
        _me(),
        _account_id("doctor"),
        kinds_from(request.form.getlist("kinds")),
        ttl=timedelta(hours=hours),
    )
    # The token travels in the fragment: browsers never send it, so no log records it.
    address = url_for("clinic.link", _external=True) + "#" + link.token
    return _back(f"One-visit link (shown only now; send it to the doctor): {address}")


@bp.post("/links/<id:link_id>/revoke")
@requires(Role.PATIENT)
def revoke_link(link_id: int) -> BaseResponse:
    """Revoke a link before it is used."""
    sharing.revoke_share_link(services(), _me(), link_id)
    return _back("Link revoked.")


@bp.post("/sensitivity")
@requires(Role.PATIENT)
def sensitivity() -> BaseResponse:
    """Set the patient's own sensitivity level for each kind."""
    # Every level is read before any is saved: one bad value changes nothing.
    chosen = {
        kind: parse_choice(
            ("default", *Sensitivity),
            request.form.get(f"level-{kind.value}", "default"),
            f"the level of {kind.label}",
        )
        for kind in KINDS
    }
    levels: dict[SegmentKind, Sensitivity | None] = {
        k: None if v == "default" else Sensitivity(v) for k, v in chosen.items()
    }
    sharing.choose_sensitivity(services(), _me(), levels)
    return _back("Sensitivity levels saved.")


@bp.post("/research")
@requires(Role.PATIENT)
def research() -> BaseResponse:
    """Release kinds for research, or withdraw them (honoured by the next release)."""
    svc, me = services(), _me()
    chosen = released_from(svc, request.form.getlist("release"), "release")
    sharing.choose_released_kinds(svc, me, _patient_id(), chosen)
    return _back("Research release saved. Withdrawals apply from the next release.")


@bp.get("/preview/<uuid:grantee>")
@requires(Role.PATIENT)
def preview(grantee: uuid.UUID) -> str:
    """What that clinician would see now, segment by segment."""
    svc, me = services(), _me()
    who = sharing.find_account(svc, me, user_id=grantee)
    rows = sharing.try_policy(svc, me, who.principal)
    return render_template("patient/preview.html", who=who, rows=rows)


@bp.get("/research-preview")
@requires(Role.PATIENT)
def research_preview() -> str:
    """What research would get from the released kinds: the de-identified records."""
    svc, me = services(), _me()
    return render_template(
        "patient/research_preview.html",
        records=sharing.research_preview(svc, me),
        released=sorted(sharing.released_kinds(svc, me, _patient_id())),
    )


@bp.get("/history")
@requires(Role.PATIENT)
def history() -> str:
    """Who read what, when, on what basis; emergencies highlighted; notifications marked seen."""
    svc, me = services(), _me()
    everything = request.args.get("all") == "1"
    events = [
        e for e in sharing.access_history(svc, me, _patient_id()) if everything or e.actor != me.id
    ]
    names = {a.principal.id: a.display_name for a in _accounts(svc, {e.actor for e in events})}
    return render_template(
        "patient/history.html",
        visits=visits(events),
        names=names,
        emergencies=sharing.emergencies_of(svc, me, _patient_id()),
        notices=sharing.notifications(svc, me),
        everything=everything,
    )


@bp.get("/history.fhir.json")
@requires(Role.PATIENT)
def history_fhir() -> Response:
    """My consents and the log entries about my record, as a FHIR R4 Bundle to keep."""
    bundle = sharing.export_fhir(services(), _me(), _patient_id())
    return _download(bundle, "application/fhir+json", "my-consents-and-access.json")


@bp.get("/history.proof.json")
@requires(Role.PATIENT)
def history_proof() -> Response:
    """My log entries with a proof of each under a signed tree head, to check offline."""
    bundle = sharing.audit_proof(services(), _me(), _patient_id())
    return _download(bundle, "application/json", "my-audit-proof.json")


def _download(document: object, mimetype: str, filename: str) -> Response:
    """A JSON document as a file to keep."""
    return Response(
        json.dumps(document, indent=2, sort_keys=True),
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _accounts(svc: sharing.Services, actors: set[str]) -> list[sharing.Account]:
    found = []
    for user_id in filter(None, map(parse_user_id, actors)):
        try:
            found.append(sharing.find_account(svc, _me(), user_id=user_id))
        except NotFound:
            continue
    return found


@bp.get("/erase")
@requires(Role.PATIENT)
def erase() -> str:
    """Explain erasure and ask for confirmation."""
    return render_template("patient/erase.html")


@bp.post("/erase")
@requires(Role.PATIENT)
def erase_post() -> str | tuple[str, int]:
    """Crypto-shred the patient's data once they typed ERASE."""
    if request.form.get("confirm", "").strip() != "ERASE":
        return render_template("patient/erase.html", error="Type ERASE to confirm."), 422
    report = sharing.erase_patient(services(), _me(), _patient_id())
    # The account closed with the data: this page is the last one it sees.
    log_out()
    g.account = None
    return render_template("patient/erased.html", report=report)
