"""The one hardened XML parser for everything the system accepts.

No entity expansion, no DTD loading, no network, a byte limit before parsing and a
depth limit during and after it. Every failure becomes an InvalidDocument subclass
whose message is written here: libxml2's own text can quote the input, so it is
never passed on.
"""

from __future__ import annotations

import functools
import threading

from lxml import etree

from phr_share.errors import (
    DocumentTooDeep,
    DocumentTooLarge,
    EmptyDocument,
    ForbiddenXML,
    InvalidDocument,
    MalformedXML,
)
from phr_share.settings import XmlLimits

__all__ = ["HL7", "canonical", "first_child", "hl7", "parse_xml"]

HL7 = "urn:hl7-org:v3"

_local = threading.local()

# libxml2 error types grouped by what they mean to the person who sent the file.
_TRUNCATED = frozenset(
    {
        "ERR_DOCUMENT_END",
        "ERR_TAG_NOT_FINISHED",
        "ERR_GT_REQUIRED",
        "ERR_LTSLASH_REQUIRED",
        "ERR_LT_REQUIRED",
        "ERR_COMMENT_NOT_FINISHED",
        "ERR_CDATA_NOT_FINISHED",
        "ERR_PI_NOT_FINISHED",
        "ERR_ATTRIBUTE_NOT_FINISHED",
        "ERR_LITERAL_NOT_FINISHED",
        "ERR_VALUE_REQUIRED",
    }
)
_ENCODING = frozenset(
    {
        "ERR_INVALID_CHAR",
        "ERR_INVALID_ENCODING",
        "ERR_UNSUPPORTED_ENCODING",
        "ERR_UNKNOWN_ENCODING",
        "ERR_INVALID_CHARREF",
        "ERR_INVALID_DEC_CHARREF",
        "ERR_INVALID_HEX_CHARREF",
    }
)
_ENTITY_PREFIX = ("ERR_UNDECLARED_ENTITY", "ERR_ENTITY", "WAR_UNDECLARED_ENTITY", "ERR_PEREF")


def hl7(local: str) -> str:
    """Clark notation for an element in the HL7 v3 namespace."""
    return f"{{{HL7}}}{local}"


def parse_xml(data: bytes, limits: XmlLimits | None = None) -> etree._Element:
    """Parse untrusted bytes into an element tree.

    Raises EmptyDocument, DocumentTooLarge, DocumentTooDeep, MalformedXML or ForbiddenXML.
    """
    limits = limits or XmlLimits()
    if len(data) > limits.max_document_bytes:
        raise DocumentTooLarge(
            f"the document is {len(data)} bytes; the limit is {limits.max_document_bytes} bytes"
        )
    if not data or data.isspace():
        raise EmptyDocument("the document is empty")
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise _translate(exc) from None
    docinfo = root.getroottree().docinfo
    if docinfo.internalDTD is not None or docinfo.externalDTD is not None or docinfo.doctype:
        raise ForbiddenXML("document type declarations (DTDs) and entities are not accepted")
    # libxml2 stops at 256 levels while parsing; a lower limit costs one more pass.
    if limits.max_xml_depth < 256 and _too_deep(limits.max_xml_depth)(root):
        raise DocumentTooDeep(f"elements are nested deeper than {limits.max_xml_depth} levels")
    return root


def canonical(element: etree._Element) -> bytes:
    """Canonical bytes of one element: what a segment holds and hashes.

    Exclusive XML Canonicalization 1.0, without comments: the W3C form made for
    fragments, so the bytes do not depend on where the element sits (in its document,
    alone in an envelope, in a rebuilt document). A namespace is declared where it is
    used; CDA's ``xsi:type`` values are unprefixed HL7 datatypes, which resolve against
    the HL7 namespace every CDA element uses.
    """
    return etree.tostring(element, method="c14n", exclusive=True, with_comments=False)


def first_child(element: etree._Element, tag: str) -> etree._Element | None:
    """The first child with this tag, or None (much cheaper than ``find``)."""
    for child in element.iterchildren(tag):
        return child
    return None


def _parser() -> etree.XMLParser:
    # Parsers are not shared between threads; one per thread, reused.
    parser: etree.XMLParser | None = getattr(_local, "parser", None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False,
            load_dtd=False,
            dtd_validation=False,
            no_network=True,
            huge_tree=False,
            remove_comments=False,
            collect_ids=False,
        )
        _local.parser = parser
    return parser


@functools.lru_cache(maxsize=8)
def _too_deep(max_depth: int) -> etree.XPath:
    # True when any element sits below max_depth levels; libxml2 stops at 256 by itself.
    return etree.XPath("boolean(/*" + "/*" * max_depth + ")")


def _translate(exc: etree.XMLSyntaxError) -> InvalidDocument:
    line, column = exc.position
    error, message = _classify(_error_name(exc.code), str(exc.msg).lower())
    return error(message, line=line, column=column)


def _classify(kind: str, text: str) -> tuple[type[InvalidDocument], str]:
    # libxml2's text is only inspected here, to choose our own words.
    if kind == "ERR_RESOURCE_LIMIT" and "depth" in text:
        return DocumentTooDeep, "elements are nested too deeply"
    if kind.startswith(_ENTITY_PREFIX) or "entity" in text:
        return ForbiddenXML, "entity declarations and references are not accepted"
    if kind == "ERR_RESOURCE_LIMIT":
        return DocumentTooLarge, "one text or name in the document is larger than allowed"
    if kind == "ERR_DOCUMENT_EMPTY":
        return MalformedXML, "the file is not XML: no root element was found"
    if kind in _TRUNCATED:
        return MalformedXML, "the XML ends early or has an unfinished tag (truncated file?)"
    if kind in _ENCODING:
        return MalformedXML, "the XML holds a character its encoding does not allow"
    if kind == "ERR_TAG_NAME_MISMATCH":
        return MalformedXML, "an end tag does not match its start tag"
    return MalformedXML, f"the XML is not well-formed ({kind or 'parser error'})"


def _error_name(code: int) -> str:
    return _error_names().get(code, "")


@functools.cache
def _error_names() -> dict[int, str]:
    names = (name for name in dir(etree.ErrorTypes) if name.isupper())
    return {getattr(etree.ErrorTypes, name): name for name in names}
