"""Client credentials (RFC 6749 2.3): Basic xor body, Basic decoding, secrets with expiry."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest

from oauth2_core import Client, ClientSecret
from oauth2_core.clients import presented_credentials
from oauth2_core.errors import InvalidClient, InvalidRequest
from oauth2_core.tokens import digest

NOW = datetime(2030, 1, 1, tzinfo=UTC)


def b64(text: bytes) -> str:
    return base64.b64encode(text).decode()


class TestPresentedCredentials:
    def test_nothing_presented(self) -> None:
        assert presented_credentials(None, {"grant_type": "password"}) is None

    def test_basic(self) -> None:
        credentials = presented_credentials("Basic " + b64(b"app:s3cret"), {})
        assert credentials is not None
        assert (credentials.client_id, credentials.secret, credentials.via_basic) == ("app", "s3cret", True)

    @pytest.mark.parametrize("scheme", ["basic", "BASIC", "Basic"])
    def test_scheme_is_case_insensitive(self, scheme: str) -> None:
        credentials = presented_credentials(f"{scheme} {b64(b'app:pw')}", {})
        assert credentials is not None
        assert credentials.client_id == "app"

    def test_basic_parts_are_form_urlencoded(self) -> None:
        # RFC 6749 2.3.1: a colon inside the id and non-ASCII in the secret arrive percent-encoded.
        credentials = presented_credentials("Basic " + b64(b"my%3Aapp:p%C3%A4ss%25word%3A"), {})
        assert credentials is not None
        assert (credentials.client_id, credentials.secret) == ("my:app", "päss%word:")

    def test_plus_in_basic_is_a_space(self) -> None:
        # Form-urlencoding writes a space as "+"; a literal plus arrives as %2B.
        credentials = presented_credentials("Basic " + b64(b"my+app:a%2Bb+c"), {})
        assert credentials is not None
        assert (credentials.client_id, credentials.secret) == ("my app", "a+b c")

    @pytest.mark.parametrize("client_id", ["app\x00", "a\npp", "\x7f"])
    def test_control_characters_in_client_id_are_refused_before_lookup(self, client_id: str) -> None:
        with pytest.raises(InvalidClient, match="control characters"):
            presented_credentials(None, {"client_id": client_id})
        header = "Basic " + b64(client_id.encode() + b":pw")
        with pytest.raises(InvalidClient, match="control characters"):
            presented_credentials(header, {})

    def test_secret_may_contain_raw_colons(self) -> None:
        credentials = presented_credentials("Basic " + b64(b"app:a:b:c"), {})
        assert credentials is not None
        assert credentials.secret == "a:b:c"

    def test_empty_secret_in_basic_means_no_secret(self) -> None:
        credentials = presented_credentials("Basic " + b64(b"public-app:"), {})
        assert credentials is not None
        assert credentials.client_id == "public-app"
        assert not credentials.secret

    @pytest.mark.parametrize(
        ("header", "reason"),
        [
            ("Bearer abc", "Basic scheme"),
            ("Basic", "Basic scheme"),
            ("Basic    ", "Basic scheme"),
            ("", "Basic scheme"),
            ("Digest " + base64.b64encode(b"a:b").decode(), "Basic scheme"),
            ("Basic !!!notbase64!!!", "not valid base64"),
            ("Basic YWJj*", "not valid base64"),
            ("Basic YWJjZA", "not valid base64"),  # missing padding
            ("Basic " + base64.b64encode(b"\xff\xfe:x").decode(), "not valid base64 of UTF-8"),
            ("Basic " + base64.b64encode(b"no-colon").decode(), "client_id:client_secret"),
            ("Basic " + base64.b64encode(b":secret-without-id").decode(), "client_id:client_secret"),
        ],
    )
    def test_bad_basic_is_invalid_client(self, header: str, reason: str) -> None:
        with pytest.raises(InvalidClient) as caught:
            presented_credentials(header, {})
        assert reason in caught.value.description
        assert caught.value.status == 401
        assert caught.value.headers["WWW-Authenticate"].startswith("Basic")

    def test_body_credentials(self) -> None:
        credentials = presented_credentials(None, {"client_id": "app", "client_secret": "pw"})
        assert credentials is not None
        assert (credentials.client_id, credentials.secret, credentials.via_basic) == ("app", "pw", False)

    def test_public_client_sends_only_its_id(self) -> None:
        credentials = presented_credentials(None, {"client_id": "app"})
        assert credentials is not None
        assert credentials.secret is None

    def test_secret_without_id_is_invalid_client(self) -> None:
        with pytest.raises(InvalidClient, match="without client_id"):
            presented_credentials(None, {"client_secret": "pw"})

    @pytest.mark.parametrize(
        "body", [{"client_id": "app"}, {"client_secret": "pw"}, {"client_id": "a", "client_secret": "b"}]
    )
    def test_basic_and_body_together_is_invalid_request(self, body: dict[str, str]) -> None:
        with pytest.raises(InvalidRequest, match="not both") as caught:
            presented_credentials("Basic " + b64(b"app:pw"), body)
        assert caught.value.status == 400

    def test_secret_never_in_repr(self) -> None:
        credentials = presented_credentials("Basic " + b64(b"app:hunter2-secret"), {})
        assert "hunter2" not in repr(credentials)


class TestClientSecrets:
    def test_matching_secret(self) -> None:
        assert ClientSecret(digest("pw")).accepts("pw", NOW)
        assert not ClientSecret(digest("pw")).accepts("pw ", NOW)

    def test_expiry_is_exclusive(self) -> None:
        secret = ClientSecret(digest("pw"), expires_at=NOW)
        assert not secret.accepts("pw", NOW)
        assert secret.accepts("pw", NOW - timedelta(microseconds=1))

    def test_any_of_several_secrets_during_rotation(self) -> None:
        client = Client(
            "app",
            confidential=True,
            grant_types=frozenset({"password"}),
            scopes=frozenset(),
            secrets=(ClientSecret(digest("old"), expires_at=NOW + timedelta(days=1)), ClientSecret(digest("new"))),
        )
        assert client.accepts_secret("old", NOW)
        assert client.accepts_secret("new", NOW)
        assert not client.accepts_secret("old", NOW + timedelta(days=2))
        assert not client.accepts_secret("other", NOW)

    def test_public_client_accepts_nothing(self) -> None:
        client = Client("app", confidential=False, grant_types=frozenset(), scopes=frozenset())
        assert not client.accepts_secret("", NOW)

    def test_digest_not_in_repr(self) -> None:
        stored = digest("pw")
        client = Client("app", True, frozenset(), frozenset(), (ClientSecret(stored),))
        assert stored not in repr(client)
