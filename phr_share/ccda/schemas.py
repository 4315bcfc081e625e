"""Validation against the schema files in ``schemas/`` (shipped inside the wheel)."""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Literal

from lxml import etree

from phr_share.errors import SchemaViolation
from phr_share.resources import shipped_file

__all__ = ["SchemaName", "schema_path", "validate"]

SchemaName = Literal["ccda-header.rng", "segment.xsd", "phr-readings.xsd"]

_NAME = r"(?:\{[^}]*\})?([A-Za-z_][\w.\-]{0,60})"
# libxml2 message shapes -> our wording, keeping only element and attribute names.
_MESSAGES = (
    (re.compile(rf"Expecting an element {_NAME}"), "<{0}> is missing or out of place"),
    (re.compile(rf"Did not expect element {_NAME}"), "<{0}> is not expected there"),
    (re.compile(rf"Element '{_NAME}', attribute '{_NAME}'"), "attribute {1} of <{0}> is not valid"),
    (re.compile(rf"Element '{_NAME}': Missing child element"), "<{0}> lacks a required child"),
    (re.compile(rf"Element '{_NAME}'"), "<{0}> is not valid there"),
    (
        re.compile(rf"Element {_NAME} failed to validate"),
        "<{0}> does not have the required content",
    ),
)
# A compiled schema keeps its error log on itself, so each thread gets its own copy.
_local = threading.local()


def validate(element: etree._Element, name: SchemaName, what: str) -> None:
    """Check ``element`` against a schema; raises SchemaViolation saying what and where.

    The message names elements and attributes only, never libxml2's full text, which
    can quote values from the document.
    """
    schema = _load(name)
    if schema.validate(element):
        return
    error = schema.error_log[0] if schema.error_log else None
    detail = _describe(error.message) if error is not None else None
    line = error.line if error is not None and error.line > 0 else None
    raise SchemaViolation(
        f"{what} does not match {name}" + (f": {detail}" if detail else ""),
        line=line,
        column=error.column if line is not None and error is not None else None,
    )


def _describe(message: str) -> str | None:
    for pattern, template in _MESSAGES:
        match = pattern.search(message)
        if match:
            return template.format(*match.groups())
    return None


def schema_path(name: SchemaName) -> Path:
    """Where a schema file is: inside the installed package, else the source tree."""
    return shipped_file("schemas", name)


def _load(name: SchemaName) -> etree.XMLSchema | etree.RelaxNG:
    cache: dict[str, etree.XMLSchema | etree.RelaxNG] = _local.__dict__.setdefault("schemas", {})
    schema = cache.get(name)
    if schema is None:
        # Schema files are our own, but they still go through a parser that fetches nothing.
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
        tree = etree.parse(str(schema_path(name)), parser)
        schema = etree.RelaxNG(tree) if name.endswith(".rng") else etree.XMLSchema(tree)
        cache[name] = schema
    return schema
