"""No path reads a segment without the decision point.

Two nets: the source is searched for every way to fetch or decrypt a private object
(there must be exactly one, behind ``read_segment``'s decision), and every public read
entry point is run with a decision point that denies everything: nothing may be fetched.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import phr_share
from phr_share.consent import Decision, Reason, Request, Role
from phr_share.consent.model import Facts
from phr_share.errors import AccessDenied
from phr_share.models import SegmentKind as K
from phr_share.sharing import (
    OPERATOR,
    ROUTER,
    Services,
    accept_care,
    choose_release,
    create_share_link,
    create_user,
    current_segments,
    export_document,
    grant_access,
    ingest_document,
    invite_clinician,
    open_share_link,
    read_permitted,
    read_segment,
    read_series,
    readable_segments,
    run_release,
)
from phr_share.storage import MemoryStore
from tests.conftest import PATIENT

PACKAGE = Path(phr_share.__file__).parent


def _functions(tree: ast.AST) -> Iterator[tuple[str, ast.AST]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node.name, node


def _fetches(func: ast.AST) -> list[str]:
    """Calls that fetch a private object or open a sealed one."""
    found = []
    for node in ast.walk(func):
        if not isinstance(node, ast.Call):
            continue
        target = node.func
        if isinstance(target, ast.Name) and target.id == "open_sealed":
            found.append("open_sealed")
        if (
            isinstance(target, ast.Attribute)
            and target.attr in {"get", "get_object", "head"}
            and isinstance(target.value, ast.Attribute)
            and target.value.attr == "private"
        ):
            found.append(f"private.{target.attr}")
    return found


def test_exactly_one_function_fetches_or_decrypts_segments() -> None:
    fetching = {}
    for path in PACKAGE.rglob("*.py"):
        if path.parts[-2] in {"crypto", "storage"}:
            continue  # where the primitives are defined, not used
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for name, func in _functions(tree):
            if _fetches(func):
                fetching[f"{path.relative_to(PACKAGE)}:{name}"] = _fetches(func)
    # Segments open in one place; the series' monthly buckets in one other, which holds
    # no store: whatever reads buckets must ask the decision point before calling it.
    assert fetching == {
        "sharing/read.py:_open": ["private.get", "open_sealed"],
        "series/sealed.py:open_bucket": ["open_sealed"],
    }


def _callers(name: str) -> list[tuple[str, str, list[str]]]:
    """(module, function, its calls in source order) for every function calling ``name``."""
    found = []
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function, node in _functions(tree):
            calls = sorted(
                (n.lineno, n.col_offset, n.func.id)
                for n in ast.walk(node)
                if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
            )
            names = [call for _, _, call in calls]
            if name in names:
                found.append((path.name, function, names))
    return found


def test_opening_happens_only_after_a_decision() -> None:
    openers = {(module, function) for module, function, _ in _callers("_open")}
    assert openers == {("read.py", "_fetch_all"), ("read.py", "attempt")}
    fetchers = _callers("_fetch_all")
    assert [(module, function) for module, function, _ in fetchers] == [("read.py", "_read")]
    calls = fetchers[0][2]
    assert calls.index("authorize") < calls.index("_fetch_all")


def test_series_buckets_open_only_after_a_decision_or_to_be_written_again() -> None:
    def callers(name: str) -> set[tuple[str, str]]:
        return {(module, function) for module, function, _ in _callers(name)}

    assert callers("open_bucket") == {("series.py", "_open_row")}
    assert callers("_open_row") == {("series.py", "_open_rows"), ("series.py", "_rewrite")}
    readers = _callers("_open_rows")
    assert [(module, function) for module, function, _ in readers] == [("series.py", "read_series")]
    calls = readers[0][2]
    assert calls.index("authorize") < calls.index("_open_rows")
    # Opened to be merged and sealed again, in the transaction that writes it: by ingest,
    # and by the rebuild (whose segments were read through the decision point).
    assert callers("_rewrite") == {("series.py", "write_points")}
    assert callers("write_points") == {
        ("ingest.py", "_mark_stored"),
        ("series.py", "rebuild_series"),
    }


class CountingStore(MemoryStore):
    """Counts every object fetched."""

    def __init__(self) -> None:
        super().__init__()
        self.gets = 0

    def get(self, container: str, name: str):  # type: ignore[no-untyped-def]
        self.gets += 1
        return super().get(container, name)


def test_every_read_entry_point_asks_the_decision_point(
    services: Services, demo_ccd: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = CountingStore()
    services.private = store
    ingest_document(services, OPERATOR, demo_ccd, PATIENT)
    patient = create_user(services, OPERATOR, "jordan", Role.PATIENT, patient_id=PATIENT)
    doctor = create_user(services, OPERATOR, "dr.kim", Role.DOCTOR)
    accept_care(
        services, doctor.principal, invite_clinician(services, patient.principal, doctor.id)
    )
    grant_access(services, patient.principal, doctor.id, None)
    choose_release(services, OPERATOR, PATIENT, {K.PHYSICAL_SIGNS})
    link = create_share_link(services, patient.principal, doctor.id, {K.LIFESTYLE})
    records = current_segments(services, OPERATOR, PATIENT)

    asked: list[Request] = []

    def deny(request: Request, facts: Facts) -> Decision:
        asked.append(request)
        return Decision(False, Reason.NO_GRANT)

    for module in ("access", "links", "grants"):
        monkeypatch.setattr(f"phr_share.sharing.{module}.decide", deny)

    entry_points = {
        "read_segment (owner)": lambda: read_segment(services, patient.principal, records[0]),
        "read_segment (doctor)": lambda: read_segment(services, doctor.principal, records[0]),
        "read_segment (router)": lambda: read_segment(services, ROUTER, records[0]),
        "open_share_link": lambda: open_share_link(services, doctor.principal, link.token),
        "export_document": lambda: export_document(
            services, patient.principal, records[0].document_id
        ),
    }
    for name, call in entry_points.items():
        before = len(asked)
        with pytest.raises(AccessDenied):
            call()
        assert len(asked) > before, name
    before = len(asked)
    assert read_series(services, doctor.principal, PATIENT).tables == {}
    assert len(asked) > before
    assert readable_segments(services, doctor.principal, PATIENT) == []
    assert read_permitted(services, doctor.principal, records) == []
    assert run_release(services, OPERATOR, k=1).segments_published == 0
    assert store.gets == 0
