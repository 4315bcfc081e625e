"""Signed tree heads of the audit log: signing them, writing them once outside the database,
reading them back, and signing on a schedule while the web app serves.

A head is signed from the frontier kept in the head row (no leaf is read), with the
Ed25519 key kept beside the master keys, and written as its own object to the private
store's operator container, PHR_AUDIT_CONTAINER (and, with PHR_AUDIT_HEADS_PUBLIC, to the
research bucket's ``audit-heads/`` prefix). An object of that name is never replaced. The
database keeps a copy of each head for convenience; nothing that verifies it trusts that.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from phr_share.audit import SignedTreeHead, TreeHead, frontier_root, key_id
from phr_share.audit.heads import HEAD_FORMAT
from phr_share.consent import Principal, PrincipalId, Role
from phr_share.crypto import verify_signature
from phr_share.db import AuditHead, AuditTreeHead, RowConflict
from phr_share.db.queries import audit as audit_rows
from phr_share.errors import IntegrityError, ObjectNotFound, PhrShareError
from phr_share.public_layout import AUDIT_HEADS
from phr_share.sharing.guard import STEWARDS, require_role, require_steward
from phr_share.sharing.services import Services
from phr_share.storage import BlobStore

__all__ = [
    "SIGNER",
    "HeadInfo",
    "HeadSigner",
    "SigningKeyInfo",
    "audit_key",
    "current_head",
    "frontier_of",
    "recorded_sizes",
    "sign_tree_head",
    "stored_heads",
]

log = logging.getLogger("phr_share.audit")

# Who signs on a schedule while the web app serves.
SIGNER = Principal(PrincipalId("system:audit"), Role.SYSTEM)
_MAX_HEAD_BYTES = 4096


@dataclass(frozen=True, slots=True)
class HeadInfo:
    """A signed tree head as pages and the API show it."""

    size: int
    root: str
    at: datetime
    key_id: str
    object_name: str

    @classmethod
    def of(cls, signed: SignedTreeHead) -> HeadInfo:
        """The view of a signed head."""
        head = signed.head
        return cls(head.size, head.root.hex(), head.at, signed.key_id, signed.object_name)


@dataclass(frozen=True, slots=True)
class SigningKeyInfo:
    """The audit log's public key (base64 of its 32 raw bytes), its fingerprint (the key id
    heads name it by) and the newest head the database recorded."""

    public_key: str
    fingerprint: str
    latest: HeadInfo | None


def frontier_of(head: AuditHead | None) -> list[bytes]:
    """The frontier a head row keeps (none for an empty log)."""
    if head is None or not head.frontier:
        return []
    raw = bytes.fromhex(head.frontier)
    return [raw[i : i + 32] for i in range(0, len(raw), 32)]


def audit_key(svc: Services, principal: Principal) -> SigningKeyInfo:
    """The signing key's public half and the latest recorded head; AccessDenied unless an
    admin or the operator asks."""
    require_steward(principal)
    public = svc.signing_key().public_key
    latest = _latest_recorded(svc)
    return SigningKeyInfo(
        base64.b64encode(public).decode("ascii"),
        key_id(public),
        None if latest is None else HeadInfo.of(latest),
    )


def sign_tree_head(svc: Services, principal: Principal) -> HeadInfo | None:
    """Sign a head over every entry if entries were added since the last one (else the
    last one); None for an empty log. AccessDenied unless an admin, the operator or the scheduled
    signer asks; IntegrityError if the log is shorter than its last head; store errors."""
    require_role(principal, *STEWARDS, Role.SYSTEM)
    signed = current_head(svc)
    return None if signed is None else HeadInfo.of(signed)


def current_head(svc: Services) -> SignedTreeHead | None:
    """A signed head covering every entry there is now, signed and stored if need be."""
    with svc.db.session() as session:
        head = audit_rows.head(session)
        size, frontier = (0, []) if head is None else (head.seq, frontier_of(head))
    latest = _latest_recorded(svc)
    if latest is not None and latest.head.size >= size:
        if latest.head.size > size:
            raise IntegrityError(
                "the audit log is shorter than its last signed tree head: "
                "run `phr-share audit verify`"
            )
        return latest
    if size == 0:
        return None
    if len(frontier) != size.bit_count():
        raise IntegrityError("the audit tree's frontier does not fit the log's length")
    key = svc.signing_key()
    tree_head = TreeHead(size, frontier_root(frontier), TreeHead.timestamp_of(svc.clock()))
    signed = SignedTreeHead(tree_head, key_id(key.public_key), key.sign(tree_head.signed_bytes()))
    signed = _write(svc, signed)
    _record(svc, signed)
    return signed


def _places(svc: Services) -> list[tuple[str, BlobStore, str]]:
    """Where heads are kept: the private store, and the research bucket when configured."""
    places = [("private store", svc.private, svc.settings.audit_container)]
    if svc.settings.audit_heads_public:
        places.append(("research bucket", svc.public, svc.settings.s3_bucket))
    return places


def _write(svc: Services, signed: SignedTreeHead) -> SignedTreeHead:
    """Write the head once to each place; where one of that name exists, that one stands."""
    data = json.dumps(signed.to_json(), sort_keys=True).encode("ascii")
    metadata = {"format": HEAD_FORMAT, "tree-size": str(signed.head.size)}
    kept = signed
    for index, (_, store, container) in enumerate(_places(svc)):
        store.ensure_container(container)
        if not store.put_once(container, signed.object_name, data, metadata) and index == 0:
            # Signed meanwhile by another process: the private store's copy is the head.
            existing = json.loads(store.get(container, signed.object_name).data)
            kept = SignedTreeHead.from_json(existing)
            data = json.dumps(kept.to_json(), sort_keys=True).encode("ascii")
    return kept


def _record(svc: Services, signed: SignedTreeHead) -> None:
    """Copy the head into the database (for pages and the next signing); once per size."""
    row = AuditTreeHead(
        size=signed.head.size,
        root=signed.head.root.hex(),
        timestamp=signed.head.timestamp,
        key_id=signed.key_id,
        signature=base64.b64encode(signed.signature).decode("ascii"),
        object_name=signed.object_name,
    )
    try:
        with svc.db.session() as session:
            session.add(row)
    except RowConflict:
        pass  # recorded meanwhile by another process: the same object


def _latest_recorded(svc: Services) -> SignedTreeHead | None:
    with svc.db.session() as session:
        row = audit_rows.latest_tree_head(session)
    if row is None:
        return None
    head = TreeHead(row.size, bytes.fromhex(row.root), row.timestamp)
    return SignedTreeHead(head, row.key_id, base64.b64decode(row.signature))


def recorded_sizes(svc: Services) -> list[int]:
    """The sizes of the heads the database says were signed."""
    with svc.db.session() as session:
        return audit_rows.tree_head_sizes(session)


def stored_heads(svc: Services) -> tuple[list[SignedTreeHead], list[str]]:
    """Every head object in every place whose signature holds, smallest first, and what is
    wrong with each of the others (ObjectNotFound never: a listed object that vanished is
    a fault too)."""
    public = svc.signing_key().public_key
    heads: dict[tuple[int, bytes], SignedTreeHead] = {}
    faults: list[str] = []
    for where, store, container in _places(svc):
        for name in store.list(container, AUDIT_HEADS):
            try:
                signed = _read_head(store, container, name, public)
            except ValueError as error:
                faults.append(f"{where} {name}: {error}")
                continue
            known = heads.get((signed.head.size, signed.head.root))
            if known is None or signed.head.timestamp < known.head.timestamp:
                heads[(signed.head.size, signed.head.root)] = signed
    return sorted(heads.values(), key=lambda s: (s.head.size, s.head.timestamp)), faults


def _read_head(store: BlobStore, container: str, name: str, public: bytes) -> SignedTreeHead:
    """One head object, checked; ValueError saying what is wrong with it."""
    try:
        data = store.get(container, name).data
    except ObjectNotFound:
        raise ValueError("listed, but gone when read") from None
    if len(data) > _MAX_HEAD_BYTES:
        raise ValueError("too large to be a tree head")
    try:
        signed = SignedTreeHead.from_json(json.loads(data))
    except (ValueError, UnicodeDecodeError) as error:
        raise ValueError(f"not a signed tree head ({error})") from None
    if signed.key_id != key_id(public):
        raise ValueError("signed by another key than the log's")
    if not verify_signature(public, signed.head.signed_bytes(), signed.signature):
        raise ValueError("its signature does not verify")
    if name != signed.object_name:
        raise ValueError("its name does not match its size and root")
    return signed


@dataclass
class HeadSigner:
    """Signs a head at most every ``interval`` while entries keep coming (0: never), in a
    daemon thread between ``start`` and ``stop``; :meth:`tick` is one round, for tests."""

    svc: Services
    interval: timedelta
    clock: Callable[[], datetime] | None = None
    _next: datetime | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def tick(self) -> HeadInfo | None:
        """Sign if the interval has passed since the last round that did; errors are logged."""
        now = (self.clock or self.svc.clock)()
        if not self.interval or (self._next is not None and now < self._next):
            return None
        self._next = now + self.interval
        try:
            return sign_tree_head(self.svc, SIGNER)
        except PhrShareError as error:
            log.warning("signing an audit tree head failed (%s); retried next round", error.code)
            return None

    def start(self) -> None:
        """Start the thread (nothing when the interval is 0)."""
        if not self.interval or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="phr-audit-heads", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        seconds = min(self.interval.total_seconds(), 60.0)
        while not self._stop.wait(seconds):
            self.tick()

    def stop(self) -> None:
        """Stop the thread and wait for a round in progress."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
