"""The store commands end to end against the local stack, through the real CLI entry."""

from __future__ import annotations

import io
import json
import sqlite3
import uuid
from pathlib import Path

import pytest

from phr_share.cli import main
from phr_share.consent.totp import code_at, step_of
from phr_share.settings import Settings
from phr_share.sharing import (
    OPERATOR,
    audit_proof,
    confirm_enrolment,
    find_account,
    open_services,
    start_enrolment,
)
from phr_share.stack import StackInfo
from phr_share.storage import SwiftStore
from tests.conftest import DEMO_CCD, PATIENT


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), stdout=out), out.getvalue()


@pytest.fixture
def env(stack: StackInfo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name, value in stack.env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PHR_STATE_DIR", str(tmp_path))
    own = tmp_path.name[-12:].lower().replace("_", "-")
    monkeypatch.setenv("PHR_S3_BUCKET", f"cli-{own}")
    monkeypatch.setenv("PHR_AUDIT_CONTAINER", f"audit-{own}")  # the stack is shared
    return tmp_path


PASSWORD = "correct horse battery"


def as_user(monkeypatch: pytest.MonkeyPatch, *argv: str, code: str = "") -> tuple[int, str]:
    """Run a command that asks for a password (and a code), typing them on standard input."""
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{PASSWORD}\n{code}\n"))
    return run(*argv)


def set_up_mfa(username: str) -> list[str]:
    """Set up TOTP for an account, as its owner does on the web: its recovery codes."""
    svc = open_services(Settings.from_env())
    try:
        principal = find_account(svc, OPERATOR, username=username).principal
        secret = start_enrolment(svc, principal).secret
        return confirm_enrolment(svc, principal, code_at(secret, step_of(svc.clock())))
    finally:
        svc.close()


def test_ingest_get_rotate_erase(
    env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out = as_user(
        monkeypatch, "user", "add", "jordan", "--role", "patient", "--patient", str(PATIENT)
    )
    assert code == 0
    assert f"patient id {PATIENT}" in out
    code, out = run("ingest", str(DEMO_CCD), "--patient", str(PATIENT), "--json")
    assert code == 0
    report = json.loads(out)
    segments = report[0]["segments"]
    assert report[0]["new"]
    tracking = segments[1]["tracking_id"]
    code, out = as_user(monkeypatch, "get", tracking, "--as", "jordan")
    assert code == 0
    assert out.startswith("<section")
    code, out = as_user(
        monkeypatch, "summary", "--patient", str(PATIENT), "--days", "3650", "--as", "jordan"
    )
    assert code == 0
    assert "Blood pressure at home: 1 reading on 1 day\n  Average: 146/92 mmHg" in out
    assert "Blood sugar" not in out  # no glucose was measured
    code, out = as_user(
        monkeypatch, "summary", "--patient", str(PATIENT), "--json", "--as", "jordan", "--days", "9"
    )
    assert (code, json.loads(out)["bp"]["readings"]) == (0, 0)  # the visit was in March
    code, out = run("series", "rebuild", "--patient", str(PATIENT), "--json")
    rebuilt = json.loads(out)
    assert code == 0
    assert rebuilt["points"] >= 2  # the visit's blood pressure at least
    assert rebuilt["buckets"] >= 1
    code, out = as_user(
        monkeypatch, "summary", "--patient", str(PATIENT), "--days", "3650", "--as", "jordan"
    )
    assert "Average: 146/92 mmHg" in out  # the rebuilt series says what ingest wrote
    code, out = run("keys", "rotate")
    assert code == 0
    assert "1 patient keys re-wrapped" in out
    code, out = as_user(monkeypatch, "get", tracking, "--as", "jordan")
    assert code == 0
    code, out = run("erase", "--patient", str(PATIENT), "--yes")
    assert code == 0
    assert f"{len(segments)} objects deleted" in out
    # The account closed with its data: signing in as it says so (EX_NOPERM).
    code, _ = as_user(monkeypatch, "get", tracking, "--as", "jordan")
    assert code == 77
    assert "closed when its data was erased" in capsys.readouterr().err


def test_release_below_k_is_refused_and_says_why(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("ingest", str(DEMO_CCD), "--patient", str(PATIENT))[0] == 0
    code, out = run("release", "--patient", str(PATIENT), "--kinds", "physical-signs")
    assert "patient releases: physical-signs" in out
    assert code == 65
    assert "cannot be made 5-anonymous" in capsys.readouterr().err


def test_patient_containers_are_private(stack: StackInfo, env: Path) -> None:
    assert run("ingest", str(DEMO_CCD), "--patient", str(PATIENT))[0] == 0
    store = SwiftStore(
        stack.env["PHR_SWIFT_AUTH_URL"], stack.env["PHR_SWIFT_USER"], stack.env["PHR_SWIFT_KEY"]
    )
    assert store.container_acl(str(PATIENT)) == ("", "")


def test_audit_verify_and_list(env: Path) -> None:
    assert run("ingest", str(DEMO_CCD), "--patient", str(PATIENT))[0] == 0
    code, out = run("audit", "verify")
    assert code == 0
    assert out.startswith("audit chain intact: 1 entries")
    code, out = run("audit", "list", "--patient", str(PATIENT))
    assert code == 0
    assert "store:document:ingest" in out
    assert "operator:cli" in out
    database = env / "phr-share.db"
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE audit_entries SET actor = 'someone' WHERE seq = 1")
    code, out = run("audit", "verify")
    assert code == 65
    assert out.startswith("audit log broken at entry 1: altered")


def test_a_signed_head_catches_a_rewritten_head_and_a_proof_checks_offline(
    env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PHR_AUDIT_HEADS_PUBLIC", "true")
    assert run("ingest", str(DEMO_CCD), "--patient", str(PATIENT))[0] == 0
    assert run("keys", "rotate")[0] == 0
    assert run("ingest", str(DEMO_CCD), "--patient", str(uuid.uuid4()))[0] == 0
    code, out = run("audit", "sign")
    assert code == 0
    assert out.startswith("tree head of 3 entries")
    code, out = run("audit", "verify")
    assert (code, "1 signed tree heads hold; the newest covers 3 entries" in out) == (0, True)
    code, out = run("audit", "key")
    key = out.splitlines()[0].rsplit(" ", 1)[1]
    services = open_services(Settings.from_env())
    bundle = json.dumps(audit_proof(services, OPERATOR, PATIENT))
    services.close()
    proof = env / "proof.json"
    proof.write_text(bundle)
    code, out = run("audit", "check-proof", str(proof), "--public-key", key)
    assert (code, out.startswith("proof verified: the 1 audit log entries")) == (0, True)
    signature = json.loads(bundle)["tree_head"]["signature"]
    bent = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    proof.write_text(bundle.replace(signature, bent))
    assert run("audit", "check-proof", str(proof), "--public-key", key)[0] == 65
    assert "signature does not verify" in capsys.readouterr().err
    # Finding 5: cut the log after the first entry and rewrite its head to match.
    with sqlite3.connect(env / "phr-share.db") as connection:
        connection.execute("DELETE FROM audit_entries WHERE seq > 1")
        connection.execute(
            "UPDATE audit_head SET seq = 1, hash = (SELECT hash FROM audit_entries WHERE seq = 1)"
        )
        connection.execute("DELETE FROM audit_tree_heads")
    code, out = run("audit", "verify")
    assert code == 65
    assert out.startswith("audit log broken at entry 2: removed, though the signed tree head")


def test_reads_are_decided_for_the_account_and_visible_to_the_patient(
    env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    added = as_user(
        monkeypatch, "user", "add", "dr.kim", "--role", "doctor", "--email", "Kim@Demo.PHR.invalid"
    )
    assert added[0] == 0
    with sqlite3.connect(env / "phr-share.db") as connection:
        row = connection.execute("SELECT email FROM users WHERE username = 'dr.kim'").fetchone()
    assert row == ("kim@demo.phr.invalid",)
    code, out = run("ingest", str(DEMO_CCD), "--patient", str(PATIENT), "--json")
    assert code == 0
    tracking = json.loads(out)[0]["segments"][1]["tracking_id"]
    # A doctor gets tokens, and signs in here, only with a second factor.
    assert as_user(monkeypatch, "user", "token", "--name", "laptop", "--as", "dr.kim")[0] == 77
    assert "second factor" in capsys.readouterr().err
    kim = set_up_mfa("dr.kim")
    code, token = as_user(
        monkeypatch, "user", "token", "--name", "laptop", "--as", "dr.kim", code=kim[0]
    )
    assert code == 0
    token_file = env / "token"
    token_file.write_text(token)
    code, out = run("get", tracking, "--token-file", str(token_file))
    assert (code, out) == (77, "")
    assert "access denied: no-grant" in capsys.readouterr().err
    code, _ = as_user(monkeypatch, "get", tracking, "--as", "nobody")
    assert code == 77
    code, out = run("audit", "access", "--patient", str(PATIENT))
    assert code == 0
    assert "denied" in out
    assert "no-grant" in out
    code, out = run("audit", "fhir", "--patient", str(PATIENT))
    assert code == 0
    assert json.loads(out)["resourceType"] == "Bundle"
    # The doctor forgot the password: the operator sets a new one.
    monkeypatch.setattr("sys.stdin", io.StringIO("a brand new passphrase\n"))
    code, out = run("user", "password", "dr.kim")
    assert (code, out) == (0, "password of dr.kim set; 0 browser session(s) signed out\n")
    assert as_user(monkeypatch, "user", "token", "--name", "x", "--as", "dr.kim")[0] == 77
    monkeypatch.setattr("sys.stdin", io.StringIO(f"a brand new passphrase\n{kim[0]}\n"))
    assert run("user", "token", "--name", "x", "--as", "dr.kim")[0] == 77  # a used code
    monkeypatch.setattr("sys.stdin", io.StringIO(f"a brand new passphrase\n{kim[1]}\n"))
    assert run("user", "token", "--name", "x", "--as", "dr.kim")[0] == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert run("user", "password", "dr.kim")[0] != 0
    # An admin switches the doctor off: the token that worked above is refused now.
    assert as_user(monkeypatch, "user", "add", "admin", "--role", "admin")[0] == 0
    assert as_user(monkeypatch, "user", "disable", "dr.kim", "--as", "admin")[0] == 77
    admin = set_up_mfa("admin")
    assert as_user(monkeypatch, "user", "disable", "admin", "--as", "dr.kim", code="1")[0] == 77
    # The doctor lost the phone: the operator removes the second factor.
    code, out = run("user", "mfa-reset", "dr.kim")
    assert (code, out) == (
        0,
        "second factor of dr.kim removed; 0 browser session(s) signed out; "
        "it sets up a new one at its next sign-in\n",
    )
    monkeypatch.setattr("sys.stdin", io.StringIO("a brand new passphrase\n"))
    assert run("get", tracking, "--as", "dr.kim")[0] == 77  # until it sets one up
    assert "second factor" in capsys.readouterr().err
    code, out = as_user(monkeypatch, "user", "disable", "dr.kim", "--as", "admin", code=admin[0])
    assert code == 0
    assert "dr.kim disabled" in out
    code, _ = run("get", tracking, "--token-file", str(token_file))
    assert code == 77
