"""Schemathesis over the OpenAPI document the app serves, in-process, as a patient, a
doctor and an admin: no answer is a server error, every answer (status, content type,
headers, body) is one the document describes, and a request the document forbids is
refused.

Each run gets its own database, where fixtures first made what the ids in paths and
bodies can name (a stored document, care relationships, a grant, a delegation, a
one-visit link, an emergency, a research release, a spare token); schemathesis draws
those half the time and invents others the rest. Runs are bounded (a fixed number of
examples per operation and phase) and repeatable (a fixed seed, deterministic
generation, and the services' randomness seeded, so every id is the same each run).

Revoking tokens and erasure run on their own, last: in a role's run the one would hit
the caller's own token (ids are small numbers) and the other would wipe the record the
rest reads. The ``ignored_auth`` check is left out: its probe fails inside
schemathesis' WSGI transport; test_api covers refused credentials.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from flask import Flask
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status, events, from_schema
from sqlalchemy import select

from phr_share.db import Erasure
from phr_share.models import SegmentKind
from phr_share.sharing import (
    OPERATOR,
    Account,
    IngestResult,
    Services,
    accept_care,
    ask_partner,
    choose_release,
    create_share_link,
    declare_emergency,
    grant_access,
    ingest_document,
    invite_clinician,
    request_care,
    run_release,
    tokens_of,
)
from tests.conftest import DEMO_CCD, PATIENT
from tests.unit.web.conftest import Api, People, token_for

MAX_EXAMPLES = 20
SEED = 15
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "missing_required_header",
    "unsupported_method",
    "negative_data_rejection",
)
pytestmark = [
    pytest.mark.timeout(600),
    # Hypothesis warns when it prints a large generated body; that is no failure here.
    pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning"),
]


# What the fixtures made, by the path or body parameter that may name it.
Ids = dict[str, list[Any]]


@pytest.fixture(autouse=True)
def repeatable(services: Services) -> None:
    """Ids, tokens and salts from a seeded generator: each run sends the same requests."""
    services.randbytes = random.Random(SEED).randbytes


def _release(services: Services, people: People) -> tuple[IngestResult, uuid.UUID]:
    """The patient's stored document, and a release of it and three others' vital signs
    (four people, so it passes the k-anonymity gate)."""
    others = [uuid.UUID(int=n) for n in range(1, 4)]
    for person in (PATIENT, *others):
        choose_release(services, OPERATOR, person, {SegmentKind.PHYSICAL_SIGNS})
    for person in others:
        ingest_document(services, OPERATOR, DEMO_CCD.read_bytes(), person)
    patient = people.patient.principal
    stored = ingest_document(services, patient, DEMO_CCD.read_bytes(), PATIENT)
    release = run_release(services, OPERATOR).release_id
    assert release is not None
    return stored, release


@pytest.fixture
def world(services: Services, people: People) -> Ids:
    patient, doctor = people.patient.principal, people.doctor.principal
    stored, release = _release(services, people)
    caring = invite_clinician(services, patient, people.doctor.id)
    accept_care(services, doctor, caring)
    grant = grant_access(services, patient, people.doctor.id, None)
    asking = request_care(services, people.nurse.principal, PATIENT)  # for the patient
    delegation = ask_partner(
        services, doctor, people.partner.id, PATIENT, {SegmentKind.PHYSICAL_SIGNS}
    )
    link = create_share_link(services, patient, people.doctor.id, {SegmentKind.PHYSICAL_SIGNS})
    emergency = declare_emergency(services, doctor, PATIENT, "unconscious on arrival, no relative")
    segments = [str(p.tracking_id) for p in stored.placements[:4]]
    return {
        "path.document_id": [stored.document_id],
        "path.grant_id": [grant, delegation],
        "path.relationship": [caring, asking],
        "path.link_id": [link.id],
        "path.emergency_id": [emergency.id],
        "path.patient_id": [str(PATIENT)],
        "path.tracking_id": segments,
        "path.grantee": [str(people.doctor.id)],
        "path.user_id": [str(people.other.id), str(people.nurse.id)],
        "path.release_id": [str(release)],
        "body.token": [link.token],
        "body.username": ["dr.kim", "dr.partner", "nurse.lee"],
        "body.patient_id": [str(PATIENT)],
        "body.grantee": [str(people.doctor.id)],
        "body.clinician": [str(people.doctor.id)],
        "body.kinds[*]": [SegmentKind.PHYSICAL_SIGNS.value],
    }


def _config(token: str, ids: Ids) -> SchemathesisConfig:
    bindings = {
        name: {"dictionary": name.replace("[*]", "").replace(".", "-"), "probability": 0.5}
        for name in ids
    }
    return SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "headers": {"Authorization": f"Bearer {token}"},
            "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True},
            "phases": {
                "examples": {"enabled": True},
                "coverage": {"enabled": True},
                "fuzzing": {"enabled": True},
                "stateful": {"enabled": False},
            },
            "checks": {
                "enabled": False,
                **{name: {"enabled": True} for name in CHECKS},
            },
            "dictionaries": {
                binding["dictionary"]: {"values": ids[name]} for name, binding in bindings.items()
            },
            "parameters": bindings,
        }
    )


def _failures(stream: Iterator[events.EngineEvent]) -> tuple[list[str], int]:
    """Every failed check (once per operation and check) and how many cases ran."""
    found: dict[tuple[str, str], str] = {}
    cases = 0
    for event in stream:
        if isinstance(event, events.ScenarioFinished):
            cases += len(event.recorder.cases)
            if event.status not in {Status.FAILURE, Status.ERROR}:
                continue
            for checks in event.recorder.checks.values():
                for check in checks:
                    info = check.failure_info
                    if info is not None:
                        key = (event.label or "?", check.name)
                        found.setdefault(key, f"{key[0]}: {info.failure}\n{info.code_sample}")
        elif isinstance(event, events.NonFatalError | events.FatalError):
            error = event.value if isinstance(event, events.NonFatalError) else event.exception
            label = event.label if isinstance(event, events.NonFatalError) else "engine"
            found.setdefault((label, repr(error)), f"{label}: {error!r}")
    return list(found.values()), cases


def _fuzz(
    app: Flask, token: str, ids: Ids, include: dict[str, Any], exclude: dict[str, Any] | None = None
) -> None:
    """Run schemathesis over the operations ``include`` and ``exclude`` select (as
    schemathesis' filters); fail naming every finding."""
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app, config=_config(token, ids))
    schema = schema.include(**include)
    if exclude:
        schema = schema.exclude(**exclude)
    started = time.monotonic()
    failures, cases = _failures(from_schema(schema).execute())
    print(f"{include} {exclude or ''}: {cases} cases in {time.monotonic() - started:.1f} s")
    assert failures == [], "\n\n".join(failures)
    assert cases > 0


def _acting(services: Services, account: Account, world: Ids) -> tuple[str, Ids]:
    """A token for the account, and the world with a spare token of theirs to revoke."""
    token_for(services, account, "spare")
    spare = max(t.id for t in tokens_of(services, account.principal) if t.name == "spare")
    return token_for(services, account, "fuzz"), {**world, "path.token_id": [spare]}


# What cannot be undone runs on its own, last: revoking a token may hit the caller's own
# (ids are small numbers), and erasure wipes the record the other operations read.
DESTRUCTIVE = ["revoke_token", "erase"]


@pytest.mark.parametrize("who", ["patient", "doctor", "admin"])
def test_no_answer_is_a_server_error_or_outside_the_document(
    app: Flask, services: Services, people: People, world: Ids, who: str
) -> None:
    token, ids = _acting(services, getattr(people, who), world)
    _fuzz(app, token, ids, {"tag": ["account", "public", who]}, {"operation_id": DESTRUCTIVE})


def test_revocation_erasure_and_what_the_patient_reads_after_them(
    app: Flask, services: Services, people: People, world: Ids
) -> None:
    token, ids = _acting(services, people.admin, world)
    _fuzz(app, token, ids, {"operation_id": "revoke_token"})  # an admin revokes anyone's
    token, ids = _acting(services, people.patient, world)
    _fuzz(app, token, ids, {"operation_id": "revoke_token"})
    token = token_for(services, people.patient, "after")
    _fuzz(app, token, ids, {"operation_id": "erase"})
    segment = ids["path.tracking_id"][0]
    read = Api(app.test_client(), token).get(f"/api/v1/segments/{segment}")
    # It did erase, and the account closed with the data: its token opens nothing more.
    assert read.get_json()["error"]["code"] == "unauthenticated"
    with services.db.session() as session:
        assert session.scalars(select(Erasure)).all()
    _fuzz(app, token, ids, {"tag": ["patient"], "method": "GET"})
