"""RFC 6749 5.2 error objects: fixed descriptions in the RFC character set, status and headers."""

from __future__ import annotations

import pytest

from oauth2_core import OAuth2Error
from oauth2_core.endpoint import error_response
from oauth2_core.errors import (
    InvalidClient,
    InvalidGrant,
    InvalidRequest,
    InvalidScope,
    MethodNotAllowed,
    TemporarilyUnavailable,
    UnauthorizedClient,
    UnsupportedGrantType,
)


@pytest.mark.parametrize(
    ("error_class", "code", "status"),
    [
        (InvalidRequest, "invalid_request", 400),
        (InvalidClient, "invalid_client", 401),
        (InvalidGrant, "invalid_grant", 400),
        (UnauthorizedClient, "unauthorized_client", 400),
        (UnsupportedGrantType, "unsupported_grant_type", 400),
        (InvalidScope, "invalid_scope", 400),
        (TemporarilyUnavailable, "temporarily_unavailable", 503),
    ],
)
def test_codes_and_statuses(error_class: type[OAuth2Error], code: str, status: int) -> None:
    error = error_class()
    assert (error.error, error.status) == (code, status)
    assert error.as_dict()["error"] == code


def test_empty_description_is_left_out() -> None:
    assert InvalidGrant().as_dict() == {"error": "invalid_grant"}
    assert InvalidGrant("expired").as_dict() == {"error": "invalid_grant", "error_description": "expired"}


@pytest.mark.parametrize("description", ['say "hi"', "back\\slash", "tab\there", "new\nline", "caf\u00e9", "\x7f"])
def test_description_outside_rfc_charset_is_a_programming_error(description: str) -> None:
    with pytest.raises(ValueError, match="error_description"):
        InvalidRequest(description)


def test_status_and_headers_can_be_overridden() -> None:
    error = InvalidRequest("too big", status=413, headers={"X-Limit": "1024"})
    assert (error.status, error.headers) == (413, {"X-Limit": "1024"})
    # The class default is untouched.
    assert InvalidRequest().status == 400


def test_invalid_client_challenges_basic() -> None:
    assert InvalidClient().headers == {"WWW-Authenticate": 'Basic realm="oauth2"'}


def test_method_not_allowed() -> None:
    error = MethodNotAllowed()
    assert (error.status, error.error, error.headers) == (405, "invalid_request", {"Allow": "POST"})


def test_temporarily_unavailable_says_when_to_retry() -> None:
    assert TemporarilyUnavailable(retry_after=30).headers == {"Retry-After": "30"}


def test_repr_names_class_and_description() -> None:
    assert repr(InvalidScope("too wide")) == "InvalidScope('too wide')"


def test_error_response_shape() -> None:
    response = error_response(InvalidClient())
    assert response.status == 401
    assert response.json() == {"error": "invalid_client", "error_description": "client authentication failed"}
    assert dict(response.headers) == {
        "Content-Type": "application/json",
        "Cache-Control": "no-store",
        "Pragma": "no-cache",
        "WWW-Authenticate": 'Basic realm="oauth2"',
    }
