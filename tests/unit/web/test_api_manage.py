"""The JSON API for what the sharing, account and operations pages do: care, partners,
one-visit links, sensitivity, research choice, erasure, tokens and the admin's work."""

from __future__ import annotations

import uuid

from flask import Flask

from phr_share.consent import Sensitivity
from phr_share.models import SegmentKind
from phr_share.sharing import (
    OPERATOR,
    Services,
    check_proof,
    choose_release,
    current_segments,
    declare_emergency,
    erase_patient,
    ingest_document,
    released_kinds,
    sensitivity_of,
    verify_audit,
)
from tests.conftest import DEMO_CCD, PATIENT
from tests.unit.web.conftest import PASSWORD, Api, People


def _error(response) -> str:  # type: ignore[no-untyped-def]
    body = response.get_json()
    assert "error" in body, body
    return str(body["error"]["code"])


def test_care_is_opened_by_either_side_accepted_by_the_other_and_ended(
    api: dict[str, Api], people: People
) -> None:
    patient, doctor = api["patient"], api["doctor"]
    invited = patient.post("/api/v1/care", json={"username": "dr.kim"})
    assert invited.status_code == 201
    relationship = invited.get_json()["id"]
    [pending] = doctor.get("/api/v1/care").get_json()["items"]
    assert (pending["id"], pending["status"]) == (relationship, "invited")
    assert patient.post(f"/api/v1/care/{relationship}/accept").status_code == 403  # not theirs
    accepted = doctor.post(f"/api/v1/care/{relationship}/accept")
    assert accepted.get_json() == {"id": relationship, "status": "active"}
    ended = patient.post(f"/api/v1/care/{relationship}/end")
    assert ended.get_json()["status"] == "ended"
    assert doctor.get("/api/v1/care").get_json()["items"] == []
    # A clinician asks by patient id; the patient accepts.
    asked = api["nurse"].post("/api/v1/care", json={"patient_id": str(PATIENT)})
    assert asked.status_code == 201
    patient.post(f"/api/v1/care/{asked.get_json()['id']}/accept")
    [nurse] = patient.get("/api/v1/care").get_json()["items"]
    assert (nurse["clinician_id"], nurse["status"]) == (str(people.nurse.id), "active")
    by_id = patient.post("/api/v1/care", json={"clinician": str(people.partner.id)})
    assert by_id.status_code == 201
    for bad in ({"username": "nobody"}, {"clinician": "not-a-uuid"}, {}):
        assert _error(patient.post("/api/v1/care", json=bad)) == "invalid-input"
    assert _error(doctor.post("/api/v1/care", json={"patient_id": "x"})) == "invalid-input"
    assert api["researcher"].get("/api/v1/care").status_code == 403


def _in_care(api: dict[str, Api]) -> None:
    invited = api["patient"].post("/api/v1/care", json={"username": "dr.kim"}).get_json()
    api["doctor"].post(f"/api/v1/care/{invited['id']}/accept")


def test_a_partner_joins_only_when_the_patient_approves(
    api: dict[str, Api], services: Services, people: People
) -> None:
    ingest_document(services, OPERATOR, DEMO_CCD.read_bytes(), PATIENT)
    _in_care(api)
    base = f"/api/v1/patients/{PATIENT}/partners"
    # A clinician passes on only what they may read themself.
    refused = api["doctor"].post(base, json={"username": "dr.partner", "kinds": ["lifestyle"]})
    assert refused.status_code == 403
    grant = {"grantee": str(people.doctor.id), "kinds": ["physical-signs", "lifestyle"]}
    assert api["patient"].post("/api/v1/grants", json=grant).status_code == 201
    asked = api["doctor"].post(base, json={"username": "dr.partner", "kinds": ["physical-signs"]})
    assert asked.status_code == 201
    grant_id = asked.get_json()["id"]
    segments = f"/api/v1/patients/{PATIENT}/segments"
    assert api["partner"].get(segments).get_json()["total"] == 0  # pending: nothing yet
    assert api["doctor"].post(f"/api/v1/delegations/{grant_id}", json={}).status_code == 403
    assert _error(api["patient"].post(f"/api/v1/delegations/{grant_id}", json={})) == (
        "invalid-input"
    )
    answered = api["patient"].post(f"/api/v1/delegations/{grant_id}", json={"approve": True})
    assert answered.get_json() == {"id": grant_id, "approved": True}
    vitals = current_segments(services, OPERATOR, PATIENT, {SegmentKind.PHYSICAL_SIGNS})
    assert api["partner"].get(segments).get_json()["total"] == len(vitals)
    assert api["patient"].post(base, json={"username": "dr.partner"}).status_code == 403


def test_a_one_visit_link_opens_once_for_its_doctor(
    api: dict[str, Api], services: Services
) -> None:
    ingest_document(services, OPERATOR, DEMO_CCD.read_bytes(), PATIENT)
    made = api["patient"].post(
        "/api/v1/links", json={"username": "dr.kim", "kinds": ["physical-signs"], "hours": 2}
    )
    assert made.status_code == 201
    link = made.get_json()
    [listed] = api["patient"].get("/api/v1/links").get_json()["items"]
    assert "token" not in listed  # only the creating answer carries it
    assert api["nurse"].post("/api/v1/links/open", json={"token": link["token"]}).status_code == 403
    opened = api["doctor"].post("/api/v1/links/open", json={"token": link["token"]})
    items = opened.get_json()["items"]
    assert items
    assert {i["kind"] for i in items} == {"physical-signs"}
    assert all(i["title"] and isinstance(i["blocks"], list) for i in items)
    again = api["doctor"].post("/api/v1/links/open", json={"token": link["token"]})
    assert again.status_code == 403  # single use
    for bad in ({"username": "dr.kim", "hours": "two"}, {"username": "dr.kim", "hours": 9999}):
        assert _error(api["patient"].post("/api/v1/links", json=bad)) == "invalid-input"
    other = api["patient"].post("/api/v1/links", json={"doctor": str(uuid.uuid4())})
    assert _error(other) == "invalid-input"
    fresh = (
        api["patient"]
        .post("/api/v1/links", json={"username": "dr.kim", "kinds": ["lifestyle"]})
        .get_json()
    )
    revoked = api["patient"].post(f"/api/v1/links/{fresh['id']}/revoke")
    assert revoked.get_json()["status"] == "revoked"
    assert (
        api["doctor"].post("/api/v1/links/open", json={"token": fresh["token"]}).status_code == 403
    )


def test_sensitivity_levels_are_read_and_set(
    api: dict[str, Api], services: Services, people: People
) -> None:
    levels = api["patient"].get("/api/v1/sensitivity").get_json()
    assert levels["patient-narrative"] == "very-restricted"
    assert "personal" not in levels
    changed = api["patient"].put(
        "/api/v1/sensitivity",
        json={"lifestyle": "restricted", "patient-narrative": None, "health-status": "normal"},
    )
    assert changed.status_code == 200
    assert changed.get_json()["lifestyle"] == "restricted"
    assert changed.get_json()["patient-narrative"] == "very-restricted"  # its default
    # Only a level that differs from the kind's default is kept as the patient's own.
    assert sensitivity_of(services, people.patient.principal) == {
        SegmentKind.LIFESTYLE: Sensitivity.RESTRICTED
    }
    for bad in ({"personal": "normal"}, {"lifestyle": "secret"}, {"nothing": "normal"}):
        assert _error(api["patient"].put("/api/v1/sensitivity", json=bad)) == "invalid-input"
    assert sensitivity_of(services, people.patient.principal) == {
        SegmentKind.LIFESTYLE: Sensitivity.RESTRICTED
    }
    assert api["doctor"].get("/api/v1/sensitivity").status_code == 403


def test_research_release_is_chosen_and_previewed(api: dict[str, Api], services: Services) -> None:
    ingest_document(services, OPERATOR, DEMO_CCD.read_bytes(), PATIENT)
    assert api["patient"].get("/api/v1/research").get_json() == {"kinds": []}
    assert api["patient"].get("/api/v1/research/preview").get_json() == {"items": []}
    chosen = api["patient"].put("/api/v1/research", json={"kinds": ["physical-signs"]})
    assert chosen.get_json() == {"kinds": ["physical-signs"]}
    preview = api["patient"].get("/api/v1/research/preview").get_json()["items"]
    assert preview
    assert {r["kind"] for r in preview} == {"physical-signs"}
    assert all(r["pseudonym"] != str(PATIENT) for r in preview)
    api["patient"].put("/api/v1/research", json={"kinds": []})
    assert released_kinds(services, OPERATOR, PATIENT) == set()
    assert _error(api["patient"].put("/api/v1/research", json={"kinds": ["x"]})) == (
        "invalid-input"
    )
    assert api["researcher"].put("/api/v1/research", json={"kinds": []}).status_code == 403


def test_erasure_needs_the_word_and_shreds_everything(
    api: dict[str, Api], services: Services
) -> None:
    ingest_document(services, OPERATOR, DEMO_CCD.read_bytes(), PATIENT)
    refused = api["patient"].post("/api/v1/erase", json={"confirm": "yes"})
    assert _error(refused) == "invalid-input"
    assert current_segments(services, OPERATOR, PATIENT)
    assert api["admin"].post("/api/v1/erase", json={"confirm": "ERASE"}).status_code == 403
    erased = api["patient"].post("/api/v1/erase", json={"confirm": "ERASE"})
    report = erased.get_json()
    assert report["patient_id"] == str(PATIENT)
    assert report["keys_destroyed"] >= 1
    assert report["segments"] > 0
    assert report["objects_deleted"] > 0
    [some, *_] = current_segments(services, OPERATOR, PATIENT)
    assert api["patient"].get(f"/api/v1/segments/{some.tracking_id}").status_code >= 400
    # The account closed with its data: its token opens nothing more.
    again = api["patient"].post("/api/v1/erase", json={"confirm": "ERASE"})
    assert _error(again) == "unauthenticated"
    # Run again by the operator (a deletion that failed half-way), nothing is left to shred.
    assert erase_patient(services, OPERATOR, PATIENT).keys_destroyed == 0


def test_tokens_are_listed_issued_and_revoked(app: Flask, api: dict[str, Api]) -> None:
    issued = api["researcher"].post("/api/v1/tokens", json={"name": "notebook", "days": 7})
    assert issued.status_code == 201
    token = issued.get_json()
    names = [t["name"] for t in api["researcher"].get("/api/v1/tokens").get_json()["items"]]
    assert sorted(names) == ["notebook", "tests"]
    assert all(
        "token" not in t for t in api["researcher"].get("/api/v1/tokens").get_json()["items"]
    )
    fresh = Api(app.test_client(), token["token"])
    assert fresh.get("/api/v1/me").get_json()["username"] == "lab"
    assert api["researcher"].post(f"/api/v1/tokens/{token['id']}/revoke").status_code == 200
    assert fresh.get("/api/v1/me").status_code == 401
    for bad in ({"name": ""}, {"name": "x", "days": 0}, {"name": "x", "days": "7"}):
        assert _error(api["researcher"].post("/api/v1/tokens", json=bad)) == "invalid-input"


def test_the_password_is_changed_through_the_api(app: Flask, api: dict[str, Api]) -> None:
    new = "a much better passphrase"
    wrong = api["nurse"].post("/api/v1/me/password", json={"current": "nope", "new": new})
    assert (wrong.status_code, _error(wrong)) == (401, "unauthenticated")
    done = api["nurse"].post("/api/v1/me/password", json={"current": PASSWORD, "new": new})
    assert done.get_json() == {"changed": True, "sessions_ended": 0}
    assert api["nurse"].get("/api/v1/me").status_code == 200  # the token still works
    for _ in range(5):
        api["nurse"].post("/api/v1/me/password", json={"current": "guess", "new": new + "2"})
    throttled = api["nurse"].post("/api/v1/me/password", json={"current": new, "new": new + "2"})
    assert (throttled.status_code, _error(throttled)) == (429, "too-many-requests")
    assert 0 < int(throttled.headers["Retry-After"]) <= 900


def test_the_admin_reviews_rotates_releases_verifies_and_manages_staff(
    api: dict[str, Api], services: Services, people: People
) -> None:
    admin = api["admin"]
    declare_emergency(services, people.doctor.principal, PATIENT, "collapsed at home")
    [queued] = admin.get("/api/v1/admin/emergencies").get_json()["items"]
    review = f"/api/v1/admin/emergencies/{queued['id']}/review"
    assert _error(admin.post(review, json={"outcome": "maybe"})) == "invalid-input"
    assert admin.post(review, json={"outcome": "justified"}).status_code == 200
    assert admin.get("/api/v1/admin/emergencies").get_json()["items"] == []
    rotated = admin.post("/api/v1/admin/keys/rotate").get_json()
    assert rotated["master_version"] in rotated["versions"]
    for person in [PATIENT, *(uuid.UUID(int=n) for n in range(1, 4))]:
        choose_release(services, OPERATOR, person, {SegmentKind.PHYSICAL_SIGNS})
        ingest_document(services, OPERATOR, DEMO_CCD.read_bytes(), person)
    released = admin.post("/api/v1/admin/release")
    assert released.status_code == 201
    assert released.get_json()["release_id"]
    assert admin.post("/api/v1/admin/release").status_code == 200  # nothing new
    newest = admin.get("/api/v1/admin/audit/entries?per_page=3").get_json()
    assert len(newest["items"]) == 3
    seqs = [e["seq"] for e in newest["items"]]
    assert seqs == sorted(seqs, reverse=True)
    older = admin.get(f"/api/v1/admin/audit/entries?before={newest['older']}&per_page=3")
    assert all(e["seq"] < min(seqs) for e in older.get_json()["items"])
    releases = admin.get("/api/v1/admin/audit/entries?area=research").get_json()["items"]
    assert releases
    assert all(e["action"].startswith("research:") for e in releases)
    assert admin.get("/api/v1/admin/audit/entries?outcome=nope").status_code == 422
    audit = admin.get("/api/v1/admin/audit").get_json()
    assert audit["ok"] is True
    assert audit["broken"] is None
    assert audit["entries"] == verify_audit(services, OPERATOR).entries
    staff = admin.get("/api/v1/admin/accounts").get_json()["items"]
    assert "jordan" not in {a["username"] for a in staff}
    made = admin.post(
        "/api/v1/admin/accounts",
        json={
            "username": "dr.new",
            "role": "doctor",
            "display_name": "Dr New",
            "password": "x" * 16,
        },
    )
    assert made.status_code == 201
    new_id = made.get_json()["id"]
    for bad in ({"username": "p", "role": "patient"}, {"username": "q", "role": "wizard"}):
        assert _error(admin.post("/api/v1/admin/accounts", json=bad)) == "invalid-input"
    disabled = admin.post(f"/api/v1/admin/accounts/{new_id}/disable")
    assert disabled.get_json() == {"id": new_id, "active": False}
    for path in ("/api/v1/admin/keys/rotate", "/api/v1/admin/release", review):
        assert api["doctor"].post(path, json={"outcome": "justified"}).status_code == 403
    assert api["doctor"].get("/api/v1/admin/audit").status_code == 403
    assert api["doctor"].get("/api/v1/admin/audit/entries").status_code == 403
    assert api["researcher"].get("/api/v1/admin/accounts").status_code == 403


def test_someone_elses_token_is_revoked_by_an_admin_only(app: Flask, api: dict[str, Api]) -> None:
    token = api["researcher"].post("/api/v1/tokens", json={"name": "laptop"}).get_json()
    fresh = Api(app.test_client(), token["token"])
    refused = api["doctor"].post(f"/api/v1/tokens/{token['id']}/revoke")
    assert (refused.status_code, refused.get_json()["error"]["reason"]) == (403, "not-owner")
    assert fresh.get("/api/v1/me").status_code == 200
    assert api["admin"].post(f"/api/v1/tokens/{token['id']}/revoke").status_code == 200
    assert fresh.get("/api/v1/me").status_code == 401
    summary = app.test_client().get("/api/openapi.json").get_json()["paths"]
    revoke = summary["/api/v1/tokens/{token_id}/revoke"]["post"]["summary"]
    assert "caller's own" in revoke
    assert "admin" in revoke


def test_the_openapi_document_is_public_whatever_token_comes_with_it(app: Flask) -> None:
    bogus = Api(app.test_client(), "phr_not-a-real-token")
    assert bogus.get("/api/openapi.json").status_code == 200
    assert bogus.get("/api/v1/me").status_code == 401
    assert app.test_client().get("/api/v1/me").status_code == 401


def test_the_admin_signs_a_tree_head_and_a_patient_fetches_their_proof(
    api: dict[str, Api], services: Services
) -> None:
    admin = api["admin"]
    ingest_document(services, OPERATOR, DEMO_CCD.read_bytes(), PATIENT)
    key = admin.get("/api/v1/admin/audit/key").get_json()
    assert key["latest"] is None
    assert len(key["fingerprint"]) == 64
    head = admin.post("/api/v1/admin/audit/sign").get_json()["head"]
    assert admin.post("/api/v1/admin/audit/sign").get_json()["head"] == head  # nothing new
    audit = admin.get("/api/v1/admin/audit").get_json()
    assert (audit["ok"], audit["signed_heads"], audit["latest"]["size"]) == (True, 1, head["size"])
    proof = api["patient"].get("/api/v1/access-history/proof")
    bundle = proof.get_json()
    assert bundle["tree_head"]["size"] >= head["size"]
    assert check_proof(proof.data, key["public_key"]).patient == str(PATIENT)
    assert api["doctor"].get("/api/v1/access-history/proof").status_code == 403
    assert api["doctor"].post("/api/v1/admin/audit/sign").status_code == 403
    assert api["patient"].get("/api/v1/admin/audit/key").status_code == 403
