"""Helpers every command shares: file errors with exit codes, reading, writing, tables."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from phr_share.errors import DocumentTooLarge
from phr_share.models import SegmentKind
from phr_share.settings import Settings

__all__ = [
    "EX_CANTCREAT",
    "EX_NOINPUT",
    "FileError",
    "clip",
    "emit",
    "kinds",
    "print_table",
    "read",
]

EX_NOINPUT = 66
EX_CANTCREAT = 73


class FileError(Exception):
    """A file the user named cannot be read or written; carries its exit code."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def kinds(value: str) -> frozenset[SegmentKind]:
    try:
        return frozenset(SegmentKind(part.strip()) for part in value.split(",") if part.strip())
    except ValueError:
        known = ", ".join(kind.value for kind in SegmentKind)
        raise argparse.ArgumentTypeError(f"kinds are: {known}") from None


def read(path: Path, settings: Settings) -> bytes:
    try:
        size = path.stat().st_size
        if size > settings.max_document_bytes:
            raise DocumentTooLarge(
                f"the document is {size} bytes; the limit is {settings.max_document_bytes} bytes"
            )
        return path.read_bytes()
    except OSError as exc:
        raise FileError(f"cannot read {path}: {exc.strerror or 'unreadable'}", EX_NOINPUT) from None


def emit(data: bytes, path: Path | None, out: TextIO) -> None:
    if path is None:
        out.write(data.decode("utf-8"))
        out.write("\n")
        return
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise FileError(
            f"cannot write {path}: {exc.strerror or 'unwritable'}", EX_CANTCREAT
        ) from None


def print_table(header: Sequence[str], rows: Sequence[Sequence[str]], out: TextIO) -> None:
    """Print rows under a header in aligned columns; numeric-looking columns right-aligned."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    numeric = [all(row[i].isdigit() for row in rows) and bool(rows) for i in range(len(header))]
    for row in [header, *rows]:
        cells = [
            cell.rjust(w) if numeric[i] else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ]
        print("  ".join(cells).rstrip(), file=out)


def clip(text: str, width: int) -> str:
    """Text cut to ``width`` characters with an ellipsis."""
    return text if len(text) <= width else text[: width - 1] + "…"
