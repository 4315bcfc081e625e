"""Research release: only released kinds, only through the de-identifier and the gate."""

from __future__ import annotations

import hashlib
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
from phr_share.research import release_info
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


FIXED_RELEASE = "00010203-0405-4607-8809-0a0b0c0d0e0f"
FIXED_MANIFEST_SHA256 = "8f6d8fb2863aba5e7593e6518bf0e0d7a07106db5699fdc20846de9456dbf878"


def test_a_fixed_release_publishes_exactly_these_names_and_manifest_bytes(
    services: Services, demo_ccd: bytes
) -> None:
    # Known answer for the public bucket's layout: published buckets hold these names and
    # researchers check this manifest's SHA-256, so they must stay byte for byte the same.
    _ingest_people(services, demo_ccd, VITALS)
    services.randbytes = lambda n: bytes(range(n))  # the release id
    report = run_release(services, OPERATOR)
    manifest_name = f"manifests/release={FIXED_RELEASE}.json"
    assert (str(report.release_id), report.manifest) == (FIXED_RELEASE, manifest_name)
    manifest = services.public.get("research", manifest_name).data
    assert hashlib.sha256(manifest).hexdigest() == FIXED_MANIFEST_SHA256
    listed = [entry["name"] for entry in json.loads(manifest)["objects"]]
    assert services.public.list("research") == [manifest_name, *listed]
    assert [n for n in listed if n.startswith("records/")] == [
        f"records/kind=health-status/year={year}/release={FIXED_RELEASE}.jsonl"
        for year in ("2019", "2021", "2022", "2026")
    ] + [f"records/kind=physical-signs/year=2026/release={FIXED_RELEASE}.jsonl"]
    assert listed[5:7] == [
        "segments/kind=health-status/year=2019/44df9909b19fec43035d2b77.xml",
        "segments/kind=health-status/year=2019/ac43efcbe5a3bc56131b4dbb.xml",
    ]
    assert len(listed) == 25
    assert listed[-1].startswith("segments/kind=physical-signs/year=2026/")
    for name, kind in [(manifest_name, "json"), (listed[0], "json"), (listed[5], "xml")]:
        metadata = services.public.get("research", name).metadata
        assert metadata["type"] == f"application/{kind}"
    with services.db.session() as session:
        row = session.get_one(Release, report.release_id)
        assert (row.kinds, row.manifest_name) == ("health-status,physical-signs", manifest_name)
        assert row.object_names.split("\n") == [*listed, manifest_name]
    info = release_info(services.public, "research", FIXED_RELEASE)
    assert (info.kinds, info.period) == (
        ("health-status", "physical-signs"),
        ("2019", "2021", "2022", "2026"),
    )
    assert (info.manifest_sha256, info.k_achieved, info.records) == (FIXED_MANIFEST_SHA256, 4, 48)
    assert [o.name for o in info.objects] == listed[:5]
