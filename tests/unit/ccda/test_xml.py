"""Hostile input: every case refused with the right error, with no network or file access.

That refusing is cheap is checked here by what bounds the work (a byte count before
parsing, libxml2's limits on depth and on entity amplification), not by a clock:
bench/split.py times the refusals.
"""

from __future__ import annotations

import random
import select
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree

from phr_share.ccda import split_document
from phr_share.ccda import xml as xml_module
from phr_share.ccda.xml import canonical, parse_xml
from phr_share.errors import (
    DocumentTooDeep,
    DocumentTooLarge,
    EmptyDocument,
    ForbiddenXML,
    InvalidDocument,
    MalformedXML,
    NotClinicalDocument,
    SchemaViolation,
)
from phr_share.settings import XmlLimits
from tests.conftest import DATA, PATIENT

HOSTILE = DATA / "hostile"


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A loopback TCP port that records whether anything tried to connect to it."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.setblocking(False)
    yield server
    server.close()


def connection_attempted(server: socket.socket) -> bool:
    readable, _, _ = select.select([server], [], [], 0.2)
    return bool(readable)


def hostile(name: str, **replacements: str) -> bytes:
    text = (HOSTILE / name).read_text("utf-8")
    for key, value in replacements.items():
        text = text.replace(f"@{key}@", value)
    return text.encode()


def deep_document(levels: int) -> bytes:
    opening = "<section>" * levels
    closing = "</section>" * levels
    return (
        '<ClinicalDocument xmlns="urn:hl7-org:v3"><id root="1.2"/>'
        f"<component><structuredBody><component>{opening}{closing}</component>"
        "</structuredBody></component></ClinicalDocument>"
    ).encode()


def refuse(data: bytes, expected: type[InvalidDocument], limits: XmlLimits | None = None) -> str:
    with pytest.raises(expected) as caught:
        split_document(data, PATIENT, limits)
    return caught.value.message


def entity_bomb(levels: int) -> bytes:
    """A document whose one entity would expand to 10 ** ``levels`` copies of "lol"."""
    entities = "".join(f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, levels + 1))
    return (
        f'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol0 "lol">{entities}]>'
        f'<ClinicalDocument xmlns="urn:hl7-org:v3"><title>&lol{levels};</title></ClinicalDocument>'
    ).encode()


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times the hardened parser was taken up (one per parse)."""
    taken: list[int] = []
    real = xml_module._parser

    def counted() -> etree.XMLParser:
        taken.append(1)
        return real()

    monkeypatch.setattr(xml_module, "_parser", counted)
    return taken


def test_external_entity_reading_a_local_file_is_refused_and_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-MARKER-8f2c")
    message = refuse(hostile("xxe-local-file.xml", SECRET_PATH=str(secret)), ForbiddenXML)
    assert "SECRET-MARKER" not in message
    assert "DTD" in message


def test_entity_expansion_bomb_is_refused() -> None:
    refuse(hostile("billion-laughs.xml"), ForbiddenXML)


@pytest.mark.parametrize("levels", [9, 15])
def test_a_bomb_is_stopped_inside_the_parser_whatever_it_would_grow_to(levels: int) -> None:
    # libxml2 counts the bytes an expansion makes and stops at a fixed multiple of the
    # input, so 10**15 copies cost what 10**9 do: the refusal comes from the parse itself
    # (its message), never from a check on an expanded tree.
    message = refuse(entity_bomb(levels), ForbiddenXML)
    assert message.startswith("entity declarations and references are not accepted")


def test_external_dtd_is_refused_without_fetching(listener: socket.socket) -> None:
    host = f"127.0.0.1:{listener.getsockname()[1]}"
    refuse(hostile("external-dtd.xml", HOST=host), ForbiddenXML)
    assert not connection_attempted(listener)


def test_entities_pointing_at_the_network_are_refused_without_fetching(
    listener: socket.socket,
) -> None:
    host = f"127.0.0.1:{listener.getsockname()[1]}"
    refuse(hostile("network-entity.xml", HOST=host), ForbiddenXML)
    assert not connection_attempted(listener)


def test_undeclared_entity_reference_is_refused() -> None:
    data = b'<ClinicalDocument xmlns="urn:hl7-org:v3"><title>&name;</title></ClinicalDocument>'
    refuse(data, ForbiddenXML)


def test_document_over_the_size_limit_is_refused_before_parsing(parses: list[int]) -> None:
    limit = XmlLimits().max_document_bytes
    data = b'<ClinicalDocument xmlns="urn:hl7-org:v3">' + b" " * limit + b"</ClinicalDocument>"
    message = refuse(data, DocumentTooLarge)
    assert str(limit) in message
    assert parses == []  # not one byte of it was parsed


def test_the_size_limit_is_configurable(demo_ccd: bytes) -> None:
    refuse(demo_ccd, DocumentTooLarge, XmlLimits(max_document_bytes=len(demo_ccd) - 1))
    assert split_document(demo_ccd, PATIENT, XmlLimits(max_document_bytes=len(demo_ccd)))


def test_ten_thousand_levels_of_nesting_are_refused() -> None:
    refuse(deep_document(10_000), DocumentTooDeep)


def test_a_lower_depth_limit_is_enforced(demo_ccd: bytes) -> None:
    refuse(deep_document(40), DocumentTooDeep, XmlLimits(max_xml_depth=30))
    # The demo document (about 14 levels) passes a limit of 30.
    assert split_document(demo_ccd, PATIENT, XmlLimits(max_xml_depth=30))


def test_xml_that_is_not_cda_is_refused() -> None:
    refuse(hostile("not-cda.xml"), NotClinicalDocument)


@pytest.mark.parametrize("name", ["wrong-namespace.xml", "no-namespace.xml"])
def test_clinical_document_outside_the_hl7_namespace_is_refused(name: str) -> None:
    message = refuse(hostile(name), NotClinicalDocument)
    assert "urn:hl7-org:v3" in message


def test_truncated_file_is_refused_with_its_position_and_no_content() -> None:
    with pytest.raises(MalformedXML) as caught:
        split_document(hostile("truncated.xml"), PATIENT)
    assert caught.value.line == 6
    assert "Probl" not in caught.value.message
    assert "truncated" in caught.value.message


def test_binary_garbage_is_refused() -> None:
    refuse(random.Random(7).randbytes(4096), MalformedXML)


@pytest.mark.parametrize("data", [b"", b"  \n\t "])
def test_empty_files_are_refused(data: bytes) -> None:
    refuse(data, EmptyDocument)


def test_a_header_without_a_patient_is_refused() -> None:
    message = refuse(hostile("no-patient.xml"), SchemaViolation)
    assert "recordTarget" in message


def test_a_document_id_without_a_root_is_refused() -> None:
    message = refuse(hostile("no-document-id.xml"), SchemaViolation)
    assert "ccda-header.rng" in message


def test_parser_messages_never_quote_the_document() -> None:
    data = (
        b'<ClinicalDocument xmlns="urn:hl7-org:v3">\n<JaneDoe1970></JohnSmith></ClinicalDocument>'
    )
    with pytest.raises(MalformedXML) as caught:
        parse_xml(data)
    assert "JaneDoe" not in caught.value.message
    assert "JohnSmith" not in caught.value.message
    assert (caught.value.line, caught.value.message.startswith("an end tag")) == (2, True)


def test_canonical_form_is_exclusive_c14n_without_comments() -> None:
    root = parse_xml(
        b'<r xmlns="urn:x" xmlns:q="urn:q" xmlns:unused="urn:u"><!-- note -->'
        b'<a z="1" b="2" q:c="3"/></r>'
    )
    # Attributes sorted, no-namespace ones first; only the namespaces used are declared.
    assert canonical(root[1]) == b'<a xmlns="urn:x" xmlns:q="urn:q" b="2" z="1" q:c="3"></a>'


def test_canonical_form_keeps_deep_descendants_in_their_namespace() -> None:
    # lxml's inclusive C14N of a sub-element marks grandchildren xmlns="": never here.
    root = parse_xml(b'<a xmlns="urn:x"><b><c><d/></c></b></a>')
    assert canonical(root[0]) == b'<b xmlns="urn:x"><c><d></d></c></b>'
    assert parse_xml(canonical(root[0]))[0][0].tag == "{urn:x}d"
