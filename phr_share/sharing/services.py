"""The things every use case needs, opened once from Settings and passed explicitly."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

from phr_share.crypto import (
    DEFAULT_COST,
    SIGNING_KEY_FILE,
    KeyStore,
    ScryptCost,
    SigningKey,
    load_or_create_signing_key,
    open_keystore,
)
from phr_share.db import Database
from phr_share.deid.policy import DateMode, DeidPolicy
from phr_share.keyfile import load_or_create_secret, private_dir
from phr_share.mail import Mailer, notice_message, parse_smtp_url
from phr_share.policy import RoutingPolicy, load_routing_policy
from phr_share.settings import Settings
from phr_share.sharing.metrics import NO_METRICS, Metrics
from phr_share.storage import BlobStore, open_private_store, open_public_store

__all__ = ["Services", "open_services", "prepare_state", "utc_now"]


def utc_now() -> datetime:
    """The current time, timezone-aware (the default clock)."""
    return datetime.now(UTC)


@dataclass(slots=True)
class Services:
    """Database, stores, key store and policies; time and randomness are seams for tests."""

    settings: Settings
    db: Database
    private: BlobStore
    public: BlobStore
    keystore: KeyStore
    routing: RoutingPolicy
    deid_secret: bytes
    clock: Callable[[], datetime] = utc_now
    randbytes: Callable[[int], bytes] = os.urandom
    password_cost: ScryptCost = DEFAULT_COST
    # What the use cases count (the web app's registry; elsewhere nothing).
    metrics: Metrics = NO_METRICS
    # Unwrapped patient keys, by (patient, key id): one key-store call per patient, not
    # per segment. Cleared for a patient the moment their keys are shredded.
    key_cache: dict[tuple[uuid.UUID, str], bytes] = field(default_factory=dict)
    key_lock: threading.Lock = field(default_factory=threading.Lock)
    # Threads for fetching objects, kept for the life of the services: starting threads
    # for every page of a busy web app costs more than the fetches they overlap.
    _readers: ThreadPoolExecutor | None = None
    # The audit log's signing key, unwrapped once (with KMS, one call per process).
    _signing: SigningKey | None = None
    # Seals second-factor secrets, keys recovery-code and throttle digests: read on first
    # use (PHR_MFA_SECRET, else $PHR_STATE_DIR/mfa.secret, made then).
    _mfa_secret: bytes | None = None
    # Sends mails in the background (PHR_SMTP_URL; none: no mail), made on first use.
    _mailer: Mailer | None = None

    def __post_init__(self) -> None:
        # Notices mail their readers once the transaction that made them is committed;
        # a copy made with dataclasses.replace leaves the mailing to the first.
        if self.db.committed is None:
            self.db.committed = self._committed

    def mailer(self) -> Mailer:
        """The mailer of notices and reset links (sends nothing without PHR_SMTP_URL)."""
        with self.key_lock:
            if self._mailer is None:
                url = self.settings.smtp_url
                self._mailer = Mailer(parse_smtp_url(url) if url else None)
            return self._mailer

    def mail_queued(self) -> int:
        """Mails posted and not yet sent or failed (none before the mailer is first used)."""
        with self.key_lock:
            mailer = self._mailer
        return 0 if mailer is None else mailer.queued

    def _committed(self, outbox: list[object]) -> None:
        """Mail each address a notice was left for (the notice says nothing itself)."""
        mailer = self.mailer()
        if mailer.enabled:
            sender, site = self.settings.mail_from, self.settings.site_url
            mailer.post(notice_message(sender, str(to), site) for to in dict.fromkeys(outbox))

    def readers(self) -> ThreadPoolExecutor:
        """The shared pool that fetches objects in parallel (made on first use)."""
        with self.key_lock:
            if self._readers is None:
                self._readers = ThreadPoolExecutor(self.settings.store_concurrency, "phr-read")
            return self._readers

    def signing_key(self) -> SigningKey:
        """The audit log's Ed25519 signing key, made on first use beside the master keys."""
        with self.key_lock:
            if self._signing is None:
                path = self.settings.master_key_dir / SIGNING_KEY_FILE
                self._signing = load_or_create_signing_key(
                    self.keystore, path, randbytes=self.randbytes
                )
            return self._signing

    def mfa_secret(self) -> bytes:
        """The root secret of sign-in secrets at rest; raises ConfigurationError."""
        with self.key_lock:
            if self._mfa_secret is None:
                self._mfa_secret = self.settings.mfa_secret or load_or_create_secret(
                    self.settings.state_dir / "mfa.secret"
                )
            return self._mfa_secret

    def deid_policy(self) -> DeidPolicy:
        """The de-identification policy as of today."""
        return DeidPolicy(self.deid_secret, self.clock().date(), DateMode(self.settings.deid_dates))

    def new_uuid(self) -> uuid.UUID:
        """A random (version 4) UUID drawn from the randomness seam."""
        return uuid.UUID(bytes=self.randbytes(16), version=4)

    def close(self) -> None:
        """Stop the reader threads and close the database connections."""
        with self.key_lock:
            readers, self._readers = self._readers, None
            mailer = self._mailer
        if readers is not None:
            readers.shutdown(wait=True)
        if mailer is not None:
            mailer.close()
        self.db.dispose()

    def forget_keys(self, patient_id: uuid.UUID) -> None:
        """Drop a patient's unwrapped keys from memory."""
        with self.key_lock:
            for cached in [k for k in self.key_cache if k[0] == patient_id]:
                del self.key_cache[cached]


def open_services(settings: Settings, *, migrate: bool = True) -> Services:
    """Open everything the use cases need; raises ConfigurationError or StoreUnavailable."""
    private_dir(settings.state_dir)
    db = Database(settings.database)
    if migrate:
        db.migrate()
    secret = settings.deid_secret or load_or_create_secret(settings.state_dir / "deid.secret")
    return Services(
        settings=settings,
        db=db,
        private=open_private_store(settings),
        public=open_public_store(settings),
        keystore=open_keystore(settings),
        routing=load_routing_policy(settings.routing_policy),
        deid_secret=secret,
    )


def prepare_state(settings: Settings) -> None:
    """Make, once, what processes serving side by side must all find: the state directory,
    the database schema and the secret files. Nothing stays open, so processes forked
    afterwards share no connection. Raises ConfigurationError or StoreUnavailable."""
    private_dir(settings.state_dir)
    db = Database(settings.database)
    try:
        db.migrate()
    finally:
        db.dispose()
    if settings.deid_secret is None:
        load_or_create_secret(settings.state_dir / "deid.secret")
    if settings.mfa_secret is None:
        load_or_create_secret(settings.state_dir / "mfa.secret")
