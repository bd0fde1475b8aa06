"""No secret reaches a log record, a SQL statement or its parameters, or a signal, in any Django-side flow."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import OperationalError, connection
from django.test import Client as HttpClient
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from oauth2_django.signals import security_event
from oauth2_testing.leaks import assert_no_secrets, log_texts, repr_texts

from .conftest import PASSWORD, Registered, post_token

pytestmark = pytest.mark.django_db


@override_settings(DEBUG=True)  # so Django's own loggers (SQL, requests) say as much as they ever do
def test_flows_leak_nothing(
    caplog: pytest.LogCaptureFixture,
    client: HttpClient,
    admin_client: HttpClient,
    registered: Registered,
    user: User,
    make_token: Callable[..., str],
) -> None:
    events: list[Any] = []

    def collect(sender: Any, event: Any, **kwargs: Any) -> None:
        events.append(event)

    security_event.connect(collect)
    caplog.set_level(logging.DEBUG)
    credentials = {"client_id": registered.client_id, "client_secret": registered.secret or ""}
    password_form = {"grant_type": "password", "username": user.username, "password": PASSWORD, **credentials}
    try:
        with CaptureQueriesContext(connection) as queries:
            issued = post_token(client, password_form).json()
            refresh_form = {"grant_type": "refresh_token", "refresh_token": issued["refresh_token"], **credentials}
            rotated = post_token(client, refresh_form).json()
            post_token(client, refresh_form)  # reuse: the family is revoked
            post_token(client, {**password_form, "password": PASSWORD + "x"})
            post_token(client, {**password_form, "client_secret": "o2cs_" + "w" * 43})
            post_token(client, {**password_form, "scope": "admin"})

            def down(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
                raise OperationalError("connection lost")

            with connection.execute_wrapper(down):
                post_token(client, password_form)
                # The middleware fails the request (handler500 answers): its error log must not hold the token.
                failing = HttpClient(raise_request_exception=False)
                failing.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {rotated['access_token']}")
            bearer = make_token()
            client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {bearer}")
            client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {issued['access_token']}")  # revoked
            client.get("/api/write", HTTP_AUTHORIZATION=f"Bearer {make_token(scope='read')}")  # 403
            created = admin_client.post(
                "/admin/oauth2/client/",
                {"action": "generate_secret", "_selected_action": [registered.client.pk]},
                follow=True,
            )
    finally:
        security_event.disconnect(collect)
    new_secret = next(str(m) for m in created.context["messages"]).split(": ")[1].split(" ")[0]
    assert new_secret.startswith("o2cs_")
    statements = [f"{query['sql']}" for query in queries.captured_queries]
    assert_no_secrets(
        {
            "client secret": [registered.secret or "", new_secret],
            "password": [PASSWORD],
            "access token": [issued["access_token"], rotated["access_token"], bearer],
            "refresh token": [issued["refresh_token"], rotated["refresh_token"]],
        },
        [*log_texts(caplog.records), *statements, *repr_texts(events)],
    )
    assert len(caplog.records) > 5, "the flows were expected to log something"
    assert any("SELECT" in statement for statement in statements)
