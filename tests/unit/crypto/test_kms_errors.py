"""botocore errors become the package's own, inside the KMS adapter."""

from __future__ import annotations

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ParamValidationError,
    ReadTimeoutError,
)

from phr_share.crypto.kms import _translated
from phr_share.errors import (
    ConfigurationError,
    IntegrityError,
    PhrShareError,
    StorageError,
    StoreUnavailable,
)


def _client_error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "from the server"}}, "Decrypt")


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("InvalidCiphertextException", IntegrityError),
        ("IncorrectKeyException", IntegrityError),
        ("ThrottlingException", StoreUnavailable),
        ("KMSInternalException", StoreUnavailable),
        ("DependencyTimeoutException", StoreUnavailable),
        ("AccessDeniedException", ConfigurationError),
        ("UnrecognizedClientException", ConfigurationError),
        ("KMSInvalidStateException", ConfigurationError),
        ("DisabledException", ConfigurationError),
        ("NotFoundException", ConfigurationError),
        ("LimitExceededException", StorageError),
    ],
)
def test_kms_error_codes_are_translated(code: str, expected: type[PhrShareError]) -> None:
    with pytest.raises(PhrShareError) as caught, _translated():
        raise _client_error(code)
    assert type(caught.value) is expected
    if expected is IntegrityError:
        assert caught.value.__cause__ is None  # opaque, like every integrity failure


@pytest.mark.parametrize(
    "code", ["NotFoundException", "KMSInvalidStateException", "DisabledException"]
)
def test_a_gone_key_while_unwrapping_names_the_retired_version(code: str) -> None:
    with (
        pytest.raises(ConfigurationError, match="master key version v7 is retired"),
        _translated("v7"),
    ):
        raise _client_error(code)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (EndpointConnectionError(endpoint_url="http://127.0.0.1:9"), StoreUnavailable),
        (ConnectTimeoutError(endpoint_url="http://127.0.0.1:9"), StoreUnavailable),
        (ReadTimeoutError(endpoint_url="http://127.0.0.1:9"), StoreUnavailable),
        (NoCredentialsError(), ConfigurationError),
    ],
)
def test_botocore_errors_are_translated(error: Exception, expected: type[PhrShareError]) -> None:
    with pytest.raises(PhrShareError) as caught, _translated():
        raise error
    assert type(caught.value) is expected
    assert caught.value.__cause__ is error


def test_a_parameter_error_never_carries_the_value() -> None:
    value = "00112233445566778899aabbccddeeff"
    with pytest.raises(ConfigurationError) as caught, _translated():
        raise ParamValidationError(report=f"Invalid type for parameter Plaintext, value: {value}")
    assert value not in str(caught.value)
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__
