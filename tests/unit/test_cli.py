"""The phr-share command: output, files, exit codes, help."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from phr_share.cli import main
from phr_share.sharing import OPERATOR, Services, audit_key, audit_proof, ingest_document
from tests.conftest import DATA, DEMO_CCD, PATIENT
from tests.unit.sharing.conftest import services  # noqa: F401  (the fixture)


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), stdout=out)
    return code, out.getvalue()


def test_split_prints_a_table_of_segments() -> None:
    code, out = run("split", str(DEMO_CCD), "--patient", str(PATIENT))
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == f"patient {PATIENT}: 12 sections, 13 segments"
    assert lines[1].split() == ["KIND", "TITLE", "LOINC", "BYTES", "TRACKING", "ID"]
    assert lines[2].startswith("personal")
    assert any(line.startswith("physical-signs") and "8716-3" in line for line in lines)


def test_split_json_is_machine_readable() -> None:
    code, out = run("split", str(DEMO_CCD), "--patient", str(PATIENT), "--json")
    report = json.loads(out)
    assert code == 0
    assert report["patient_id"] == str(PATIENT)
    assert report["sections"] == 12
    assert [s["kind"] for s in report["segments"]][:2] == ["personal", "health-status"]
    assert report["segments"][4]["loinc"] == "8716-3"


def test_split_out_then_rebuild_round_trips(tmp_path: Path) -> None:
    segments = tmp_path / "segments"
    assert run("split", str(DEMO_CCD), "--patient", str(PATIENT), "--out", str(segments))[0] == 0
    files = sorted(p.name for p in segments.iterdir())
    assert len(files) == 13
    assert files[0].startswith("000-personal-")
    document = tmp_path / "rebuilt.xml"
    assert run("rebuild", str(segments), "--out", str(document))[0] == 0
    _, out = run("split", str(document), "--patient", str(PATIENT), "--json")
    assert json.loads(out)["sections"] == 12


def test_rebuild_with_chosen_kinds_masks_the_patient(tmp_path: Path) -> None:
    run("split", str(DEMO_CCD), "--patient", str(PATIENT), "--out", str(tmp_path))
    code, out = run("rebuild", str(tmp_path), "--kinds", "physical-signs")
    assert code == 0
    assert "Vital Signs" in out
    assert "Medications" not in out
    assert "Jordan" not in out


def test_readings_make_a_document_the_splitter_reads(tmp_path: Path) -> None:
    target = tmp_path / "readings.xml"
    code, _ = run(
        "readings",
        "--patient",
        str(PATIENT),
        "--systolic",
        "130",
        "--diastolic",
        "85",
        "--weight",
        "82",
        "--family",
        "father: stroke",
        "--out",
        str(target),
    )
    assert code == 0
    code, out = run("split", str(target), "--patient", str(PATIENT), "--json")
    kinds = [s["kind"] for s in json.loads(out)["segments"]]
    assert kinds == ["personal", "physical-signs", "body-measures", "family-history"]


@pytest.mark.parametrize(
    ("argv", "exit_code", "says"),
    [
        (["split", str(DATA / "hostile" / "billion-laughs.xml")], 65, "not accepted"),
        (["split", str(DATA / "hostile" / "truncated.xml")], 65, "line 6"),
        (["split", "/nonexistent/file.xml"], 66, "cannot read"),
        (["rebuild", "/nonexistent"], 66, "no segment files"),
        (["readings", "--patient", str(PATIENT), "--pain", "12"], 65, "pain: must be"),
    ],
)
def test_errors_map_to_exit_codes(
    argv: list[str], exit_code: int, says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(*argv)[0] == exit_code
    assert says in capsys.readouterr().err


def test_a_bad_setting_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PHR_MAX_DOCUMENT_BYTES", "lots")
    assert run("split", str(DEMO_CCD))[0] == 78


def test_unknown_kinds_are_a_usage_error() -> None:
    with pytest.raises(SystemExit) as caught:
        run("rebuild", ".", "--kinds", "gossip")
    assert caught.value.code == 2


@pytest.mark.parametrize(
    "command", [[], ["split"], ["rebuild"], ["readings"], ["deidentify"], ["series", "rebuild"]]
)
def test_every_command_has_help(command: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "phr_share.cli", *command, "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0
    assert "usage: phr-share" in done.stdout


def test_deidentify_prints_released_segments_and_what_was_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PHR_STATE_DIR", str(tmp_path / "state"))
    code, out = run("deidentify", str(DEMO_CCD), "--patient", str(PATIENT))
    assert code == 0
    assert out.count("<section") == 12  # every section but the header
    for identifying in ("Jordan", "Sample", "MRN-998877", "19580412", "Juniper", "Okafor"):
        assert identifying not in out
    assert out.splitlines()[-1].startswith("removed in all: dates ")
    secret = tmp_path / "state" / "deid.secret"
    assert secret.stat().st_mode & 0o777 == 0o600


def test_deidentify_jsonl_gives_stable_pseudonymous_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PHR_DEID_SECRET", "ab" * 32)
    monkeypatch.setenv("PHR_STATE_DIR", str(tmp_path))
    argv = (
        "deidentify",
        str(DEMO_CCD),
        "--patient",
        str(PATIENT),
        "--jsonl",
        "--kinds",
        "physical-signs",
    )
    first, again = run(*argv), run(*argv)
    assert first == again
    rows = [json.loads(line) for line in first[1].splitlines()]
    assert {r["kind"] for r in rows} == {"physical-signs"}
    assert {r["pseudonym"] for r in rows} == {rows[0]["pseudonym"]}
    assert {r["loinc"] for r in rows} >= {"8480-6", "8462-4", "8867-4", "29463-7"}
    assert not list(tmp_path.iterdir())  # a configured secret needs no local file


def test_deidentify_can_shift_dates(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PHR_DEID_SECRET", "cd" * 32)
    _, out = run(
        "deidentify", str(DEMO_CCD), "--patient", str(PATIENT), "--jsonl", "--dates", "shift"
    )
    rows = [json.loads(line) for line in out.splitlines()]
    dated = {r["date"] for r in rows if r["year"]}
    assert None not in dated
    assert "2026-03-10" not in dated  # the vital signs' true day
    assert len(dated) >= 4


def test_store_commands_without_a_store_say_how_to_get_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PHR_STATE_DIR", str(tmp_path))
    code, _ = run("ingest", str(DEMO_CCD), "--patient", str(PATIENT))
    assert code == 78
    assert "phr-share stack up" in capsys.readouterr().err


def test_ingest_refuses_a_document_with_too_many_sections_before_any_store_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PHR_STATE_DIR", str(tmp_path))
    # Nothing listens there: a refused document never reaches a store.
    monkeypatch.setenv("PHR_SWIFT_AUTH_URL", "http://127.0.0.1:9/auth/v1.0")
    monkeypatch.setenv("PHR_SWIFT_USER", "phr:phr")
    monkeypatch.setenv("PHR_SWIFT_KEY", "unused")
    monkeypatch.setenv("PHR_S3_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("PHR_MAX_SECTIONS", "5")
    code, out = run("ingest", str(DEMO_CCD), "--patient", str(PATIENT))
    assert code == 65
    assert out == f"{DEMO_CCD}: refused: the document has 12 sections; at most 5 are accepted\n"


def test_erase_needs_confirmation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PHR_STATE_DIR", str(tmp_path))
    code, _ = run("erase", "--patient", str(PATIENT))
    assert code == 2
    assert not (tmp_path / "phr-share.db").exists()


def test_check_proof_verifies_offline_and_names_what_failed(
    services: Services,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ingest_document(services, OPERATOR, DEMO_CCD.read_bytes(), PATIENT)
    bundle = audit_proof(services, OPERATOR, PATIENT)
    key = audit_key(services, OPERATOR).public_key
    proof = tmp_path / "proof.json"
    proof.write_text(json.dumps(bundle))
    key_file = tmp_path / "audit.pub"
    key_file.write_text(key + "\n")
    code, out = run("audit", "check-proof", str(proof), "--public-key", key)
    assert code == 0
    assert out.startswith(f"proof verified: the 1 audit log entries about patient {PATIENT}")
    assert run("audit", "check-proof", str(proof), "--public-key", str(key_file))[0] == 0
    entry = json.dumps(bundle["entries"][0]["entry"])[1:-1]
    proof.write_text(json.dumps(bundle).replace(entry, entry.replace("ingest", "ingesT")))
    assert run("audit", "check-proof", str(proof), "--public-key", key)[0] == 65
    assert "entry 1 (seq 1): its audit path does not lead" in capsys.readouterr().err
    assert run("audit", "check-proof", str(proof))[0] == 2
    assert run("audit", "check-proof", str(tmp_path / "none"), "--public-key", key)[0] == 66
