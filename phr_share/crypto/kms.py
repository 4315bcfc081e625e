"""AWS KMS as the master key store (production); moto's KMS stands in for it in tests.

Wrapping is ``Encrypt`` under the alias with the context as KMS encryption context, so
KMS itself refuses to unwrap a patient key under another patient's context. A version
is the ARN of the KMS key that encrypted. Rotation creates a new KMS key and points the
alias at it; old keys still decrypt what they wrapped until retired (scheduled for
deletion). The keys of one store are told apart from any other key in the account by
their description, which names the alias.

botocore errors are translated here: a KMS that cannot be reached is StoreUnavailable;
a ciphertext or context KMS refuses is IntegrityError; a retired key is
ConfigurationError naming the version; credentials or permissions refused are
ConfigurationError; anything else KMS refuses is StorageError.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    HTTPClientError,
    NoCredentialsError,
    NoRegionError,
    ParamValidationError,
    PartialCredentialsError,
)
from botocore.exceptions import ConnectionError as BotoConnectionError

from phr_share.crypto.envelope import check_key
from phr_share.crypto.keystore import WrappedKey, retired
from phr_share.errors import ConfigurationError, IntegrityError, StorageError, StoreUnavailable

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_kms.type_defs import KeyMetadataTypeDef

__all__ = ["KmsKeyStore", "make_kms_client"]

_MAX_CIPHERTEXT = 6144  # the KMS limit on a CiphertextBlob
_KEY_REF = re.compile(
    r"(arn:aws[a-z-]*:kms:[a-z0-9-]{1,32}:[0-9]{12}:key/)?"
    r"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})"
)
_INTEGRITY = frozenset({"InvalidCiphertextException", "IncorrectKeyException"})
_GONE = frozenset({"NotFoundException", "KMSInvalidStateException", "DisabledException"})
_UNAVAILABLE = frozenset(
    {
        "DependencyTimeoutException",
        "InternalFailure",
        "KMSInternalException",
        "KeyUnavailableException",
        "ServiceUnavailable",
        "ThrottlingException",
    }
)
_REFUSED = frozenset(
    {
        "AccessDeniedException",
        "ExpiredTokenException",
        "IncompleteSignature",
        "InvalidClientTokenId",
        "InvalidKeyUsageException",
        "InvalidSignatureException",
        "UnrecognizedClientException",
        *_GONE,
    }
)


def make_kms_client(
    endpoint_url: str | None,
    region: str,
    access_key_id: str | None,
    secret_access_key: str | None,
) -> KMSClient:
    """A KMS client with short timeouts and few retries, so a dead KMS fails fast."""
    config = Config(
        connect_timeout=3, read_timeout=10, retries={"max_attempts": 2, "mode": "standard"}
    )
    return boto3.session.Session().client(
        "kms",
        endpoint_url=endpoint_url or None,
        region_name=region,
        aws_access_key_id=access_key_id or None,
        aws_secret_access_key=secret_access_key or None,
        config=config,
    )


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _from_client_error(code: str) -> Exception:
    if code in _INTEGRITY:
        return IntegrityError()
    if code in _UNAVAILABLE:
        return StoreUnavailable(f"the key management service is unavailable ({code})")
    if code in _REFUSED:
        return ConfigurationError(f"the key management service refused this key store ({code})")
    return StorageError(f"the key management service refused the request ({code})")


def _from_botocore(error: BotoCoreError) -> Exception:
    if isinstance(error, BotoConnectionError | HTTPClientError):
        return StoreUnavailable("the key management service cannot be reached")
    if isinstance(error, NoCredentialsError | PartialCredentialsError | NoRegionError):
        return ConfigurationError("the key management service needs credentials and a region")
    return StorageError("the key management service request failed")


@contextmanager
def _translated(version: str | None = None) -> Iterator[None]:
    """botocore errors as ours; with ``version``, a gone key means that version is retired."""
    try:
        yield
    except ClientError as error:
        code = _code(error)
        if version is not None and code in _GONE:
            raise retired(version) from error
        translated = _from_client_error(code)
        raise translated from (None if isinstance(translated, IntegrityError) else error)
    except ParamValidationError:
        # Its message may quote a parameter's value: never chain it.
        raise ConfigurationError("a malformed request to the key management service") from None
    except BotoCoreError as error:
        raise _from_botocore(error) from error


def _key_id(version: str) -> str:
    """The bare key id of an ARN or key id (every KMS implementation takes it)."""
    return version.rsplit("/", 1)[-1]


class KmsKeyStore:
    """Master keys held by KMS behind one alias; versions are KMS key ARNs."""

    name = "kms"

    def __init__(self, client: KMSClient, alias: str) -> None:
        if not re.fullmatch(r"alias/[A-Za-z0-9/_-]{1,250}", alias) or alias.startswith(
            "alias/aws/"
        ):
            raise ConfigurationError("PHR_KMS_KEY_ALIAS must be 'alias/NAME' (not alias/aws/...)")
        self.client, self.alias = client, alias
        self._description = f"PHR Share master key ({alias})"

    def current_version(self) -> str:
        """The ARN the alias points at, key and alias created on first use; StoreUnavailable."""
        with _translated():
            try:
                meta = self.client.describe_key(KeyId=self.alias)["KeyMetadata"]
            except ClientError as error:
                if _code(error) != "NotFoundException":
                    raise
                return self._create_first()
        if meta["KeyState"] != "Enabled":
            raise ConfigurationError(f"the KMS key behind {self.alias} is {meta['KeyState']}")
        return meta["Arn"]

    def _create_key(self) -> str:
        with _translated():
            created = self.client.create_key(Description=self._description)
        return created["KeyMetadata"]["Arn"]

    def _create_first(self) -> str:
        """A first key and the alias; if another process won the race, theirs."""
        arn = self._create_key()
        with _translated():
            try:
                self.client.create_alias(AliasName=self.alias, TargetKeyId=arn)
            except ClientError as error:
                if _code(error) != "AlreadyExistsException":
                    raise
                self.client.schedule_key_deletion(KeyId=_key_id(arn), PendingWindowInDays=7)
                return self.client.describe_key(KeyId=self.alias)["KeyMetadata"]["Arn"]
        return arn

    def _own_keys(self) -> list[KeyMetadataTypeDef]:
        """Metadata of every key this store created (any state), oldest first."""
        found = []
        with _translated():
            for page in self.client.get_paginator("list_keys").paginate():
                for entry in page["Keys"]:
                    try:
                        meta = self.client.describe_key(KeyId=entry["KeyId"])["KeyMetadata"]
                    except ClientError as error:
                        if _code(error) in {"AccessDeniedException", "NotFoundException"}:
                            continue  # not ours to read, or deleted meanwhile
                        raise
                    if meta.get("Description") == self._description:
                        found.append(meta)
        return sorted(found, key=lambda m: (m["CreationDate"], m["Arn"]))

    def versions(self) -> list[str]:
        """This alias's enabled keys, oldest first and the current last; StoreUnavailable."""
        current = self.current_version()
        older = [m["Arn"] for m in self._own_keys() if m["KeyState"] == "Enabled"]
        return [arn for arn in older if arn != current] + [current]

    def wrap(self, key: bytes, context: Mapping[str, str]) -> WrappedKey:
        """KMS Encrypt under the alias, the context as encryption context; StoreUnavailable."""
        check_key(key)
        with _translated():
            try:
                answer = self.client.encrypt(
                    KeyId=self.alias, Plaintext=key, EncryptionContext=dict(context)
                )
            except ClientError as error:
                if _code(error) != "NotFoundException":
                    raise
                self.current_version()  # first use: create the key and the alias
                answer = self.client.encrypt(
                    KeyId=self.alias, Plaintext=key, EncryptionContext=dict(context)
                )
        return WrappedKey(answer["KeyId"], answer["CiphertextBlob"])

    def unwrap(self, wrapped: WrappedKey, context: Mapping[str, str]) -> bytes:
        """KMS Decrypt with the same context; IntegrityError, ConfigurationError if retired."""
        if _KEY_REF.fullmatch(wrapped.master_version) is None:
            raise IntegrityError()
        if not 1 <= len(wrapped.blob) <= _MAX_CIPHERTEXT:
            raise IntegrityError()
        with _translated(wrapped.master_version):
            answer = self.client.decrypt(
                KeyId=wrapped.master_version,
                CiphertextBlob=wrapped.blob,
                EncryptionContext=dict(context),
            )
        return answer["Plaintext"]

    def rotate(self) -> str:
        """A new KMS key becomes current and the alias moves to it; StoreUnavailable."""
        self.current_version()
        arn = self._create_key()
        with _translated():
            self.client.update_alias(AliasName=self.alias, TargetKeyId=arn)
        return arn

    def retire(self, version: str) -> None:
        """Schedule an old key's deletion (7 days); ConfigurationError if current or unknown."""
        key_id = _key_id(version)
        if key_id == _key_id(self.current_version()):
            raise ConfigurationError("the current master key version cannot be retired")
        owned = {_key_id(m["Arn"]): m for m in self._own_keys()}
        if key_id not in owned:
            raise ConfigurationError("not a master key version of this key store")
        if owned[key_id]["KeyState"] != "Enabled":
            raise retired(version)
        with _translated():
            self.client.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)

    def check(self) -> None:
        """The alias resolves to an enabled key; StoreUnavailable or ConfigurationError."""
        self.current_version()
