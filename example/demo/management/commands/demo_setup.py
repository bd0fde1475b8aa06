"""``manage.py demo_setup``: (re)create the demo user, scopes and client, and print curl commands that work.

Running it again resets the demo: a new password, a new client secret, the
demo client's old tokens and AWS bindings gone. The printed refresh and API
commands carry tokens issued by this run through the real token endpoint
flow, so every command works when pasted as printed, in any order.

``--aws-arn ARN`` (with the aws_identity grant enabled, see example/README.md)
also lets the demo client use that grant and binds the AWS identity ARN to
the demo user, so a workload signing as ARN gets the demo user's tokens.
"""

from __future__ import annotations

import base64
import secrets
import shlex
import sys
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.urls import reverse

from oauth2_core import Server, TokenRequest, handle_token_request
from oauth2_core.errors import ConfigurationError
from oauth2_core.form import FORM_CONTENT_TYPE
from oauth2_django.issuers import AWS
from oauth2_django.models import AccessToken, Client, FederatedBinding, RefreshToken, Scope
from oauth2_django.server import get_server

DEMO_USERNAME = "demo"
DEMO_CLIENT_ID = "demo-client"
SCOPES = {"read": "Read your profile (the default scope)", "write": "Change your data"}
NEEDED_GRANTS = ("password", "refresh_token")
#: The region the printed aws_identity command signs for when the server allows every region.
AWS_DEFAULT_REGION = "us-east-1"


def _basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode("ascii")


def _password_grant(server: Server, client_id: str, secret: str, username: str, password: str) -> dict[str, Any]:
    """Tokens from the server's real token flow, as a client posting to the endpoint would get them."""
    answer = handle_token_request(
        server,
        TokenRequest(
            method="POST",
            content_type=FORM_CONTENT_TYPE,
            authorization=_basic(client_id, secret),
            body=urlencode({"grant_type": "password", "username": username, "password": password}).encode(),
            client_ip="127.0.0.1",
        ),
    )
    body = answer.json()
    if answer.status != 200:
        raise CommandError(f"the demo password grant was refused: {body.get('error')}: {body.get('error_description')}")
    return body


def _curl(*arguments: str) -> str:
    return " ".join(["curl", "-sS", "-w", shlex.quote("\\n"), *(shlex.quote(argument) for argument in arguments)])


class Command(BaseCommand):
    help = "Create or reset the demo user, scopes and client, then print ready-to-paste curl commands."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--base-url",
            default="http://127.0.0.1:8000",
            help="where the server listens, for the printed commands (default: %(default)s)",
        )
        parser.add_argument(
            "--aws-arn",
            help="also bind this AWS identity (an IAM user or role ARN) to the demo user, through the demo "
            "client; needs the aws_identity grant enabled (EXAMPLE_AWS_IDENTITY=1)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "demo_setup creates an admin user whose password it prints; it runs only with DEBUG = True"
            )
        base_url: str = options["base_url"].rstrip("/")
        if urlsplit(base_url).scheme not in ("http", "https"):
            raise CommandError("--base-url must start with http:// or https://, e.g. http://127.0.0.1:8000")
        try:
            server = get_server()
        except ConfigurationError as exc:
            raise CommandError(f"the OAuth 2.0 server is misconfigured: {exc}; run 'manage.py check'") from exc
        missing = [name for name in NEEDED_GRANTS if name not in server.registry]
        if missing:
            raise CommandError(f"the demo needs these grants enabled in OAUTH2_SERVER['GRANTS']: {', '.join(missing)}")
        aws_arn: str | None = options["aws_arn"]
        if aws_arn is not None and AWS.grant_type not in server.registry:
            raise CommandError(
                "--aws-arn needs the aws_identity grant: install it (pip install ./grants/aws_identity) and set "
                "EXAMPLE_AWS_IDENTITY=1, see example/README.md"
            )

        grant_types = [*NEEDED_GRANTS, AWS.grant_type] if aws_arn is not None else list(NEEDED_GRANTS)
        password = secrets.token_urlsafe(12)
        with transaction.atomic():
            client_secret = self._reset_accounts(password, grant_types, aws_arn)
        # Two separate grants: refreshing the first token's refresh token
        # revokes that access token, and the printed API command must keep
        # working whichever command is pasted first.
        for_api = _password_grant(server, DEMO_CLIENT_ID, client_secret, DEMO_USERNAME, password)
        for_refresh = _password_grant(server, DEMO_CLIENT_ID, client_secret, DEMO_USERNAME, password)
        self._print(base_url, password, client_secret, grant_types, for_api, for_refresh)
        if aws_arn is not None:
            self._print_aws(server, base_url, aws_arn)

    def _reset_accounts(self, password: str, grant_types: list[str], aws_arn: str | None) -> str:
        """Create or reset the scopes, user, client and AWS binding; return the client's new secret."""
        scopes = [
            Scope.objects.update_or_create(name=name, defaults={"description": description})[0]
            for name, description in SCOPES.items()
        ]
        user_model = get_user_model()
        user, _ = user_model._default_manager.get_or_create(**{user_model.USERNAME_FIELD: DEMO_USERNAME})
        user.set_password(password)
        # Staff and superuser, so the same login also opens /admin/ to look at clients and tokens.
        for flag in ("is_active", "is_staff", "is_superuser"):
            if hasattr(user, flag):
                setattr(user, flag, True)
        user.save()

        client = Client.objects.filter(client_id=DEMO_CLIENT_ID).first() or Client(client_id=DEMO_CLIENT_ID)
        client.name = "Demo client"
        client.client_type = Client.ClientType.CONFIDENTIAL
        client.grant_types = grant_types
        client.is_active = True
        try:
            client.full_clean()
        except ValidationError as exc:
            raise CommandError(f"the demo client is invalid: {'; '.join(exc.messages)}") from None
        client.save()
        client.scopes.set(scopes)
        # A reset leaves exactly one way in: the secret and tokens printed now.
        client.secrets.all().delete()
        AccessToken.objects.filter(client=client).revoke()
        RefreshToken.objects.filter(client=client).revoke()
        FederatedBinding.objects.filter(client=client).delete()
        if aws_arn is not None:
            self._bind_aws(aws_arn, client, user, scopes)
        return client.add_secret(label="demo_setup")[1]

    @staticmethod
    def _bind_aws(arn: str, client: Client, user: Any, scopes: list[Scope]) -> None:
        """Bind the exact ARN to the demo user through the demo client, checked as the admin would check it."""
        binding = FederatedBinding(
            issuer=AWS.name,
            match=FederatedBinding.Match.EXACT,
            pattern=arn,
            client=client,
            user=user,
            description="Created by demo_setup --aws-arn",
        )
        try:
            binding.full_clean()
        except ValidationError as exc:
            raise CommandError(f"--aws-arn {arn} can't be bound: {'; '.join(exc.messages)}") from None
        binding.save()
        binding.scopes.set(scopes)

    def _print(
        self,
        base_url: str,
        password: str,
        client_secret: str,
        grant_types: list[str],
        for_api: dict[str, Any],
        for_refresh: dict[str, Any],
    ) -> None:
        token_url = base_url + reverse("oauth2:token")
        api_url = base_url + reverse("me")
        credentials = f"{DEMO_CLIENT_ID}:{client_secret}"
        minutes = int(for_api["expires_in"]) // 60
        write = self.stdout.write
        write(self.style.SUCCESS("The demo is ready. Run this command again at any time to reset it."))
        write("")
        write(f"  user:          {DEMO_USERNAME}  (also an admin: {base_url}/admin/)")
        write(f"  password:      {password}")
        write(f"  client_id:     {DEMO_CLIENT_ID}  (confidential; grants: {', '.join(grant_types)})")
        write(f"  client_secret: {client_secret}")
        write(f"  scopes:        {', '.join(SCOPES)}  (a request that names none gets: read)")
        write("")
        write(f"Start the server if it is not running: python {sys.argv[0]} runserver {urlsplit(base_url).netloc}")
        write("")
        write("1. Password grant: the demo user's password for an access token and a refresh token")
        write(
            _curl(
                "-u", credentials,
                "-d", "grant_type=password",
                "-d", f"username={DEMO_USERNAME}",
                "-d", f"password={password}",
                token_url,
            )
        )  # fmt: skip
        write("")
        write("2. Refresh grant: a refresh token issued just now for new tokens (each refresh token works once;")
        write("   to refresh again, put the refresh_token of the last answer in its place)")
        write(
            _curl(
                "-u", credentials,
                "-d", "grant_type=refresh_token",
                "-d", f"refresh_token={for_refresh['refresh_token']}",
                token_url,
            )
        )  # fmt: skip
        write("")
        write(f"3. The protected API, with an access token issued just now (valid for {minutes} minutes)")
        write(_curl("-H", f"Authorization: Bearer {for_api['access_token']}", api_url))

    def _print_aws(self, server: Server, base_url: str, arn: str) -> None:
        """The client helper's command line for this server's aws_identity options."""
        grant_options = server.registry[AWS.grant_type].grant.options
        regions = sorted(grant_options.allowed_regions or ())
        arguments = [
            "oauth2-aws-identity-token",
            "--token-url", base_url + reverse("oauth2:token"),
            "--region", regions[0] if regions else AWS_DEFAULT_REGION,
        ]  # fmt: skip
        if grant_options.server_id is not None:
            arguments += ["--server-id", grant_options.server_id]
        if grant_options.sts_endpoint is not None:
            arguments += ["--sts-endpoint", grant_options.sts_endpoint]
        write = self.stdout.write
        write("")
        write(f"4. The aws_identity grant: {arn} gets tokens for {DEMO_USERNAME} (scopes: {', '.join(SCOPES)})")
        write("   Run it with that identity's credentials in AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (and")
        write("   AWS_SESSION_TOKEN); each run signs a new request and prints a new access token:")
        write(" ".join(shlex.quote(argument) for argument in arguments))
