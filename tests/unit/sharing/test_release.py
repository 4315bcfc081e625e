"""Research release: only released kinds, only through the de-identifier and the gate."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import func, select

from phr_share.ccda.identity import collect_identifiers
from phr_share.ccda.xml import parse_xml
from phr_share.db import Release
from phr_share.deid.scanner import scan
from phr_share.errors import ConfigurationError, KAnonymityNotReached
from phr_share.models import SegmentKind
from phr_share.sharing import OPERATOR, Services, choose_release, ingest_document, run_release
from tests.conftest import PATIENT

PEOPLE = [PATIENT, *(uuid.UUID(int=n) for n in range(1, 4))]
VITALS = {SegmentKind.PHYSICAL_SIGNS, SegmentKind.HEALTH_STATUS}


def _ingest_people(svc: Services, document: bytes, kinds: set[SegmentKind]) -> None:
    for person in PEOPLE:
        choose_release(svc, OPERATOR, person, kinds)
        ingest_document(svc, OPERATOR, document, person)


def test_a_release_publishes_exactly_the_released_kinds_with_a_manifest(
    services: Services, demo_ccd: bytes
) -> None:
    _ingest_people(services, demo_ccd, VITALS)
    report = run_release(services, OPERATOR)
    assert report.release_id is not None
    assert report.k_achieved >= 3
    names = services.public.list("research")
    assert report.manifest in names
    kinds = {n.split("/")[1].removeprefix("kind=") for n in names if not n.startswith("manifests/")}
    assert kinds == {k.value for k in VITALS}
    manifest = json.loads(services.public.get("research", report.manifest).data)
    listed = {o["name"] for o in manifest["objects"]}
    assert listed == set(names) - {report.manifest}
    assert manifest["k_achieved"] == report.k_achieved


def test_nothing_public_holds_an_identifier_of_the_source(
    services: Services, demo_ccd: bytes
) -> None:
    _ingest_people(services, demo_ccd, VITALS)
    run_release(services, OPERATOR)
    identifiers = collect_identifiers(parse_xml(demo_ccd))
    for name in services.public.list("research"):
        assert not scan(services.public.get("research", name).data, identifiers), name
        assert str(PATIENT) not in name


def test_a_second_run_publishes_nothing_already_published(
    services: Services, demo_ccd: bytes
) -> None:
    _ingest_people(services, demo_ccd, VITALS)
    run_release(services, OPERATOR)
    assert run_release(services, OPERATOR).release_id is None


def test_below_k_nothing_is_written_and_the_segments_wait(
    services: Services, demo_ccd: bytes
) -> None:
    choose_release(services, OPERATOR, PATIENT, VITALS)
    ingest_document(services, OPERATOR, demo_ccd, PATIENT)
    with pytest.raises(KAnonymityNotReached):
        run_release(services, OPERATOR)
    assert services.public.list("research") == []
    with services.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Release)) == 0
    for person in PEOPLE[1:]:
        choose_release(services, OPERATOR, person, VITALS)
        ingest_document(services, OPERATOR, demo_ccd, person)
    assert run_release(services, OPERATOR).segments_published > 0


def test_a_withdrawn_kind_is_not_released_by_the_next_run(
    services: Services, demo_ccd: bytes
) -> None:
    _ingest_people(services, demo_ccd, VITALS)
    for person in PEOPLE:
        choose_release(services, OPERATOR, person, withdraw={SegmentKind.HEALTH_STATUS})
    run_release(services, OPERATOR)
    kinds = {n.split("/")[1] for n in services.public.list("research") if n.startswith("segments/")}
    assert kinds == {"kind=physical-signs"}


def test_private_only_kinds_cannot_be_released(services: Services) -> None:
    with pytest.raises(ConfigurationError, match="personal"):
        choose_release(services, OPERATOR, PATIENT, {SegmentKind.PERSONAL})
