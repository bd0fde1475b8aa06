"""A test client for the token endpoint: build the HTTP request, call the core, return the response.

It talks to :func:`oauth2_core.handle_token_request` directly, so a grant's
tests exercise the real endpoint flow (content type, form parsing, client
authentication, errors) without a web framework or a socket.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from urllib.parse import quote, urlencode

from oauth2_core import Server, TokenRequest, TokenResponse, handle_token_request
from oauth2_core.form import FORM_CONTENT_TYPE

FormInput = Mapping[str, str] | Sequence[tuple[str, str]]


def basic_authorization(client_id: str, client_secret: str) -> str:
    """An ``Authorization: Basic`` value, with both parts form-encoded first (RFC 6749 2.3.1)."""
    pair = f"{quote(client_id, safe='')}:{quote(client_secret, safe='')}"
    return "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")


def header(response: TokenResponse, name: str) -> str | None:
    """The value of header ``name`` (case-insensitive) in ``response``, or None."""
    wanted = name.lower()
    return next((value for key, value in response.headers if key.lower() == wanted), None)


class TokenClient:
    """Posts token requests to a :class:`~oauth2_core.Server` and returns its :class:`~oauth2_core.TokenResponse`."""

    def __init__(self, server: Server, *, client_ip: str | None = "127.0.0.1") -> None:
        self.server = server
        self.client_ip = client_ip
        #: Every request sent and the response to it, oldest first.
        self.history: list[tuple[TokenRequest, TokenResponse]] = []

    def post(
        self,
        form: FormInput = (),
        *,
        basic: tuple[str, str] | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        body: bytes | None = None,
        authorization: str | None = None,
        content_type: str | None = FORM_CONTENT_TYPE,
        method: str = "POST",
    ) -> TokenResponse:
        """Send one token request.

        ``form`` is a mapping or a sequence of pairs (to repeat a parameter).
        ``basic`` authenticates the client with HTTP Basic; ``client_id`` and
        ``client_secret`` put credentials in the body instead (both at once
        is allowed here, so tests can check that the server refuses it).
        ``body`` sends raw bytes in place of the encoded form, and
        ``authorization`` a raw ``Authorization`` header.
        """
        pairs = list(form.items()) if isinstance(form, Mapping) else list(form)
        if client_id is not None:
            pairs.append(("client_id", client_id))
        if client_secret is not None:
            pairs.append(("client_secret", client_secret))
        if basic is not None:
            if authorization is not None:
                raise ValueError("pass either basic= or authorization=, not both")
            authorization = basic_authorization(*basic)
        encoded = urlencode(pairs).encode("ascii") if body is None else body
        request = TokenRequest(
            method=method,
            content_type=content_type,
            authorization=authorization,
            body=encoded,
            client_ip=self.client_ip,
        )
        response = handle_token_request(self.server, request)
        self.history.append((request, response))
        return response
