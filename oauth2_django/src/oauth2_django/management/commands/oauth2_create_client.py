"""``manage.py oauth2_create_client``: register a client and print its secret, once."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from oauth2_core.clients import ClientAuthentication
from oauth2_django.models import Client, Scope, scope_name_validator
from oauth2_django.server import get_server


def _default_grant_types(public: bool) -> list[str]:
    registry = get_server().registry
    return sorted(
        grant_type
        for grant_type, entry in registry.items()
        if not (public and entry.grant.client_authentication is ClientAuthentication.REQUIRED)
    )


class Command(BaseCommand):
    help = "Create an OAuth 2.0 client. A confidential client's secret is printed once and never stored."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="a name people recognise the client by")
        parser.add_argument("--public", action="store_true", help="a public client (no secret), e.g. a mobile app")
        parser.add_argument(
            "--grant-type",
            action="append",
            dest="grant_types",
            metavar="GRANT_TYPE",
            help="a grant type the client may use; repeat for several (default: every enabled one that fits)",
        )
        parser.add_argument(
            "--scope",
            action="append",
            dest="scopes",
            metavar="SCOPE",
            help="a scope the client may be given; repeat for several; missing scopes are created",
        )
        parser.add_argument("--client-id", help="use this client_id instead of a generated one")
        parser.add_argument("--owner", metavar="USERNAME", help="the user who owns the client")
        parser.add_argument("--json", action="store_true", help="print the result as one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        public: bool = options["public"]
        scope_names = sorted({name for value in options["scopes"] or () for name in value.split()})
        for name in scope_names:
            try:
                scope_name_validator(name)
            except ValidationError as exc:
                raise CommandError(f"--scope {name!r}: {' '.join(exc.messages)}") from None
        client = Client(
            name=options["name"],
            client_type=Client.ClientType.PUBLIC if public else Client.ClientType.CONFIDENTIAL,
            grant_types=options["grant_types"] or _default_grant_types(public),
        )
        if options["client_id"]:
            client.client_id = options["client_id"]
        if options["owner"]:
            user_model = get_user_model()
            try:
                client.owner = user_model._default_manager.get_by_natural_key(options["owner"])
            except user_model.DoesNotExist:
                raise CommandError(f"--owner: no user {options['owner']!r}") from None
        try:
            client.full_clean()
        except ValidationError as exc:
            problems = "; ".join(f"{field}: {' '.join(errors)}" for field, errors in exc.message_dict.items())
            raise CommandError(problems) from None
        created_scopes = []
        with transaction.atomic():
            client.save()
            for name in scope_names:
                scope, created = Scope.objects.get_or_create(name=name)
                if created:
                    created_scopes.append(name)
                client.scopes.add(scope)
            plaintext = client.add_secret()[1] if client.confidential else None
        self._report(client, scope_names, created_scopes, plaintext, as_json=options["json"])

    def _report(
        self, client: Client, scopes: list[str], created: list[str], secret: str | None, *, as_json: bool
    ) -> None:
        if as_json:
            result = {
                "client_id": client.client_id,
                "client_secret": secret,
                "client_type": client.client_type,
                "grant_types": client.grant_types,
                "scope": " ".join(scopes),
            }
            self.stdout.write(json.dumps(result))
            return
        if created:
            self.stdout.write(f"Created scope(s): {', '.join(created)}")
        self.stdout.write(
            f"Created {client.client_type} client {client.name!r} with grant types "
            f"{', '.join(client.grant_types) or 'none'} and scope {' '.join(scopes) or '(none)'}."
        )
        self.stdout.write(f"client_id:     {client.client_id}")
        if secret is not None:
            self.stdout.write(f"client_secret: {secret}")
            self.stdout.write(self.style.WARNING("Copy the secret now: only its digest is stored."))
