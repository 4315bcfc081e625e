"""The routes the journeys do not reach, and a check that every route has a test."""

from __future__ import annotations

import re
from pathlib import Path

from flask import Flask

from phr_share.consent import Sensitivity
from phr_share.models import SegmentKind
from phr_share.sharing import OPERATOR, Services, care_of, sensitivity_of
from tests.conftest import DEMO_CCD, PATIENT
from tests.unit.web.conftest import Browser, People

HERE = Path(__file__).parent


def test_every_route_appears_in_a_web_test(app: Flask) -> None:
    tests = "".join(p.read_text(encoding="utf-8") for p in HERE.glob("test_*.py"))
    tests += (HERE.parents[1] / "integration" / "test_browser.py").read_text(encoding="utf-8")
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        # The literal part of the path before its first variable, e.g. "/me/grants/".
        literal = re.split(r"<", rule.rule)[0]
        tail = re.split(r">", rule.rule)[-1] if "<" in rule.rule else ""
        if literal not in tests or (tail and tail not in tests):
            missing.append(rule.rule)
    assert missing == []


def test_care_can_be_requested_and_ended(
    browser: Browser, other_browser: Browser, people: People, services: Services
) -> None:
    doctor, patient = browser, other_browser
    patient.login("jordan")
    assert f"your patient id, <code>{PATIENT}</code>" in patient.get("/me/sharing").get_data(
        as_text=True
    )  # what the patient tells a clinician who asks to join
    doctor.login("dr.kim")
    doctor.post("/clinic/care/request", {"patient_id": str(PATIENT)})
    assert "Waiting for 1 patient" in doctor.get("/clinic").get_data(as_text=True)
    record = f"/clinic/patients/{PATIENT}"
    assert "the request waits for them" in doctor.get(record).get_data(as_text=True)
    assert doctor.post("/clinic/care/request", {"patient_id": "nope"}).status_code == 422
    sharing = patient.get("/me/sharing").get_data(as_text=True)
    assert "asks to join" in sharing
    relationship = re.search(r"/me/care/(\d+)/accept", sharing)
    assert relationship is not None
    patient.post(f"/me/care/{relationship.group(1)}/accept")
    assert care_of(services, people.patient.principal)[0].status == "active"
    assert "Write to the patient" in doctor.get(record).get_data(as_text=True)
    patient.post(f"/me/care/{relationship.group(1)}/end")
    assert care_of(services, people.patient.principal) == []
    patient.post("/me/care/invite", {"username": "dr.kim"})  # now the patient asks
    invited = doctor.get(record).get_data(as_text=True)
    assert "The patient invited you into their care." in invited
    accept = re.search(r'action="(/clinic/care/\d+/accept)"', invited)
    assert accept is not None
    doctor.post(accept.group(1))
    assert care_of(services, people.patient.principal)[0].status == "active"


def test_sensitivity_levels_and_link_revocation(
    browser: Browser, people: People, services: Services
) -> None:
    browser.login("jordan")
    levels = {f"level-{k.value}": "normal" for k in SegmentKind if k is not SegmentKind.PERSONAL}
    levels["level-lifestyle"] = "very-restricted"
    browser.post("/me/sensitivity", levels)
    assert sensitivity_of(services, people.patient.principal) == {
        SegmentKind.LIFESTYLE: Sensitivity.VERY_RESTRICTED,
        SegmentKind.FAMILY_HISTORY: Sensitivity.NORMAL,
        SegmentKind.PATIENT_NARRATIVE: Sensitivity.NORMAL,
    }
    browser.post("/me/links", {"doctor": "dr.kim", "kinds": ["lifestyle"], "hours": "4"})
    page = browser.get("/me/sharing").get_data(as_text=True)
    link = re.search(r"/me/links/(\d+)/revoke", page)
    assert link is not None
    browser.post(f"/me/links/{link.group(1)}/revoke")
    assert ">revoked<" in browser.get("/me/sharing").get_data(as_text=True)
    bad = browser.post("/me/links", {"doctor": "nobody", "kinds": ["lifestyle"]})
    assert bad.status_code == 422


def test_the_admin_runs_a_release_and_the_researcher_downloads_it(
    app: Flask, browser: Browser, people: People, services: Services
) -> None:
    import uuid

    from phr_share.sharing import choose_release, ingest_document

    for person in [PATIENT, *(uuid.UUID(int=n) for n in range(1, 4))]:
        choose_release(services, OPERATOR, person, {SegmentKind.PHYSICAL_SIGNS})
        ingest_document(services, OPERATOR, DEMO_CCD.read_bytes(), person)
    browser.login("admin")
    browser.post("/admin/release")
    assert "Release published" in browser.get("/admin").get_data(as_text=True)
    browser.post("/admin/release")
    assert "Nothing new to release" in browser.get("/admin").get_data(as_text=True)
    researcher = Browser(app.test_client())
    researcher.login("lab")
    catalogue = researcher.get("/research").get_data(as_text=True)
    assert "Vital signs <code>physical-signs</code>" in catalogue  # words, and the --kind value
    release = re.search(r"/research/releases/([0-9a-f-]{36})\.jsonl", catalogue)
    assert release is not None
    jsonl = researcher.get(f"/research/releases/{release.group(1)}.jsonl")
    assert jsonl.mimetype == "application/x-ndjson"
    assert b"8480-6" in jsonl.get_data()
    parquet = researcher.get(f"/research/releases/{release.group(1)}.parquet")
    assert parquet.get_data()[:4] == b"PAR1"
    missing = researcher.get(f"/research/releases/{uuid.uuid4()}.jsonl")
    assert missing.status_code == 404
    asked = {"release": release.group(1), "kind": "physical-signs", "ages": "0+"}
    counted = researcher.get("/research/query", query_string={**asked, "action": "count"})
    everyone = len(jsonl.get_data().splitlines())
    assert f"{everyone} records match." in counted.get_data(as_text=True)
    assert 'value="0+"' in counted.get_data(as_text=True)  # the form keeps what was asked
    none = researcher.get("/research/query", query_string={**asked, "ages": "0-1"})
    assert "0 records match." in none.get_data(as_text=True)
    download = researcher.get("/research/query", query_string={**asked, "action": "jsonl"})
    assert download.get_data() == jsonl.get_data()
    assert "attachment" in download.headers["Content-Disposition"]
    as_parquet = researcher.get("/research/query", query_string={**asked, "action": "parquet"})
    assert as_parquet.get_data()[:4] == b"PAR1"
    bare = researcher.get("/research/query")
    assert bare.status_code == 302
    assert bare.headers["Location"].endswith("/research")
    for bad, message in (
        ({"ages": "old"}, "ages are a range"),
        ({"release": str(uuid.uuid4())}, "choose one of the published releases"),
        ({"action": "csv"}, "counted or downloaded"),
    ):
        refused = researcher.get("/research/query", query_string={**asked, **bad})
        assert refused.status_code == 400
        assert message in refused.get_data(as_text=True)
