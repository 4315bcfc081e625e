"""The public bucket's layout: each name has one spelling, and the manifest's bytes are fixed."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import date

import pytest

from phr_share.public_layout import (
    AuditHeadName,
    Gate,
    Listed,
    Manifest,
    ManifestName,
    PublicName,
    RecordsName,
    SegmentName,
    is_kind,
    kind_of,
    media_type,
    parse_name,
    period,
    read_manifest,
)

RELEASE = uuid.UUID("00010203-0405-4607-8809-0a0b0c0d0e0f")
ID = str(RELEASE)
ROOT = bytes(range(32))
GATE = Gate(("age_band", "sex", "zip3", "year"), 5, 6, ("10-year age bands",), 30, 2, 28)


@pytest.mark.parametrize(
    ("parts", "name"),
    [
        (
            RecordsName("physical-signs", "2019", RELEASE),
            f"records/kind=physical-signs/year=2019/release={ID}.jsonl",
        ),
        (
            RecordsName("health-status", "2015-2019", RELEASE),
            f"records/kind=health-status/year=2015-2019/release={ID}.jsonl",
        ),
        (
            RecordsName("other", "unknown", RELEASE),
            f"records/kind=other/year=unknown/release={ID}.jsonl",
        ),
        (
            SegmentName("body-measures", "2026", "44df9909b19fec43035d2b77"),
            "segments/kind=body-measures/year=2026/44df9909b19fec43035d2b77.xml",
        ),
        (ManifestName(RELEASE), f"manifests/release={ID}.json"),
        (AuditHeadName(42, ROOT), f"audit-heads/000000000042-{ROOT.hex()}.json"),
        (AuditHeadName(10**12, ROOT), f"audit-heads/1000000000000-{ROOT.hex()}.json"),
    ],
)
def test_a_name_is_built_from_its_parts_and_parsed_back_to_them(
    parts: PublicName, name: str
) -> None:
    assert parts.name == name
    assert parse_name(name) == parts
    assert type(parts).parse(name) == parts


def test_the_kind_and_period_of_records_and_segments() -> None:
    assert kind_of(f"records/kind=physical-signs/year=2019/release={ID}.jsonl") == "physical-signs"
    assert kind_of("segments/kind=lifestyle/year=unknown/0abc.xml") == "lifestyle"
    parsed = RecordsName.parse(f"records/kind=other/year=2015-2019/release={ID}.jsonl")
    assert (parsed.kind, parsed.year, parsed.release) == ("other", "2015-2019", RELEASE)
    with pytest.raises(ValueError, match="only records and segments"):
        kind_of(f"manifests/release={ID}.json")
    assert [period("2019"), period("2015-2019"), period(None), period("")] == [
        "2019",
        "2015-2019",
        "unknown",
        "unknown",
    ]
    assert is_kind("family-history")
    assert not any(is_kind(k) for k in ("", "-x", "Vitals", "a/b", "x\n", "..", "a" * 65))


@pytest.mark.parametrize(
    "name",
    [
        f"records/kind=x/../../../etc/release={ID}.jsonl",
        f"records/kind=physical-signs/year=2019/release={ID.upper()}.jsonl",
        f"records/kind=physical-signs/year=2019/release={RELEASE.hex}0000.jsonl",
        f"records/kind=physical-signs/year=2019/release={ID[:8]}{ID[9:13]}-{ID[13:]}.jsonl",
        f"records/kind=physical-signs/year=2019/release={ID}.jsonl\n",
        f"records/kind=physical-signs/year=2019/release={ID}.json",
        f"records/kind=Physical/year=2019/release={ID}.jsonl",
        f"records/kind=physical-signs/year=19/release={ID}.jsonl",
        f"records/kind=physical-signs/year=2019-20/release={ID}.jsonl",
        f"records/kind=physical-signs/release={ID}.jsonl",
        "physical-signs/2019/records.jsonl",
        f"kind=physical-signs/year=2019/release={ID}.jsonl",
        "segments/kind=lifestyle/year=2019/../x.xml",
        "segments/kind=lifestyle/year=2019/ABC.xml",
        f"manifests/release={ID}.json.tmp",
        "manifests/release=------------------------------------.json",
        f"audit-heads/0000000000042-{ROOT.hex()}.json",
        f"audit-heads/42-{ROOT.hex()}.json",
        f"audit-heads/000000000042-{ROOT.hex()[:-2]}.json",
        "README.txt",
    ],
)
def test_a_name_not_of_the_layout_is_refused_without_echoing_it(name: str) -> None:
    with pytest.raises(ValueError, match="not a name of the public bucket's layout") as refused:
        parse_name(name)
    assert name.strip() not in str(refused.value)


def test_a_name_cannot_be_built_from_parts_outside_the_layout() -> None:
    with pytest.raises(ValueError, match=r"expected records/kind=K/year=Y/release=ID\.jsonl"):
        RecordsName("physical signs", "2019", RELEASE)
    with pytest.raises(ValueError, match="expected records/"):
        RecordsName("physical-signs", "", RELEASE)
    with pytest.raises(ValueError, match="expected segments/"):
        SegmentName("lifestyle", "2019", "../../x")
    with pytest.raises(ValueError, match="expected audit-heads/"):
        AuditHeadName(-1, ROOT)
    with pytest.raises(ValueError, match="expected audit-heads/"):
        AuditHeadName(1, b"short")


def test_objects_are_written_as_json_or_xml() -> None:
    assert media_type(f"manifests/release={ID}.json") == "application/json"
    assert media_type(f"records/kind=other/year=unknown/release={ID}.jsonl") == "application/json"
    assert media_type("segments/kind=other/year=unknown/ab.xml") == "application/xml"
    with pytest.raises(ValueError, match="layout"):
        media_type("elsewhere/x.xml")


RECORDS_OBJECT = f"records/kind=physical-signs/year=2010-2019/release={ID}.jsonl"
SEGMENT_OBJECT = "segments/kind=physical-signs/year=2010-2019/0a1b2c.xml"
RECORDS_SHA256 = "ca3d163bab055381827226140568f3bef7eaac187cebd76878e0b63e9e442356"  # of b"{}\n"
SEGMENT_SHA256 = hashlib.sha256(b"<section/>").hexdigest()
# Known answer: the bytes of a release manifest, as published buckets hold them.
MANIFEST = (
    "{\n"
    '  "format": "phr-share-release/1",\n'
    '  "generalisation": [\n'
    '    "10-year age bands"\n'
    "  ],\n"
    '  "k_achieved": 6,\n'
    '  "k_requested": 5,\n'
    '  "objects": [\n'
    "    {\n"
    '      "bytes": 3,\n'
    f'      "name": "{RECORDS_OBJECT}",\n'
    f'      "sha256": "{RECORDS_SHA256}"\n'
    "    },\n"
    "    {\n"
    '      "bytes": 10,\n'
    f'      "name": "{SEGMENT_OBJECT}",\n'
    f'      "sha256": "{SEGMENT_SHA256}"\n'
    "    }\n"
    "  ],\n"
    '  "published": "2026-11-22",\n'
    '  "quasi_identifiers": [\n'
    '    "age_band",\n'
    '    "sex",\n'
    '    "zip3",\n'
    '    "year"\n'
    "  ],\n"
    '  "records_in": 30,\n'
    '  "records_out": 28,\n'
    '  "records_suppressed": 2,\n'
    f'  "release": "{ID}"\n'
    "}\n"
).encode()


def _manifest() -> Manifest:
    objects = {SEGMENT_OBJECT: b"<section/>", RECORDS_OBJECT: b"{}\n"}
    return Manifest.of(RELEASE, date(2026, 11, 22), GATE, objects)


def test_a_manifest_lists_every_object_in_name_order_in_canonical_json() -> None:
    manifest = _manifest()
    assert manifest.name == f"manifests/release={ID}.json"
    assert [o.name for o in manifest.objects] == [RECORDS_OBJECT, SEGMENT_OBJECT]
    assert manifest.objects[1] == Listed(SEGMENT_OBJECT, SEGMENT_SHA256, 10)
    assert manifest.to_bytes() == MANIFEST


def test_a_manifest_reads_back_as_it_was_written() -> None:
    read = read_manifest(f"manifests/release={ID}.json", MANIFEST)
    assert (read.release, read.published, read.k_achieved, read.records) == (
        RELEASE,
        "2026-11-22",
        6,
        28,
    )
    (listed,) = read.record_objects  # segment XML is not read through the manifest
    assert (listed.name, listed.parts.kind, listed.parts.year) == (
        RECORDS_OBJECT,
        "physical-signs",
        "2010-2019",
    )
    assert (listed.sha256, listed.size) == (RECORDS_SHA256, 3)


def test_a_manifest_without_some_facts_is_read_with_what_it_states() -> None:
    document = json.loads(MANIFEST)
    for key in ("records_out", "k_achieved", "published", "release"):
        del document[key]
    document["objects"][0]["bytes"] = "3"
    document["objects"][1] = {"name": "segments/anything"}
    read = read_manifest(f"manifests/release={ID}.json", json.dumps(document).encode())
    assert (read.published, read.k_achieved, read.records) == (None, 0, 30 - 2)
    assert read.record_objects[0].size is None


def _edited(**changes: object) -> bytes:
    document = json.loads(MANIFEST)
    document.update(changes)
    return json.dumps(document).encode()


OTHER = uuid.UUID(int=7)


MANIFEST_NAME = f"manifests/release={ID}.json"
SHA = "0" * 64


@pytest.mark.parametrize(
    ("name", "data", "refusal"),
    [
        (f"manifests/release={OTHER}.json", MANIFEST, "another release than its name"),
        (MANIFEST_NAME, b"{not json", "is JSON"),
        (MANIFEST_NAME, b"\xff\xfe\x00", "is JSON"),
        (MANIFEST_NAME, b"[]", "a JSON object"),
        (MANIFEST_NAME, _edited(release=str(OTHER)), "another release than its name"),
        (MANIFEST_NAME, _edited(records_out=True), "whole numbers"),
        (MANIFEST_NAME, _edited(k_achieved="6"), "whole numbers"),
        (MANIFEST_NAME, _edited(objects={}), "lists its objects"),
        (MANIFEST_NAME, _edited(objects=[{"sha256": SHA}]), "has a name"),
        (MANIFEST_NAME, _edited(objects=[{"name": RECORDS_OBJECT, "sha256": "0"}]), "SHA-256"),
        (
            MANIFEST_NAME,
            _edited(objects=[{"name": RECORDS_OBJECT.replace(ID, str(OTHER)), "sha256": SHA}]),
            "a records object of another release",
        ),
        (
            MANIFEST_NAME,
            _edited(objects=[{"name": "records/kind=x/../../etc.jsonl", "sha256": SHA}]),
            "not a name of the public bucket's layout",
        ),
        (RECORDS_OBJECT, MANIFEST, "expected manifests/"),
    ],
)
def test_a_manifest_not_of_the_layout_is_refused(name: str, data: bytes, refusal: str) -> None:
    with pytest.raises(ValueError, match=refusal):
        read_manifest(name, data)
