"""``manage.py oauth2_clear_tokens``: delete expired and revoked tokens in small batches.

Each batch is its own short transaction, so the token endpoint keeps working
while millions of rows go. Consumed refresh tokens stay until they expire or
their family is revoked: presenting one again is how reuse is detected.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import router, transaction
from django.db.models import Model, Q
from django.utils import timezone

from oauth2_django.models import AccessToken, RefreshToken


def clear(model: type[Model], condition: Q, batch_size: int) -> tuple[int, int]:
    """Delete the rows matching ``condition``, ``batch_size`` at a time; returns (rows, batches)."""
    alias = router.db_for_write(model)
    deleted = batches = 0
    while True:
        with transaction.atomic(using=alias):
            matching = model._default_manager.using(alias).filter(condition)
            # The key of the batch's last row bounds the DELETE without a long IN (...) list.
            last = list(matching.order_by("pk").values_list("pk", flat=True)[batch_size - 1 : batch_size])
            batch = matching.filter(pk__lte=last[0]) if last else matching
            count, _ = batch.delete()
        deleted += count
        batches += 1 if count else 0
        if not last:
            return deleted, batches


class Command(BaseCommand):
    help = "Delete expired and revoked access and refresh tokens, in batches."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=10_000, help="rows per transaction (default 10000)")

    def handle(self, *args: Any, **options: Any) -> None:
        batch_size: int = options["batch_size"]
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        now = timezone.now()
        dead = Q(expires_at__lte=now) | Q(revoked_at__isnull=False)
        access, access_batches = clear(AccessToken, dead, batch_size)
        refresh, refresh_batches = clear(RefreshToken, dead, batch_size)
        self.stdout.write(
            f"Deleted {access} access token(s) in {access_batches} batch(es) "
            f"and {refresh} refresh token(s) in {refresh_batches} batch(es)."
        )
