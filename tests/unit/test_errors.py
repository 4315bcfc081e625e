"""The exception tree: statuses, exit codes, and messages that carry no input."""

from __future__ import annotations

import pytest

from phr_share import errors
from phr_share.errors import (
    ConfigurationError,
    DocumentTooLarge,
    InvalidDocument,
    InvalidInput,
    InvalidReadings,
    MalformedXML,
    PhrShareError,
)


@pytest.mark.parametrize("name", errors.__all__)
def test_every_error_has_a_status_an_exit_code_and_a_code(name: str) -> None:
    error = getattr(errors, name)
    assert issubclass(error, PhrShareError)
    assert 400 <= error.http_status <= 599
    assert error.exit_code in {65, 66, 69, 70, 74, 75, 77, 78}
    assert error.code.replace("-", "").isalpha()


def test_error_codes_are_unique() -> None:
    codes = [getattr(errors, name).code for name in errors.__all__]
    assert len(codes) == len(set(codes))


def test_families() -> None:
    assert issubclass(MalformedXML, InvalidDocument)
    assert issubclass(InvalidDocument, InvalidInput)
    assert (DocumentTooLarge.http_status, InvalidInput.http_status) == (413, 422)
    assert ConfigurationError.exit_code == 78


def test_a_document_error_says_where() -> None:
    error = MalformedXML("an end tag does not match its start tag", line=3, column=9)
    assert str(error) == "an end tag does not match its start tag (line 3, column 9)"


def test_readings_errors_list_fields_in_a_stable_order() -> None:
    error = InvalidReadings({"pain": "must be 0-10", "mood": "unknown"})
    assert error.message == "readings rejected: mood: unknown; pain: must be 0-10"
