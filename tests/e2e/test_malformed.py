"""Hand-written malformed requests against the served token endpoint and API.

Each one must be refused with the RFC's JSON error, never a 5xx or an HTML
page: Django's own error pages, a crash on odd bytes, or a database error on
input the database cannot store are exactly what these tests look for.
"""

from __future__ import annotations

import base64
import json
from urllib.parse import urlencode

import pytest
import requests
from e2e_support import Accounts, ExampleServer, assert_oauth_error, assert_token_answer, json_body

FORM = "application/x-www-form-urlencoded"


def _post(
    server: ExampleServer, body: bytes | str, content_type: str | None = FORM, **headers: str
) -> requests.Response:
    if content_type is not None:
        headers["Content-Type"] = content_type
    return requests.post(server.token_url, data=body, headers=headers, timeout=30, allow_redirects=False)


def _password_form(accounts: Accounts, **extra: str) -> dict[str, str]:
    client = accounts.confidential
    assert client.secret is not None
    return {
        "grant_type": "password",
        "username": accounts.username,
        "password": accounts.password,
        "client_id": client.client_id,
        "client_secret": client.secret,
        **extra,
    }


@pytest.mark.parametrize("path", ["/oauth2/access_token", "/oauth2/access_token/"])
def test_both_spellings_of_the_token_url_answer_without_redirect(
    server: ExampleServer, accounts: Accounts, path: str
) -> None:
    response = requests.post(server.base_url + path, data=_password_form(accounts), timeout=30, allow_redirects=False)
    assert_token_answer(response)


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_methods_other_than_post_are_refused(server: ExampleServer, method: str) -> None:
    response = requests.request(method, server.token_url, timeout=30, allow_redirects=False)
    assert_oauth_error(response, 405, "invalid_request")
    assert "POST" in response.headers.get("Allow", "")


def test_head_is_refused_with_json_headers(server: ExampleServer) -> None:
    response = requests.head(server.token_url, timeout=30, allow_redirects=False)
    assert response.status_code == 405
    assert response.headers["Content-Type"].startswith("application/json")


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "application/json",
        "text/plain",
        "text/html",
        "multipart/form-data; boundary=x",
        f"{FORM}; charset=latin-1",
        f"{FORM}; boundary=x",
        "application/x-www-form-urlencoded-but-not-really",
        "",
    ],
)
def test_wrong_content_types_are_invalid_request(
    server: ExampleServer, accounts: Accounts, content_type: str | None
) -> None:
    body = urlencode(_password_form(accounts))
    assert_oauth_error(_post(server, body, content_type), 400, "invalid_request")


def test_charset_utf8_parameter_is_accepted(server: ExampleServer, accounts: Accounts) -> None:
    body = urlencode(_password_form(accounts))
    assert_token_answer(_post(server, body, f"{FORM}; charset=UTF-8"))


def test_multipart_form_is_invalid_request(server: ExampleServer, accounts: Accounts) -> None:
    fields = {name: (None, value) for name, value in _password_form(accounts).items()}
    response = requests.post(server.token_url, files=fields, timeout=30)
    assert_oauth_error(response, 400, "invalid_request")


@pytest.mark.parametrize("content_type", ["application/json", FORM])
def test_json_bodies_are_invalid_request(server: ExampleServer, accounts: Accounts, content_type: str) -> None:
    body = json.dumps(_password_form(accounts))
    assert_oauth_error(_post(server, body, content_type), 400, "invalid_request")


@pytest.mark.parametrize(
    "body",
    [
        b"grant_type=password&username=\xff\xfe&password=x",
        b"grant_type=password&username=%FF%FE&password=x",
        b"grant_type=password&username=%C3%28&password=x",
        b"grant_type=password&username=%zz&password=x",
        b"grant_type=password&username=%&password=x",
        b"grant_type=%ED%A0%80",
        b"\x00\x01\x02",
        b"grant_type=password&" + b"\x80" * 100,
    ],
    ids=["raw-latin1", "escaped-latin1", "bad-utf8-sequence", "bad-escape", "lone-percent", "surrogate", "nul", "high"],
)
def test_bodies_that_are_not_utf8_form_data_are_invalid_request(server: ExampleServer, body: bytes) -> None:
    assert_oauth_error(_post(server, body), 400, "invalid_request")


@pytest.mark.parametrize("repeated", ["grant_type", "username", "password", "client_id", "client_secret", "scope"])
def test_repeated_parameters_are_invalid_request(server: ExampleServer, accounts: Accounts, repeated: str) -> None:
    form = _password_form(accounts, scope="read")
    pairs = [*form.items(), (repeated, form[repeated])]
    body = urlencode(pairs)
    assert_oauth_error(_post(server, body), 400, "invalid_request")


@pytest.mark.parametrize("size", [17 * 1024, 3 * 1024 * 1024])
def test_oversized_bodies_are_refused(server: ExampleServer, accounts: Accounts, size: int) -> None:
    form = _password_form(accounts)
    body = urlencode(form) + "&padding=" + "a" * size
    response = _post(server, body)
    assert_oauth_error(response, 413, "invalid_request")


@pytest.mark.parametrize("field", ["username", "password", "client_id", "client_secret", "scope"])
def test_nul_characters_are_refused_without_a_server_error(
    server: ExampleServer, accounts: Accounts, field: str
) -> None:
    # PostgreSQL cannot store or compare text containing NUL: a value that
    # reaches a query unchecked becomes a 500 there and only there.
    form = _password_form(accounts)
    form[field] = form.get(field, "read") + "\x00x"
    response = _post(server, urlencode(form))
    body = json_body(response)
    assert response.status_code in (400, 401), body
    assert body["error"] in {"invalid_request", "invalid_client", "invalid_grant", "invalid_scope"}


def test_very_long_values_are_refused_without_a_server_error(server: ExampleServer, accounts: Accounts) -> None:
    for field in ("username", "client_id", "client_secret", "password"):
        form = _password_form(accounts)
        form[field] = "x" * 8000
        response = _post(server, urlencode(form))
        assert json_body(response)["error"] in {"invalid_request", "invalid_client", "invalid_grant"}


@pytest.mark.parametrize(
    "authorization",
    [
        "Basic !!!",
        "Basic",
        "Basic " + base64.b64encode(b"\xff\xfe:\xfd").decode(),
        "Basic " + base64.b64encode(b"no-colon").decode(),
        "Basic " + base64.b64encode(b":secret-without-id").decode(),
        "Basic " + base64.b64encode(b"nul\x00in-id:secret").decode(),
        "Basic " + base64.b64encode(b"escaped%00nul:secret").decode(),
        "Bearer o2at_something",
        "Digest username=x",
        "basic",
    ],
)
def test_unusable_basic_credentials_are_invalid_client(server: ExampleServer, authorization: str) -> None:
    body = "grant_type=password&username=u&password=p"
    response = _post(server, body, Authorization=authorization)
    assert_oauth_error(response, 401, "invalid_client")
    assert response.headers.get("WWW-Authenticate", "").startswith("Basic")


def test_credentials_in_header_and_body_are_refused(server: ExampleServer, accounts: Accounts) -> None:
    client = accounts.confidential
    assert client.secret is not None
    response = requests.post(
        server.token_url, data=_password_form(accounts), auth=(client.client_id, client.secret), timeout=30
    )
    body = json_body(response)
    assert response.status_code in (400, 401) and body["error"] in {"invalid_request", "invalid_client"}


def test_token_endpoint_answers_rfc_errors(server: ExampleServer, accounts: Accounts) -> None:
    client = accounts.confidential
    assert client.secret is not None
    basic = (client.client_id, client.secret)

    def post(data: dict[str, str], auth: tuple[str, str] | None = basic) -> requests.Response:
        return requests.post(server.token_url, data=data, auth=auth, timeout=30)

    assert_oauth_error(post({"username": "x"}), 400, "invalid_request")
    assert_oauth_error(post({"grant_type": "client_credentials"}), 400, "unsupported_grant_type")
    # Installed or not, a grant that settings do not enable does not exist.
    assert_oauth_error(post({"grant_type": "aws_identity"}), 400, "unsupported_grant_type")
    assert_oauth_error(
        post({"grant_type": "password", "username": accounts.username, "password": "wrong"}), 400, "invalid_grant"
    )
    assert_oauth_error(
        post({"grant_type": "password", "username": "nobody-here", "password": "x"}), 400, "invalid_grant"
    )
    assert_oauth_error(
        post(
            {"grant_type": "password", "username": accounts.username, "password": accounts.password, "scope": "admin"}
        ),
        400,
        "invalid_scope",
    )
    assert_oauth_error(post({"grant_type": "password"}), 400, "invalid_request")
    assert_oauth_error(post({"grant_type": "refresh_token", "refresh_token": "o2rt_unknown"}), 400, "invalid_grant")
    assert_oauth_error(post({"grant_type": "refresh_token"}), 400, "invalid_request")
    wrong_secret = post({"grant_type": "password", "username": "u", "password": "p"}, auth=(client.client_id, "x"))
    assert_oauth_error(wrong_secret, 401, "invalid_client")
    unknown_client = post({"grant_type": "password", "username": "u", "password": "p"}, auth=("no-such-client", "x"))
    assert_oauth_error(unknown_client, 401, "invalid_client")
    no_client = post({"grant_type": "password", "username": "u", "password": "p"}, auth=None)
    assert_oauth_error(no_client, 401, "invalid_client")


def test_client_limited_to_password_grant_cannot_refresh(server: ExampleServer, accounts: Accounts) -> None:
    client = accounts.password_only
    assert client.secret is not None
    issued = assert_token_answer(
        requests.post(
            server.token_url,
            data={"grant_type": "password", "username": accounts.username, "password": accounts.password},
            auth=(client.client_id, client.secret),
            timeout=30,
        )
    )
    assert "refresh_token" in issued, "a confidential client gets a refresh token from the password grant"
    refused = requests.post(
        server.token_url,
        data={"grant_type": "refresh_token", "refresh_token": issued["refresh_token"]},
        auth=(client.client_id, client.secret),
        timeout=30,
    )
    assert_oauth_error(refused, 400, "unauthorized_client")


def test_public_client_gets_no_refresh_token(server: ExampleServer, accounts: Accounts) -> None:
    response = requests.post(
        server.token_url,
        data={
            "grant_type": "password",
            "username": accounts.username,
            "password": accounts.password,
            "client_id": accounts.public.client_id,
        },
        timeout=30,
    )
    issued = assert_token_answer(response)
    assert "refresh_token" not in issued
    me = requests.get(server.me_url, headers={"Authorization": f"Bearer {issued['access_token']}"}, timeout=30)
    assert json_body(me)["client"] == accounts.public.client_id


# -- the protected API --------------------------------------------------------


def _token(server: ExampleServer, accounts: Accounts, scope: str) -> dict[str, object]:
    return assert_token_answer(requests.post(server.token_url, data=_password_form(accounts, scope=scope), timeout=30))


def test_api_without_a_token_is_a_bearer_challenge(server: ExampleServer) -> None:
    response = requests.get(server.me_url, timeout=30)
    json_body(response)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "Authorization" in response.headers.get("Vary", "")


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer o2at_not-a-token",
        "Bearer ",
        "Bearer a b",
        "Bearer \u00e9t\u00e9",
        "bearer o2at_x",
        "Bearer " + "x" * 5000,
    ],
)
def test_api_with_an_unknown_token_is_invalid_token(server: ExampleServer, authorization: str) -> None:
    response = requests.get(server.me_url, headers={"Authorization": authorization.encode()}, timeout=30)
    body = json_body(response)
    assert response.status_code in (400, 401), body
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_api_with_a_refresh_token_as_bearer_is_invalid_token(server: ExampleServer, accounts: Accounts) -> None:
    issued = _token(server, accounts, "read")
    response = requests.get(server.me_url, headers={"Authorization": f"Bearer {issued['refresh_token']}"}, timeout=30)
    assert_oauth_error(response, 401, "invalid_token")


def test_api_with_too_narrow_a_scope_is_insufficient_scope(server: ExampleServer, accounts: Accounts) -> None:
    issued = _token(server, accounts, "write")
    response = requests.get(server.me_url, headers={"Authorization": f"Bearer {issued['access_token']}"}, timeout=30)
    assert_oauth_error(response, 403, "insufficient_scope")
    assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]


def test_api_refuses_the_query_parameter_unless_enabled(server: ExampleServer, accounts: Accounts) -> None:
    # RFC 6750 2.3 advises against tokens in URLs (they end up in logs); the
    # example leaves ALLOW_QUERY_TOKEN off, so even a valid token there is refused.
    issued = _token(server, accounts, "read")
    response = requests.get(server.me_url, params={"access_token": issued["access_token"]}, timeout=30)
    assert_oauth_error(response, 400, "invalid_request")


def test_api_post_with_a_token_is_not_a_csrf_page(server: ExampleServer, accounts: Accounts) -> None:
    # A bearer token is not an ambient credential, so CSRF protection has
    # nothing to protect; Django's HTML 403 page here would break API clients.
    issued = _token(server, accounts, "read")
    response = requests.post(
        server.me_url, headers={"Authorization": f"Bearer {issued['access_token']}"}, data="x=1", timeout=30
    )
    assert json_body(response)["error"] == "method_not_allowed"
    assert response.status_code == 405
