"""The visit report made end to end against the local stack through the real CLI entry,
then read back with pdftotext (Debian's poppler-utils): what a printed page says."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from phr_share.models import SegmentKind
from phr_share.settings import Settings
from phr_share.sharing import (
    OPERATOR,
    accept_care,
    find_account,
    grant_access,
    invite_clinician,
    open_services,
)
from tests.conftest import DEMO_CCD, PATIENT
from tests.integration.test_cli_store import (  # noqa: F401  (the fixture)
    as_user,
    env,
    run,
    set_up_mfa,
)

pytestmark = pytest.mark.skipif(
    not shutil.which("pdftotext"), reason="poppler-utils is not installed (make test installs it)"
)


def _text(path: Path) -> str:
    done = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True)
    return " ".join(done.stdout.decode().split())


def _readings_and_a_doctor() -> None:
    """Jordan's clinic record and a visit's blood pressure, and Dr Kim in her care with a
    grant of vital signs only."""
    svc = open_services(Settings.from_env())
    try:
        jordan = find_account(svc, OPERATOR, username="jordan")
        kim = find_account(svc, OPERATOR, username="dr.kim")
        accept_care(svc, kim.principal, invite_clinician(svc, jordan.principal, kim.id))
        grant_access(svc, jordan.principal, kim.id, {SegmentKind.PHYSICAL_SIGNS})
    finally:
        svc.close()


def test_the_report_command_writes_a_pdf_that_reads_back(
    env: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    for name, role in [("jordan", "patient"), ("dr.kim", "doctor")]:
        extra = ["--patient", str(PATIENT)] if role == "patient" else []
        code, _ = as_user(monkeypatch, "user", "add", name, "--role", role, *extra)
        assert code == 0
    assert run("ingest", str(DEMO_CCD), "--patient", str(PATIENT))[0] == 0
    _readings_and_a_doctor()
    mine = tmp_path / "mine.pdf"
    code, out = as_user(
        monkeypatch, "report", "--patient", str(PATIENT), "--days", "3650", "--as", "jordan",
        "--out", str(mine),
    )  # fmt: skip
    assert code == 0, out
    assert "written to" in out
    text = _text(mine)
    assert "Clinic-visit report" in text
    assert "Date of birth: 12 Apr 1958" in text
    assert "Lisinopril 10 mg tablet, once daily" in text
    assert "Penicillin" in text  # the allergies
    assert "hypertension" in text  # the problems
    assert "This report holds only" not in text  # the patient's own: nothing left out
    # The doctor, with a second factor, through an API token (the other way to sign in).
    kim = set_up_mfa("dr.kim")
    code, token = as_user(
        monkeypatch, "user", "token", "--name", "cli", "--as", "dr.kim", code=kim[0]
    )
    assert code == 0
    token_file = tmp_path / "token"
    token_file.write_text(token)
    theirs = tmp_path / "theirs.pdf"
    code, out = run(
        "report", "--patient", str(PATIENT), "--token-file", str(token_file), "--out", str(theirs)
    )
    assert code == 0, out
    text = _text(theirs)
    assert "This report holds only what jordan shares with you: blood pressure" in text
    assert "Not included: weight (body measures); medications, allergies and problems" in text
    assert "Lisinopril" not in text
    assert "Date of birth: not shared" in text
    code, _ = as_user(
        monkeypatch, "report", "--patient", str(PATIENT), "--days", "0", "--as", "jordan",
        "--out", str(tmp_path / "none.pdf"),
    )  # fmt: skip
    assert code == 2
