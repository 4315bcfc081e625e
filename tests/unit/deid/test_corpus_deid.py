"""De-identifying the whole corpus: nothing identifying leaks, nothing clinical is lost."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from phr_share.ccda import split_document
from phr_share.ccda.entries import clinical_entries
from phr_share.ccda.identity import collect_identifiers
from phr_share.ccda.xml import parse_xml
from phr_share.deid import DateMode, DeidPolicy, scan
from phr_share.deidentify import deidentify_document
from phr_share.models import Identifiers, PhiKind, SegmentKind
from tests.conftest import PATIENT, corpus_files, corpus_name

FILES = corpus_files()
YEAR = DeidPolicy(b"corpus-test-secret-of-32-bytes!!", date(2026, 11, 22))
SHIFT = DeidPolicy(YEAR.secret, YEAR.as_of, DateMode.SHIFT)

pytestmark = pytest.mark.corpus


@pytest.mark.parametrize("path", FILES, ids=corpus_name)
def test_no_identifier_leaks_and_every_coded_entry_is_kept(path: Path) -> None:
    data = path.read_bytes()
    identifiers = collect_identifiers(parse_xml(data))
    split = split_document(data, PATIENT)
    released = deidentify_document(split, YEAR)
    sources = [s for s in split.segments if s.kind is not SegmentKind.PERSONAL]
    assert [s.kind for s in released] == [s.kind for s in sources]
    for source, result in zip(sources, released, strict=True):
        rows = "\n".join(json.dumps(r.as_json()) for r in result.records)
        leaks = scan(result.xml, identifiers) + scan(rows, identifiers)
        assert not leaks, f"{source.path}: {[(f.kind.value, f.value) for f in leaks]}"
        kept = len(clinical_entries(parse_xml(result.xml)))
        assert kept == len(clinical_entries(parse_xml(source.content))) == len(result.records)


@pytest.mark.parametrize("path", FILES[::10], ids=corpus_name)
def test_date_shifting_leaks_nothing_but_shifted_dates(path: Path) -> None:
    data = path.read_bytes()
    everything = collect_identifiers(parse_xml(data))
    # A shifted date may land on another real date of the record; dates are judged apart.
    identifiers = Identifiers(tuple(v for v in everything.values if v[0] is not PhiKind.DATE))
    for result in deidentify_document(split_document(data, PATIENT), SHIFT):
        assert scan(result.xml, identifiers) == []
