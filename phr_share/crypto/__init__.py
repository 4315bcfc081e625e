"""Envelope encryption and signatures: the only code that touches ``cryptography``.

Safe recipes on top (:func:`seal`, :func:`open_sealed`, the key stores, Ed25519 signing),
primitives below. Each segment has its own AES-256-GCM data key, wrapped by a per-patient
key, which is wrapped by a versioned master key from a :class:`KeyStore` (local files or
KMS). Every decryption failure is the same opaque :class:`~phr_share.errors.IntegrityError`;
wrong key or nonce sizes are ValueError, raised before anything is encrypted. The byte
layout of a sealed object is documented in :mod:`phr_share.crypto.envelope`; the audit
log's signing key, wrapped like a patient key, in :mod:`phr_share.crypto.signing`; small
secrets at rest (an account's second-factor seed) use :mod:`phr_share.crypto.secretbox`.
Passwords, API tokens and recovery codes are hashed (standard library only, no
``cryptography``) in :mod:`phr_share.crypto.credentials`.
"""

from phr_share.crypto.credentials import (
    DEFAULT_COST,
    RECOVERY_CODES,
    ScryptCost,
    check_password,
    hash_password,
    keyed_digest,
    mint_recovery_codes,
    mint_token,
    recovery_code_form,
    token_digest,
)
from phr_share.crypto.envelope import (
    ALGORITHM,
    FORMAT_VERSION,
    Binding,
    SealedHeader,
    new_key,
    open_sealed,
    peek_header,
    peek_key_id,
    seal,
)
from phr_share.crypto.keystore import (
    KeyStore,
    LocalKeyStore,
    WrappedKey,
    unwrap_patient_key,
    wrap_patient_key,
)
from phr_share.crypto.kms import KmsKeyStore, make_kms_client
from phr_share.crypto.secretbox import derive_key, open_secret, seal_secret
from phr_share.crypto.signing import (
    SIGNING_KEY_FILE,
    SigningKey,
    load_or_create_signing_key,
    parse_public_key,
    rewrap_signing_key,
    signing_key_from_seed,
    verify_signature,
)
from phr_share.settings import Settings

__all__ = [
    "ALGORITHM",
    "DEFAULT_COST",
    "FORMAT_VERSION",
    "RECOVERY_CODES",
    "SIGNING_KEY_FILE",
    "Binding",
    "KeyStore",
    "KmsKeyStore",
    "LocalKeyStore",
    "ScryptCost",
    "SealedHeader",
    "SigningKey",
    "WrappedKey",
    "check_password",
    "derive_key",
    "hash_password",
    "keyed_digest",
    "load_or_create_signing_key",
    "make_kms_client",
    "mint_recovery_codes",
    "mint_token",
    "new_key",
    "open_keystore",
    "open_sealed",
    "open_secret",
    "parse_public_key",
    "peek_header",
    "peek_key_id",
    "recovery_code_form",
    "rewrap_signing_key",
    "seal",
    "seal_secret",
    "signing_key_from_seed",
    "token_digest",
    "unwrap_patient_key",
    "verify_signature",
    "wrap_patient_key",
]


def open_keystore(settings: Settings) -> KeyStore:
    """The key store the settings name (local key files or KMS); ConfigurationError."""
    if settings.keystore == "kms":
        client = make_kms_client(
            settings.kms_endpoint_url or None,
            settings.s3_region,
            settings.s3_access_key_id or None,
            settings.s3_secret_access_key or None,
        )
        return KmsKeyStore(client, settings.kms_key_alias)
    return LocalKeyStore(settings.master_key_dir)
