"""The JSON API: tokens, JSON errors with stable codes, pagination under the decision point."""

from __future__ import annotations

import io
import re
import uuid
from datetime import timedelta

import pyarrow.parquet as pq
from fhir.resources.R4B.bundle import Bundle
from flask import Flask

from phr_share.ccda import parse_xml
from phr_share.ccda.identity import collect_identifiers
from phr_share.deid.scanner import scan
from phr_share.models import SegmentKind
from phr_share.series import Point
from phr_share.sharing import (
    OPERATOR,
    Services,
    accept_care,
    choose_release,
    grant_access,
    ingest_document,
    invite_clinician,
    revoke_grant,
    run_release,
)
from phr_share.sharing.keys import current_patient_key, ensure_patient
from phr_share.sharing.series import write_points
from tests.conftest import DEMO_CCD, PATIENT, many_sections
from tests.unit.web.conftest import Api, People, token_for


def _share(services: Services, people: People, kinds: set[SegmentKind] | None) -> int:
    patient, doctor = people.patient.principal, people.doctor
    accept_care(services, doctor.principal, invite_clinician(services, patient, doctor.id))
    return grant_access(services, patient, doctor.id, kinds)


def test_openapi_describes_every_api_route(app: Flask) -> None:
    document = app.test_client().get("/api/openapi.json").get_json()
    assert document["openapi"] == "3.1.0"
    routes = {
        (rule.rule, method.lower())
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.")
        for method in rule.methods or ()
        if method not in {"HEAD", "OPTIONS"}
    }
    described = {
        (path.replace("{", "<").replace("}", ">"), method)
        for path, operations in document["paths"].items()
        for method in operations
    }
    simple = {(re.sub(r"<\w+:", "<", path), method) for path, method in routes}
    assert described == simple
    for operations in document["paths"].values():
        for operation in operations.values():
            assert operation["summary"]
            assert "401" in operation["responses"]
    put = document["paths"]["/api/v1/research"]["put"]
    assert put["requestBody"]["required"] is True
    rotate = document["paths"]["/api/v1/admin/keys/rotate"]["post"]
    assert "requestBody" not in rotate  # an action named by its path alone
    records = document["paths"]["/api/v1/releases/{release_id}/records"]["get"]
    query = {p["name"]: p for p in records["parameters"] if p["in"] == "query"}
    assert set(query) == {"format", "kind", "since", "ages", "page", "per_page"}
    ages = re.compile(query["ages"]["schema"]["pattern"])
    assert [bool(ages.match(t)) for t in ("40-64", "65+", "old")] == [True, True, False]
    listed = document["paths"]["/api/v1/patients/{patient_id}/segments"]["get"]
    assert {p["name"] for p in listed["parameters"]} == {
        "patient_id",
        "page",
        "per_page",
        "purpose",
    }


def test_every_api_route_and_no_other_is_described(app: Flask) -> None:
    from phr_share.web.api_doc import OPERATIONS

    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert set(OPERATIONS) == {e for e in endpoints if e.startswith("api.")}


def test_errors_are_json_with_stable_codes(app: Flask, api: dict[str, Api]) -> None:
    client = app.test_client()
    anonymous = client.get("/api/v1/me")
    assert anonymous.status_code == 401
    assert anonymous.get_json()["error"]["code"] == "unauthenticated"
    bad = client.get("/api/v1/me", headers={"Authorization": "Bearer phr_wrong"})
    assert bad.get_json()["error"]["code"] == "unauthenticated"
    assert api["patient"].get("/api/v1/nothing-here").get_json()["error"]["code"] == "not-found"
    forbidden = api["patient"].get("/api/v1/releases")
    assert forbidden.status_code == 403
    assert forbidden.get_json()["error"] == {
        "code": "access-denied",
        "message": "this page is not for your role",
        "reason": "role-not-permitted",
    }


def test_documents_and_readings(api: dict[str, Api], services: Services) -> None:
    stored = api["patient"].post(
        "/api/v1/documents", data=DEMO_CCD.read_bytes(), content_type="application/xml"
    )
    assert stored.status_code == 201
    assert {p["kind"] for p in stored.get_json()["placements"]} >= {"health-status", "personal"}
    again = api["patient"].post("/api/v1/documents", data=DEMO_CCD.read_bytes())
    assert (again.status_code, again.get_json()["created"]) == (200, False)
    refused = api["patient"].post("/api/v1/documents", data=b"<nope")
    assert (refused.status_code, refused.get_json()["error"]["code"]) == (422, "malformed-xml")
    crowded = api["patient"].post("/api/v1/documents", data=many_sections(501))
    assert (crowded.status_code, crowded.get_json()["error"]) == (
        422,
        {
            "code": "too-many-sections",
            "message": "the document has 501 sections; at most 500 are accepted",
        },
    )
    readings = api["patient"].post("/api/v1/readings", json={"systolic": 500, "pain": "x"})
    assert readings.status_code == 422
    assert set(readings.get_json()["error"]["fields"]) >= {"systolic", "pain"}
    assert api["patient"].post("/api/v1/readings", json={"heart_rate": 64}).status_code == 201
    assert api["patient"].post("/api/v1/readings", data="[]").status_code == 422
    assert api["doctor"].post("/api/v1/readings", json={"heart_rate": 64}).status_code == 403
    listed = api["patient"].get("/api/v1/documents?per_page=1").get_json()
    assert (listed["total"], len(listed["items"])) == (2, 1)
    newest = listed["items"][0]
    assert newest["type_code"] == "51855-5"  # the readings, stored last
    assert {s["kind"] for s in newest["segments"]} >= {"personal", "physical-signs"}
    assert newest["size"] == sum(s["size"] for s in newest["segments"])
    second = api["patient"].get("/api/v1/documents?page=2&per_page=1").get_json()["items"]
    assert second[0]["type_code"] == "34133-9"
    assert api["doctor"].get("/api/v1/documents").status_code == 403
    xml = api["patient"].get(f"/api/v1/documents/{second[0]['id']}")
    assert (xml.status_code, xml.mimetype) == (200, "application/xml")
    assert b"<ClinicalDocument" in xml.data
    missing = api["patient"].get("/api/v1/documents/999999")
    assert (missing.status_code, missing.get_json()["error"]["code"]) == (404, "not-found")
    assert api["doctor"].get(f"/api/v1/documents/{second[0]['id']}").status_code == 403
    assert second[0]["current"] is True
    updated = DEMO_CCD.read_bytes().replace(b"Hives", b"Hives and wheezing")
    assert api["patient"].post("/api/v1/documents", data=updated).get_json()["version"] == 2
    versions = {
        d["version"]: d["current"]
        for d in api["patient"].get("/api/v1/documents").get_json()["items"]
        if d["type_code"] == "34133-9"
    }
    assert versions == {1: False, 2: True}


def test_pages_of_segments_are_decided_afresh(
    api: dict[str, Api], services: Services, people: People
) -> None:
    ingest_document(services, OPERATOR, DEMO_CCD.read_bytes(), PATIENT)
    path = f"/api/v1/patients/{PATIENT}/segments"
    assert api["doctor"].get(path).get_json()["total"] == 0
    grant = _share(services, people, None)
    first = api["doctor"].get(path, query_string={"per_page": 2}).get_json()
    assert first["total"] >= 4
    assert len(first["items"]) == 2
    assert {i["kind"] for i in first["items"]} <= {k.value for k in SegmentKind} - {
        "personal",
        "family-history",
        "patient-narrative",
    }
    one = first["items"][0]["tracking_id"]
    section = api["doctor"].get(f"/api/v1/segments/{one}").get_json()
    assert section["title"]
    assert section["blocks"]
    revoke_grant(services, people.patient.principal, grant)
    second = api["doctor"].get(path, query_string={"per_page": 2, "page": 2}).get_json()
    assert (second["total"], second["items"]) == (0, [])
    denied = api["doctor"].get(f"/api/v1/segments/{one}")
    assert denied.status_code == 403
    assert denied.get_json()["error"]["reason"] == "grant-revoked"
    assert api["patient"].get(path, query_string={"page": "x"}).status_code == 422


def test_grants_preview_history_and_fhir(
    api: dict[str, Api], services: Services, people: People
) -> None:
    ingest_document(services, OPERATOR, DEMO_CCD.read_bytes(), PATIENT)
    patient = people.patient.principal
    accept_care(
        services, people.doctor.principal, invite_clinician(services, patient, people.doctor.id)
    )
    made = api["patient"].post(
        "/api/v1/grants",
        json={
            "grantee": str(people.doctor.id),
            "kinds": ["physical-signs"],
            "valid_until": "2027-01-01T00:00:00",
        },
    )
    assert made.status_code == 201
    grant_id = made.get_json()["id"]
    listed = api["patient"].get("/api/v1/grants").get_json()["items"]
    assert listed[0]["terms"]["kinds"] == ["physical-signs"]
    assert [e["event"] for e in listed[0]["history"]] == ["created"]
    preview = api["patient"].get(f"/api/v1/policy-preview/{people.doctor.id}").get_json()
    permitted = {i["kind"] for i in preview["items"] if i["permit"]}
    assert permitted == {"physical-signs"}
    vitals = api["doctor"].get(f"/api/v1/patients/{PATIENT}/vitals").get_json()
    assert vitals["charts"][0]["title"] == "Blood pressure"
    history = api["patient"].get("/api/v1/access-history").get_json()["items"]
    assert {h["kind"] for h in history} == {"physical-signs"}
    bundle = api["patient"].get("/api/v1/consent.fhir")
    assert bundle.mimetype == "application/fhir+json"
    Bundle.model_validate(bundle.get_json())
    assert api["patient"].post(f"/api/v1/grants/{grant_id}/revoke").status_code == 200
    assert api["doctor"].get("/api/v1/grants").status_code == 403
    bad = api["patient"].post("/api/v1/grants", json={"grantee": "nobody"})
    assert bad.status_code == 422


def test_clinician_routes(api: dict[str, Api], services: Services, people: People) -> None:
    ingest_document(services, OPERATOR, DEMO_CCD.read_bytes(), PATIENT)
    assert (
        api["doctor"].post(f"/api/v1/patients/{PATIENT}/notes", json={"text": "hi"}).status_code
        == 403
    )
    _share(services, people, {SegmentKind.PHYSICAL_SIGNS})
    assert api["doctor"].get("/api/v1/clinic/patients").get_json()["items"][0]["patient_id"] == str(
        PATIENT
    )
    note = api["doctor"].post(
        f"/api/v1/patients/{PATIENT}/notes", json={"text": "Walk daily.", "order": True}
    )
    assert note.status_code == 201
    declared = api["nurse"].post(
        f"/api/v1/patients/{PATIENT}/emergency", json={"reason": "collapsed at the pharmacy"}
    )
    assert declared.status_code == 201
    assert api["nurse"].get("/api/v1/clinic/patients").get_json()["items"][0]["emergency"] is True
    read = api["nurse"].get(
        f"/api/v1/patients/{PATIENT}/segments", query_string={"purpose": "emergency"}
    )
    assert read.get_json()["total"] > 0
    notices = api["patient"].get("/api/v1/notifications").get_json()["items"]
    assert notices[0]["topic"] == "break-glass"
    queue = api["admin"].get("/api/v1/admin/emergencies").get_json()["items"]
    assert queue[0]["reason"] == "collapsed at the pharmacy"
    assert api["doctor"].get("/api/v1/admin/emergencies").status_code == 403
    health = api["admin"].get("/api/v1/admin/health").get_json()
    assert health["ok"] is True
    assert len(health["checks"]) == 5
    assert health["checks"][-1]["detail"] == "off: PHR_SMTP_URL is not set"


def test_releases_for_researchers(api: dict[str, Api], services: Services) -> None:
    assert api["researcher"].get("/api/v1/releases").get_json() == {"items": []}
    people = [PATIENT, *(uuid.UUID(int=n) for n in range(1, 4))]
    for person in people:
        choose_release(services, OPERATOR, person, {SegmentKind.PHYSICAL_SIGNS})
        ingest_document(services, OPERATOR, DEMO_CCD.read_bytes(), person)
    report = run_release(services, OPERATOR)
    assert report.release_id is not None
    [release] = api["researcher"].get("/api/v1/releases").get_json()["items"]
    assert release["release_id"] == str(report.release_id)
    base = f"/api/v1/releases/{report.release_id}/records"
    page = api["researcher"].get(base, query_string={"per_page": 1}).get_json()
    assert page["total"] == release["records"]
    assert len(page["items"]) == 1
    jsonl = api["researcher"].get(base, query_string={"format": "jsonl"})
    assert jsonl.mimetype == "application/x-ndjson"
    assert len(jsonl.get_data().splitlines()) == release["records"]
    parquet = api["researcher"].get(base, query_string={"format": "parquet"}).get_data()
    assert pq.read_table(io.BytesIO(parquet)).num_rows == release["records"]
    identifiers = collect_identifiers(parse_xml(DEMO_CCD.read_bytes()))
    assert not scan(jsonl.get_data(), identifiers)
    assert api["researcher"].get(base, query_string={"format": "csv"}).status_code == 422
    everyone = api["researcher"].get(base, query_string={"ages": "0+"}).get_json()
    assert everyone["total"] == release["records"]
    band = everyone["items"][0]["age_band"]
    assert api["researcher"].get(base, query_string={"ages": band}).get_json()["total"] > 0
    low = int(band.split("-")[0])
    below = api["researcher"].get(base, query_string={"ages": f"0-{low - 1}"}).get_json()
    assert below["total"] == 0
    later = api["researcher"].get(base, query_string={"since": "2999-01-01"}).get_json()
    assert later["total"] < release["records"]
    for bad in ({"ages": "old"}, {"since": "soon"}, {"kind": "personal-data"}):
        refused = api["researcher"].get(base, query_string=bad)
        assert refused.status_code == 422
        assert refused.get_json()["error"]["code"] == "invalid-input"
    missing = api["researcher"].get(f"/api/v1/releases/{uuid.uuid4()}/records")
    assert missing.status_code == 404
    assert api["doctor"].get(base).status_code == 403


def test_session_cookies_need_the_csrf_header_for_writes(app: Flask, people: People) -> None:
    from tests.unit.web.conftest import Browser

    browser = Browser(app.test_client())
    browser.login("jordan")
    assert browser.client.get("/api/v1/me").status_code == 200
    blocked = browser.client.post("/api/v1/readings", json={"heart_rate": 60})
    assert blocked.status_code == 400
    allowed = browser.client.post(
        "/api/v1/readings", json={"heart_rate": 60}, headers={"X-CSRF-Token": browser.token}
    )
    assert allowed.status_code == 201


def test_expired_tokens_are_refused(app: Flask, services: Services, people: People) -> None:
    token = token_for(services, people.researcher, "short", ttl=timedelta(hours=1))
    now = services.clock()
    services.clock = lambda: now + timedelta(hours=2)
    response = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_a_write_without_credentials_is_401_and_a_wrong_method_says_which_are_allowed(
    app: Flask, api: dict[str, Api]
) -> None:
    client = app.test_client()
    anonymous = client.post("/api/v1/readings", json={"heart_rate": 60})
    assert anonymous.status_code == 401  # not the "form expired" of a browser without CSRF
    assert anonymous.get_json()["error"]["code"] == "unauthenticated"
    wrong = api["patient"].client.delete("/api/v1/grants", headers=api["patient"].headers)
    assert wrong.status_code == 405
    assert set(wrong.headers["Allow"].split(", ")) >= {"GET", "POST"}
    assert wrong.get_json()["error"]["code"] == "method-not-allowed"


def test_the_summary_counts_only_the_kinds_the_reader_may_see(
    api: dict[str, Api], services: Services, people: People
) -> None:
    for systolic, diastolic in ((142, 91), (126, 78)):
        sent = api["patient"].post(
            "/api/v1/readings", json={"systolic": systolic, "diastolic": diastolic}
        )
        assert sent.status_code == 201
    own = api["patient"].get(f"/api/v1/patients/{PATIENT}/summary?days=30&time_zone=Asia/Shanghai")
    assert own.status_code == 200
    bp = own.get_json()["bp"]
    assert (bp["readings"], bp["mean_systolic"], bp["mean_diastolic"]) == (2, 134, 84.5)
    assert bp["share_at_or_above_target"] == 0.5
    assert own.get_json()["window"]["days"] == 30
    assert own.get_json()["glucose"]["readings"] == 0
    assert own.get_json()["glucose"]["mean"] is None  # nothing measured is not a zero
    grant = _share(services, people, {SegmentKind.LIFESTYLE})
    lifestyle = api["doctor"].get(f"/api/v1/patients/{PATIENT}/summary").get_json()
    assert lifestyle["bp"]["readings"] == 0  # vital signs were not shared
    revoke_grant(services, people.patient.principal, grant)
    grant_access(services, people.patient.principal, people.doctor.id, {SegmentKind.PHYSICAL_SIGNS})
    vitals = api["doctor"].get(f"/api/v1/patients/{PATIENT}/summary").get_json()
    assert vitals["bp"]["readings"] == 2
    for query in (
        "days=0",
        "days=3651",
        "days=two",
        "time_zone=../../etc/passwd",
        "time_zone=Mars",
    ):
        bad = api["patient"].get(f"/api/v1/patients/{PATIENT}/summary?{query}")
        assert (bad.status_code, bad.get_json()["error"]["code"]) == (422, "invalid-input"), query


def test_chart_data_comes_binned_over_long_spans_and_whole_over_a_day(
    api: dict[str, Api], services: Services, people: People
) -> None:
    # A month of five-minute sensor glucose, written into the series as an import does.
    now = services.clock()
    source = uuid.uuid4()
    points = [
        Point(
            "99504-3",
            100.0 + i % 50,
            "mg/dL",
            now - timedelta(minutes=5 * i),
            source,
            "physical-signs",
        )
        for i in range(30 * 288)
    ]
    with services.db.session() as session:
        ensure_patient(services, session, PATIENT)
        key = current_patient_key(services, session, PATIENT)
        write_points(services, session, PATIENT, {"physical-signs": points}, frozenset(), key)
    url = f"/api/v1/patients/{PATIENT}/vitals"
    month = api["patient"].get(url).get_json()["charts"]
    (line,) = next(c for c in month if c["title"] == "Glucose")["lines"]
    assert len(line["points"]) <= 400  # a month at five minutes is 8,640 readings
    assert {"min", "max", "n"} <= set(line["points"][0])
    assert sum(p["n"] for p in line["points"]) == 30 * 288
    day = api["patient"].get(f"{url}?days=1&time_zone=Asia/Shanghai").get_json()["charts"]
    (line,) = next(c for c in day if c["title"] == "Glucose")["lines"]
    assert len(line["points"]) == 289  # every reading of the last day, both ends in
    assert "n" not in line["points"][0]
    assert line["points"][0]["t"].endswith("+08:00")
    assert api["patient"].get(f"{url}?days=0").status_code == 422
