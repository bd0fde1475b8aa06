"""Resolving an external identity (issuer, subject) through the federated bindings, and provisioning its user.

Framework-neutral grants reach this through their host hooks (see
:mod:`oauth2_django.aws_identity`). Resolution is one query for the
candidate bindings (with their scopes and user joined); provisioning adds
one lookup, and two inserts the first time an identity signs in.
"""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, router, transaction
from django.db.models import Q

from oauth2_django import patterns
from oauth2_django.models import FederatedBinding, FederatedIdentity

logger = logging.getLogger("oauth2_django.federation")

#: Tries at creating a provisioned user when usernames collide (the first is the deterministic name).
PROVISION_ATTEMPTS = 4
_USERNAME_UNSAFE = re.compile(r"[^A-Za-z0-9@.+_-]")


class AmbiguousBinding(Exception):
    """Two or more bindings match one identity with equal precedence: a configuration error."""

    def __init__(self, issuer: str, subject: str, binding_ids: list[int]) -> None:
        self.issuer = issuer
        self.subject = subject
        self.binding_ids = binding_ids
        listed = ", ".join(f"#{pk}" for pk in binding_ids)
        super().__init__(
            f"{issuer} identity {subject} matches bindings {listed} with equal precedence; "
            "make one of them more specific or merge them"
        )


class ProvisioningFailed(Exception):
    """No user could be created for an identity: every username tried belongs to someone else."""


@dataclass(frozen=True, slots=True)
class Resolution:
    """What an identity is bound to: the client's id, the acting user's primary key, scopes and lifetime."""

    binding_id: int
    client_id: str
    user_id: str | None
    scopes: frozenset[str]
    max_lifetime: int | None


@dataclass(slots=True)
class _Candidate:
    pk: int
    match: str
    pattern: str
    enabled: bool
    client_id: str
    user_id: Any
    user_active: bool
    auto_provision: bool
    max_lifetime: int | None
    scopes: set[str] = field(default_factory=set)


def _user_has_is_active() -> bool:
    names = {model_field.name for model_field in get_user_model()._meta.get_fields()}
    return "is_active" in names


def _candidates(issuer: str, subject: str) -> list[_Candidate]:
    """Every binding whose pattern matches ``subject``, in one query (bindings times scopes rows)."""
    columns = [
        "pk",
        "match",
        "pattern",
        "enabled",
        "client__client_id",
        "user_id",
        "auto_provision",
        "max_lifetime",
        "scopes__name",
    ]
    active_column = _user_has_is_active()
    if active_column:
        columns.append("user__is_active")
    rows = FederatedBinding.objects.filter(issuer=issuer).filter(
        Q(match=patterns.Match.EXACT, pattern=subject) | Q(match=patterns.Match.GLOB)
    )
    found: dict[int, _Candidate] = {}
    for row in rows.values_list(*columns):
        pk, match, pattern, enabled, client_id, user_id, auto_provision, max_lifetime, scope = row[:9]
        candidate = found.get(pk)
        if candidate is None:
            if not patterns.matches(match, pattern, subject):
                continue
            user_active = row[9] is not False if active_column else True
            candidate = _Candidate(
                pk, match, pattern, enabled, client_id, user_id, user_active, auto_provision, max_lifetime
            )
            found[pk] = candidate
        if scope is not None:
            candidate.scopes.add(scope)
    return list(found.values())


def best_binding(issuer: str, subject: str) -> _Candidate | None:
    """The matching binding with the highest precedence; raises :class:`AmbiguousBinding` on a tie."""
    candidates = _candidates(issuer, subject)
    if not candidates:
        return None
    top = max(patterns.rank(candidate.match, candidate.pattern) for candidate in candidates)
    winners = [candidate for candidate in candidates if patterns.rank(candidate.match, candidate.pattern) == top]
    if len(winners) > 1:
        raise AmbiguousBinding(issuer, subject, sorted(candidate.pk for candidate in winners))
    return winners[0]


def resolve(issuer: str, subject: str) -> Resolution | None:
    """The binding of an identity, provisioning its user when the binding asks for it; None when refused.

    Refused: no binding matches, the best match is disabled, or the acting
    (or provisioned) user is inactive. Raises :class:`AmbiguousBinding` when
    the best matches tie, and :class:`ProvisioningFailed` when no user can be
    created.
    """
    winner = best_binding(issuer, subject)
    if winner is None:
        return None
    if not winner.enabled:
        logger.info(
            "federated identity refused: binding #%s is disabled issuer=%s subject=%s", winner.pk, issuer, subject
        )
        return None
    user_id: Any = winner.user_id
    if winner.auto_provision:
        user_id, active = provision(issuer, subject)
    else:
        active = winner.user_active
    if user_id is not None and not active:
        logger.info("federated identity refused: its user is inactive binding=#%s subject=%s", winner.pk, subject)
        return None
    return Resolution(
        binding_id=winner.pk,
        client_id=winner.client_id,
        user_id=None if user_id is None else str(user_id),
        scopes=frozenset(winner.scopes),
        max_lifetime=winner.max_lifetime,
    )


# -- provisioning ------------------------------------------------------------------------


def _username_limit() -> int:
    user_model = get_user_model()
    max_length = getattr(user_model._meta.get_field(user_model.USERNAME_FIELD), "max_length", None)
    return int(max_length) if max_length else 150


def provisioned_username(issuer: str, subject: str) -> str:
    """The deterministic username of an identity's user: issuer, a readable tail and 16 hex digits of its key.

    ``aws.alice.3f2a9c0d1e2b4a5f`` for ``arn:aws:iam::123456789012:user/team/alice``. Only
    characters Django's username validator accepts; never longer than the username field.
    """
    key = FederatedIdentity.key_for(issuer, subject)[:16]
    tail = _USERNAME_UNSAFE.sub("", re.split(r"[/:]", subject)[-1])
    # Room for "-" and 8 hex digits, the suffix a collision adds.
    room = _username_limit() - len(issuer) - len(key) - 2 - 9
    return ".".join(part for part in (issuer, tail[: max(room, 0)], key) if part)


def _existing(key: str, alias: str) -> tuple[Any, bool] | None:
    """(user pk, active) of the identity's provisioned user, or None when it has none yet."""
    fields = ["user_id", "user__is_active"] if _user_has_is_active() else ["user_id"]
    row = FederatedIdentity.objects.using(alias).filter(key=key).values_list(*fields).first()
    if row is None:
        return None
    return row[0], (row[1] is not False) if len(row) > 1 else True


def provision(issuer: str, subject: str) -> tuple[Any, bool]:
    """The (user pk, active) of the identity's own user, created on first use.

    The user is new, has an unusable password and is recorded with the
    identity in one transaction. Concurrent first sign-ins race on the
    unique identity key (and on the deterministic username): the losers'
    transactions roll back and they read the winner's row, so one identity
    never gets two users. On PostgreSQL a loser waits for the winner's
    commit at the unique index, then sees it. A username already taken by
    an unrelated user is never reused: the next try adds a random suffix.
    """
    alias = router.db_for_write(FederatedIdentity)
    key = FederatedIdentity.key_for(issuer, subject)
    user_model = get_user_model()
    base = provisioned_username(issuer, subject)
    for attempt in range(PROVISION_ATTEMPTS):
        found = _existing(key, alias)
        if found is not None:
            return found
        username = base if attempt == 0 else f"{base}-{secrets.token_hex(4)}"
        try:
            with transaction.atomic(using=alias):
                user = user_model(**{user_model.USERNAME_FIELD: username})
                user.set_unusable_password()
                user.save(using=alias)
                FederatedIdentity.objects.using(alias).create(issuer=issuer, subject=subject, key=key, user=user)
        except IntegrityError:
            # Expected: another request provisioned this identity, or the username belongs to
            # someone else. Anything else (a user model with more required fields) is re-raised.
            taken = user_model._default_manager.using(alias).filter(**{user_model.USERNAME_FIELD: username})
            if _existing(key, alias) is None and not taken.exists():
                raise
            continue
        logger.info("provisioned user %s for federated identity issuer=%s subject=%s", user.pk, issuer, subject)
        return user.pk, True
    found = _existing(key, alias)
    if found is not None:
        return found
    raise ProvisioningFailed(
        f"no user could be provisioned for {issuer} identity {subject}: {PROVISION_ATTEMPTS} usernames were taken"
    )
