"""AWS KMS as the master key store (production); moto's KMS stands in for it in tests.

Wrapping is ``Encrypt`` under the alias with the context as KMS encryption context, so
KMS itself refuses to unwrap a patient key under another patient's context. Rotation
creates a new KMS key and points the alias at it; old keys still decrypt what they
wrapped until retired (scheduled for deletion).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

from phr_share.crypto.keystore import WrappedKey
from phr_share.errors import ConfigurationError, IntegrityError, StorageError, StoreUnavailable

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

__all__ = ["KmsKeyStore", "make_kms_client"]


def make_kms_client(
    endpoint_url: str | None,
    region: str,
    access_key_id: str | None,
    secret_access_key: str | None,
) -> KMSClient:
    """A KMS client with short timeouts and few retries (a dead KMS fails fast)."""
    config = Config(connect_timeout=3, read_timeout=10, retries={"max_attempts": 2})
    return boto3.client(
        "kms",
        endpoint_url=endpoint_url or None,
        region_name=region,
        aws_access_key_id=access_key_id or None,
        aws_secret_access_key=secret_access_key or None,
        config=config,
    )


def _translate(error: Exception) -> Exception:
    if isinstance(error, EndpointConnectionError | BotoCoreError) and not isinstance(
        error, ClientError
    ):
        return StoreUnavailable("the key management service cannot be reached")
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        if code in {"InvalidCiphertextException", "IncorrectKeyException"}:
            return IntegrityError()
        if code in {"NotFoundException", "KMSInvalidStateException", "DisabledException"}:
            return ConfigurationError(f"the KMS key cannot be used ({code})")
        return StorageError(f"the key management service refused the request ({code})")
    return error


class KmsKeyStore:
    """Master keys held by KMS; versions are KMS key ARNs."""

    name = "kms"

    def __init__(self, client: KMSClient, alias: str) -> None:
        if not alias.startswith("alias/"):
            raise ConfigurationError("PHR_KMS_KEY_ALIAS must start with 'alias/'")
        self.client, self.alias = client, alias

    def _call(self, method: str, **arguments: Any) -> Any:
        try:
            return getattr(self.client, method)(**arguments)
        except (ClientError, BotoCoreError) as error:
            raise _translate(error) from error

    def current_version(self) -> str:
        """The ARN the alias points at; key and alias are created on first use."""
        try:
            described = self.client.describe_key(KeyId=self.alias)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "NotFoundException":
                raise _translate(error) from error
            return self._new_key(create_alias=True)
        except BotoCoreError as error:
            raise _translate(error) from error
        return described["KeyMetadata"]["Arn"]

    def _new_key(self, *, create_alias: bool) -> str:
        created = self._call("create_key", Description="PHR Share master key")
        arn: str = created["KeyMetadata"]["Arn"]
        method = "create_alias" if create_alias else "update_alias"
        self._call(method, AliasName=self.alias, TargetKeyId=arn)
        return arn

    def versions(self) -> list[str]:
        """Keys the alias has pointed at that are still enabled, oldest first."""
        current = self.current_version()
        keys = self._call("list_keys")["Keys"]
        usable = []
        for entry in keys:
            meta = self._call("describe_key", KeyId=entry["KeyId"])["KeyMetadata"]
            if meta.get("Description") == "PHR Share master key" and meta["KeyState"] == "Enabled":
                usable.append((meta["CreationDate"], meta["Arn"]))
        ordered = [arn for _, arn in sorted(usable)]
        return ordered if current in ordered else [*ordered, current]

    def wrap(self, key: bytes, context: Mapping[str, str]) -> WrappedKey:
        """KMS Encrypt under the alias, with the context as encryption context."""
        answer = self._call(
            "encrypt",
            KeyId=self.current_version(),
            Plaintext=key,
            EncryptionContext=dict(context),
        )
        return WrappedKey(answer["KeyId"], answer["CiphertextBlob"])

    def unwrap(self, wrapped: WrappedKey, context: Mapping[str, str]) -> bytes:
        """KMS Decrypt with the same context; IntegrityError when KMS refuses the blob."""
        answer = self._call(
            "decrypt",
            KeyId=wrapped.master_version,
            CiphertextBlob=wrapped.blob,
            EncryptionContext=dict(context),
        )
        plaintext: bytes = answer["Plaintext"]
        return plaintext

    def rotate(self) -> str:
        """A new KMS key becomes current; the alias moves to it."""
        self.current_version()
        return self._new_key(create_alias=False)

    def retire(self, version: str) -> None:
        """Schedule an old key's deletion (7 days, the KMS minimum); never the current one."""
        if version == self.current_version():
            raise ConfigurationError("the current master key version cannot be retired")
        key_id = version.rsplit("/", 1)[-1]  # the bare key id: every KMS implementation takes it
        self._call("disable_key", KeyId=key_id)
        self._call("schedule_key_deletion", KeyId=key_id, PendingWindowInDays=7)

    def check(self) -> None:
        """The alias resolves to a usable key."""
        self.current_version()
