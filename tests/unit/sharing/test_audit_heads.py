"""Signed tree heads (written once, outside the database, on demand and on a schedule) and
the proof bundle a patient downloads and checks offline."""

from __future__ import annotations

import base64
import json
import stat
import uuid
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import delete, update

from phr_share.audit import SignedTreeHead, leaf_hash, verify_inclusion
from phr_share.consent import Principal, Role
from phr_share.crypto import SIGNING_KEY_FILE
from phr_share.db import AuditEntry, AuditHead, AuditTreeHead
from phr_share.errors import AccessDenied, IntegrityError, NotFound, ProofRejected
from phr_share.models import SegmentKind
from phr_share.settings import Settings
from phr_share.sharing import (
    OPERATOR,
    HeadSigner,
    Services,
    audit_entries,
    audit_key,
    audit_proof,
    check_proof,
    choose_release,
    ingest_document,
    rotate_master,
    sign_tree_head,
)
from phr_share.sharing.tree_heads import SIGNER
from tests.conftest import PATIENT

CONTAINER = Settings().audit_container  # where the fixture's heads go
ME = Principal(f"user:{PATIENT}", Role.PATIENT, PATIENT)


def _log(svc: Services, demo_ccd: bytes) -> None:
    choose_release(svc, OPERATOR, PATIENT, {SegmentKind.LIFESTYLE})
    ingest_document(svc, OPERATOR, demo_ccd, PATIENT)
    rotate_master(svc, OPERATOR)  # an entry about no patient


def test_a_head_is_signed_once_per_size_and_never_overwritten(
    services: Services, demo_ccd: bytes
) -> None:
    assert sign_tree_head(services, OPERATOR) is None  # an empty log: nothing to sign
    _log(services, demo_ccd)
    head = sign_tree_head(services, OPERATOR)
    assert head is not None
    assert head.size == 3
    stored = services.private.get(CONTAINER, head.object_name)
    signed = SignedTreeHead.from_json(json.loads(stored.data))
    assert (signed.head.size, signed.head.root.hex(), signed.key_id) == (3, head.root, head.key_id)
    assert stored.metadata == {"format": "phr-share-tree-head/1", "tree-size": "3"}
    services.clock = lambda: head.at + timedelta(hours=1)
    assert sign_tree_head(services, OPERATOR) == head  # nothing new: the same head
    assert services.private.list(CONTAINER) == [head.object_name]
    assert services.public.list(services.settings.s3_bucket) == []  # not asked to copy


def test_a_head_name_taken_by_another_signer_stands(services: Services, demo_ccd: bytes) -> None:
    # One process wrote the head and stopped before recording it; the next one signing the
    # same tree finds the name taken, leaves that object alone and records it instead.
    _log(services, demo_ccd)
    first = sign_tree_head(services, OPERATOR)
    assert first is not None
    written = services.private.get(CONTAINER, first.object_name).data
    with services.db.session() as session:
        session.execute(delete(AuditTreeHead))
    services.clock = lambda: first.at + timedelta(hours=1)
    again = sign_tree_head(services, OPERATOR)
    assert again == first
    assert services.private.get(CONTAINER, first.object_name).data == written
    assert audit_key(services, OPERATOR).latest == first


def test_a_log_shorter_than_its_last_head_is_not_signed_again(
    services: Services, demo_ccd: bytes
) -> None:
    _log(services, demo_ccd)
    sign_tree_head(services, OPERATOR)
    with services.db.session() as session:
        session.execute(update(AuditHead).values(seq=1))
    with pytest.raises(IntegrityError, match="shorter than its last signed tree head"):
        sign_tree_head(services, OPERATOR)


def test_only_an_admin_or_the_scheduled_signer_signs(services: Services, demo_ccd: bytes) -> None:
    _log(services, demo_ccd)
    with pytest.raises(AccessDenied):
        sign_tree_head(services, ME)
    with pytest.raises(AccessDenied):
        audit_key(services, SIGNER)  # the key page is for admins
    assert sign_tree_head(services, SIGNER) is not None


def test_the_signing_key_lives_beside_the_master_keys_wrapped(
    services: Services, demo_ccd: bytes
) -> None:
    _log(services, demo_ccd)
    info = audit_key(services, OPERATOR)
    assert info.latest is None
    path = services.settings.master_key_dir / SIGNING_KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    stored = json.loads(path.read_text())
    public = base64.b64decode(info.public_key)
    seed = services.signing_key().seed
    assert seed.hex() not in path.read_text()
    assert base64.b64encode(seed).decode() not in str(stored)
    assert len(public) == 32
    assert len(info.fingerprint) == 64
    rotate_master(services, OPERATOR)  # re-wrapped under the new master key, the same key pair
    assert json.loads(path.read_text())["master_version"] != stored["master_version"]
    fresh = replace(services, _signing=None)
    assert fresh.signing_key().public_key == public
    sign_tree_head(services, OPERATOR)
    latest = audit_key(services, OPERATOR).latest
    assert latest is not None
    assert latest.key_id == info.fingerprint


def test_the_scheduled_signer_signs_at_most_once_an_interval(
    services: Services, demo_ccd: bytes
) -> None:
    now = [services.clock()]
    signer = HeadSigner(services, timedelta(minutes=5), clock=lambda: now[0])
    assert signer.tick() is None  # an empty log
    _log(services, demo_ccd)
    assert signer.tick() is None  # the first round was less than five minutes ago
    now[0] += timedelta(minutes=5)
    first = signer.tick()
    assert first is not None
    assert first.size == 3
    ingest_document(services, OPERATOR, demo_ccd.replace(b"Jordan", b"Jordann"), PATIENT)
    now[0] += timedelta(minutes=4)
    assert signer.tick() is None
    now[0] += timedelta(minutes=1)
    second = signer.tick()
    assert second is not None
    assert second.size > first.size
    assert HeadSigner(services, timedelta(0)).tick() is None  # 0: switched off


def test_a_failing_store_is_retried_next_round(services: Services, demo_ccd: bytes) -> None:
    _log(services, demo_ccd)
    now = [services.clock()]
    signer = HeadSigner(services, timedelta(minutes=5), clock=lambda: now[0])
    services.private.fail_after(0)  # type: ignore[attr-defined]
    assert signer.tick() is None
    services.private.fail_after(None)  # type: ignore[attr-defined]
    now[0] += timedelta(minutes=5)
    assert signer.tick() is not None


def test_a_patient_proof_covers_every_entry_about_them_and_checks_offline(
    services: Services, demo_ccd: bytes
) -> None:
    _log(services, demo_ccd)
    bundle = audit_proof(services, ME, PATIENT)  # signs a head covering every entry
    mine = list(audit_entries(services, OPERATOR, PATIENT))
    assert [item["index"] for item in bundle["entries"]] == [e.seq - 1 for e in mine]
    assert [item["entry"] for item in bundle["entries"]] == [e.canonical().decode() for e in mine]
    assert bundle["tree_head"]["size"] == 3
    key = audit_key(services, OPERATOR).public_key
    summary = check_proof(json.dumps(bundle).encode(), key)
    assert (summary.patient, summary.entries, summary.head.head.size) == (str(PATIENT), 2, 3)
    # The admin may fetch it too; and entries written since are covered by a fresh head.
    ingest_document(services, OPERATOR, demo_ccd.replace(b"Jordan", b"Jordann"), PATIENT)
    later = audit_proof(services, OPERATOR, PATIENT)
    assert later["tree_head"]["size"] == 4
    assert len(later["entries"]) == 3


def _tampered(bundle: dict[str, object], where: str) -> bytes:
    text = json.dumps(bundle)
    entry = bundle["entries"][0]  # type: ignore[index]
    target = {
        "entry": entry["entry"],
        "proof node": entry["audit_path"][0],
        "signature": bundle["tree_head"]["signature"],  # type: ignore[index]
    }[where]
    written = json.dumps(target)[1:-1]  # as it stands in the file (quotes escaped)
    assert text.count(written) == 1
    # One letter or digit of it changed, near its middle; nothing else in the file.
    at = next(i for i in range(len(written) // 2, len(written)) if written[i].isalnum())
    changed = written[:at] + ("1" if written[at] != "1" else "2") + written[at + 1 :]
    return text.replace(written, changed).encode()


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("entry", "audit path does not lead to the signed root"),
        ("proof node", "audit path does not lead to the signed root"),
        ("signature", "signature does not verify"),
    ],
)
def test_one_byte_changed_in_a_proof_fails_its_check(
    services: Services, demo_ccd: bytes, where: str, message: str
) -> None:
    _log(services, demo_ccd)
    bundle = audit_proof(services, ME, PATIENT)
    key = audit_key(services, OPERATOR).public_key
    with pytest.raises(ProofRejected, match=message):
        check_proof(_tampered(bundle, where), key)


def test_a_proof_checks_only_with_the_log_s_own_key(services: Services, demo_ccd: bytes) -> None:
    _log(services, demo_ccd)
    data = json.dumps(audit_proof(services, ME, PATIENT)).encode()
    other = base64.b64encode(bytes(32)).decode()
    with pytest.raises(ProofRejected, match="another key"):
        check_proof(data, other)
    with pytest.raises(ProofRejected, match="public key given"):
        check_proof(data, "not a key")
    with pytest.raises(ProofRejected, match="not JSON"):
        check_proof(b"\x00", audit_key(services, OPERATOR).public_key)


def test_a_proof_of_someone_else_s_entry_is_refused(services: Services, demo_ccd: bytes) -> None:
    _log(services, demo_ccd)
    bundle = audit_proof(services, ME, PATIENT)
    bundle["patient"] = "00000000-0000-4000-8000-000000000000"
    with pytest.raises(ProofRejected, match="not about this patient"):
        check_proof(json.dumps(bundle).encode(), audit_key(services, OPERATOR).public_key)


def test_only_the_patient_or_an_admin_gets_the_proof(services: Services, demo_ccd: bytes) -> None:
    with pytest.raises(NotFound):
        audit_proof(services, ME, PATIENT)  # an empty log
    _log(services, demo_ccd)
    other = Principal("user:other", Role.PATIENT, uuid.UUID(int=1))
    with pytest.raises(AccessDenied):
        audit_proof(services, other, PATIENT)
    with pytest.raises(AccessDenied):
        audit_proof(services, Principal("user:dr", Role.DOCTOR), PATIENT)


def test_a_proof_is_refused_when_the_log_does_not_match_its_head(
    services: Services, demo_ccd: bytes
) -> None:
    _log(services, demo_ccd)
    sign_tree_head(services, OPERATOR)
    with services.db.session() as session:
        session.execute(update(AuditEntry).where(AuditEntry.seq == 1).values(leaf_hash="00" * 32))
    with pytest.raises(IntegrityError, match="does not match its signed tree head"):
        audit_proof(services, ME, PATIENT)


def test_every_proof_in_a_bundle_verifies_by_the_rfc_alone(
    services: Services, demo_ccd: bytes
) -> None:
    _log(services, demo_ccd)
    bundle = audit_proof(services, ME, PATIENT)
    head = SignedTreeHead.from_json(bundle["tree_head"]).head
    for item in bundle["entries"]:
        path = [bytes.fromhex(p) for p in item["audit_path"]]
        leaf = leaf_hash(item["entry"].encode())
        assert verify_inclusion(leaf, item["index"], head.size, path, head.root)
