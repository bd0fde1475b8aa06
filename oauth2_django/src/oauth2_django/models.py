"""The database side: clients and their secrets, scopes, access and refresh tokens, federated bindings.

No token or secret is stored in plaintext: each row keeps the SHA-256 digest
(the lookup key) and a short display prefix for people to tell rows apart.
"""

from __future__ import annotations

import secrets
import string
from datetime import datetime
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone

from oauth2_core.clients import ClientAuthentication
from oauth2_core.errors import ConfigurationError
from oauth2_core.tokens import CLIENT_SECRET_PREFIX, digest, display_prefix, generate
from oauth2_django import issuers, patterns

#: RFC 6749 3.3 scope-token characters.
scope_name_validator = RegexValidator(
    r"^[\x21\x23-\x5b\x5d-\x7e]+$", "A scope name is printable ASCII without spaces, '\"' or '\\'."
)
#: RFC 6749 A.1: client_id is printable ASCII; we also keep it URL- and header-friendly.
client_id_validator = RegexValidator(r"^[A-Za-z0-9._~-]+$", "Use letters, digits and . _ ~ - only.")


#: Letters and digits only: a generated id never starts with "-", which command lines
#: (``--client-id -x``, ``curl -u``) would read as an option.
_CLIENT_ID_ALPHABET = string.ascii_letters + string.digits


def generate_client_id() -> str:
    """A public, unguessable-enough identifier (it is not a secret): 24 characters, about 143 bits."""
    return "".join(secrets.choice(_CLIENT_ID_ALPHABET) for _ in range(24))


class Scope(models.Model):
    """A scope a client may be granted, e.g. ``read``."""

    name = models.CharField(max_length=100, unique=True, validators=[scope_name_validator])
    description = models.TextField(blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["name"]

    def __str__(self) -> str:
        return self.name


class Client(models.Model):
    """A registered OAuth 2.0 client (RFC 6749 2).

    ``grant_types`` lists the wire grant types the client may use. It has no
    ``choices``: it is validated against the enabled grants in :meth:`clean`,
    so installing a new grant never needs a migration.

    ``scopes`` are the scopes the client may be given. An empty set means the
    client can only obtain tokens with no scope at all; it never means "every
    scope".
    """

    class ClientType(models.TextChoices):
        CONFIDENTIAL = "confidential", "Confidential (can keep a secret)"
        PUBLIC = "public", "Public (no secret)"

    client_id = models.CharField(
        max_length=100, unique=True, default=generate_client_id, validators=[client_id_validator]
    )
    name = models.CharField(max_length=255)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="oauth2_clients",
    )
    client_type = models.CharField(max_length=12, choices=ClientType.choices, default=ClientType.CONFIDENTIAL)
    redirect_uri = models.URLField(max_length=2000, blank=True)
    grant_types = models.JSONField(default=list, blank=True, help_text="Wire grant types this client may use.")
    scopes = models.ManyToManyField(
        Scope,
        blank=True,
        related_name="clients",
        help_text="Scopes this client may be given. None selected means tokens without any scope.",
    )
    is_active = models.BooleanField(default=True, help_text="Inactive clients get no tokens and their tokens fail.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering: ClassVar[list[str]] = ["name", "client_id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.client_id})"

    @property
    def confidential(self) -> bool:
        return self.client_type == self.ClientType.CONFIDENTIAL

    def clean(self) -> None:
        super().clean()
        # Imported here: the registry needs the server, which needs the app registry ready.
        from oauth2_django.server import get_server

        value = self.grant_types
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise ValidationError({"grant_types": 'Give a list of grant types, e.g. ["password", "refresh_token"].'})
        try:
            registry = get_server().registry
        except ConfigurationError as exc:
            raise ValidationError(f"The OAuth 2.0 server is misconfigured ({exc}); run 'manage.py check'.") from exc
        enabled = ", ".join(sorted(registry)) or "none"
        errors = []
        for grant_type in value:
            entry = registry.get(grant_type)
            if entry is None:
                errors.append(f"{grant_type!r} is not an enabled grant type (enabled: {enabled}).")
            elif not self.confidential and entry.grant.client_authentication is ClientAuthentication.REQUIRED:
                errors.append(f"{grant_type!r} needs a client secret, so a public client cannot use it.")
        if errors:
            raise ValidationError({"grant_types": errors})
        self.grant_types = sorted(set(value))

    def add_secret(self, *, expires_at: datetime | None = None, label: str = "") -> tuple[ClientSecret, str]:
        """Create a new secret; returns the row and the plaintext, which is not kept anywhere."""
        plaintext = generate(CLIENT_SECRET_PREFIX)
        secret = ClientSecret(client=self, label=label, expires_at=expires_at)
        secret.set_plaintext(plaintext)
        secret.save()
        return secret, plaintext


class ClientSecret(models.Model):
    """One of a client's secrets. Several may be valid at once, which allows rotation without downtime."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="secrets")
    digest = models.CharField(max_length=64, unique=True, editable=False)
    display = models.CharField("secret", max_length=16, editable=False)
    label = models.CharField(max_length=100, blank=True, help_text="Where this secret is used, for rotation.")
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Empty: does not expire.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering: ClassVar[list[str]] = ["client", "-created_at"]

    def __str__(self) -> str:
        return f"{self.display}..."

    def set_plaintext(self, plaintext: str) -> None:
        self.digest = digest(plaintext)
        self.display = display_prefix(plaintext)


class TokenQuerySet(models.QuerySet[Any]):
    def revoke(self) -> int:
        """Revoke the tokens not yet revoked; returns how many."""
        return self.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())

    def revoke_families(self) -> int:
        """Revoke every access and refresh token in the families of these tokens."""
        families = set(self.values_list("family_id", flat=True))
        now = timezone.now()
        count = 0
        for model in (AccessToken, RefreshToken):
            count += model.objects.filter(family_id__in=families, revoked_at__isnull=True).update(revoked_at=now)
        return count


class Token(models.Model):
    """Columns shared by access and refresh tokens."""

    digest = models.CharField(max_length=64, unique=True, editable=False)
    display = models.CharField("token", max_length=16, editable=False)
    # Keyed on the public client_id so a stored token names its client without a lookup.
    client = models.ForeignKey(Client, to_field="client_id", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    scope = models.TextField(blank=True, help_text="Space-separated scope names.")
    family_id = models.CharField(max_length=64, db_index=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = TokenQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering: ClassVar[list[str]] = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.display}..."

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset(self.scope.split())


class AccessToken(Token):
    expires_at = models.DateTimeField(db_index=True)


class RefreshToken(Token):
    #: None: the refresh token lives until it is rotated or revoked.
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    #: Set when the token was exchanged; presenting it again revokes its family (RFC 9700 4.14.2).
    consumed_at = models.DateTimeField(null=True, blank=True)
    #: Digest of the access token issued with it, revoked when this token is rotated.
    access_digest = models.CharField(max_length=64, editable=False)


class FederatedBinding(models.Model):
    """Maps identities of an external issuer (such as AWS) to a client, a user, scopes and a token lifetime.

    ``pattern`` is matched against the identity's subject (for AWS, the
    canonical caller ARN), exactly or as a ``*`` glob; see
    :mod:`oauth2_django.patterns` for the precedence. The token acts for
    ``user``, for a user provisioned per identity (``auto_provision``), or
    for the client alone when neither is set.
    """

    Match = patterns.Match

    issuer = models.CharField(max_length=64, help_text="Who vouches for the identity, e.g. 'aws'.")
    match = models.CharField(
        max_length=8,
        choices=[(Match.EXACT.value, "Exact"), (Match.GLOB.value, "Glob ('*' matches any run of characters)")],
        default=Match.EXACT.value,
    )
    pattern = models.CharField(
        "subject pattern",
        max_length=patterns.MAX_PATTERN_LENGTH,
        help_text="For AWS: the caller ARN, e.g. arn:aws:iam::123456789012:role/deployer "
        "(roles without their path), or a glob such as arn:aws:iam::123456789012:role/ci-*.",
    )
    client = models.ForeignKey(
        Client,
        on_delete=models.CASCADE,
        related_name="federated_bindings",
        help_text="The client that receives the tokens; it must allow the issuer's grant type.",
    )
    # CASCADE, not SET_NULL: losing the user must not quietly turn the binding into a client-only one.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="The user the tokens act for. Leave empty, with auto-provisioning off, for client-only tokens.",
    )
    auto_provision = models.BooleanField(
        default=False,
        help_text="Act for a user of each matched identity's own, created on its first sign-in "
        "(never an existing user).",
    )
    scopes = models.ManyToManyField(
        Scope,
        blank=True,
        related_name="+",
        help_text="The most the tokens may carry; narrowed further to the client's scopes.",
    )
    max_lifetime = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Seconds; caps the token lifetime below the server's. Empty: the server's lifetime.",
    )
    enabled = models.BooleanField(
        default=True,
        help_text="A disabled binding still takes precedence: an identity it is the best match for is refused, "
        "never handed to a broader glob.",
    )
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["issuer", "pattern"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=True) | models.Q(auto_provision=False),
                name="oauth2_federatedbinding_one_user_source",
                violation_error_message="Name a user or turn on auto-provisioning, not both.",
            ),
            models.CheckConstraint(
                condition=models.Q(max_lifetime__isnull=True) | models.Q(max_lifetime__gte=1),
                name="oauth2_federatedbinding_positive_lifetime",
                violation_error_message="The maximum lifetime is at least one second.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.issuer} {self.match} {self.pattern}"

    @property
    def rank(self) -> tuple[int, int]:
        return patterns.rank(self.match, self.pattern)

    def ties_with(self, other: FederatedBinding) -> bool:
        """Whether some identity matches both bindings with equal precedence."""
        return (
            self.issuer == other.issuer
            and self.rank == other.rank
            and patterns.can_overlap((self.match, self.pattern), (other.match, other.pattern))
        )

    def clean(self) -> None:
        super().clean()
        errors: dict[str, list[str]] = {}
        problem = issuers.issuer_problem(self.issuer)
        if problem is not None:
            errors["issuer"] = [problem]
        pattern_errors = issuers.pattern_problems(self.issuer, self.match, self.pattern or "")
        if pattern_errors:
            errors["pattern"] = pattern_errors
        if self.user_id is not None and self.auto_provision:
            errors["auto_provision"] = ["Name a user or turn on auto-provisioning, not both."]
        issuer = issuers.issuer_for(self.issuer)
        if issuer is not None and self.client_id is not None:
            grant_types = self.client.grant_types if isinstance(self.client.grant_types, list) else []
            if issuer.grant_type not in grant_types:
                errors.setdefault("client", []).append(
                    f"This client may not use the {issuer.grant_type!r} grant type, so it could never get a "
                    "token through this binding: tick it in the client's grant types first."
                )
        if not errors:
            rivals = FederatedBinding.objects.filter(issuer=self.issuer).exclude(pk=self.pk)
            for rival in rivals.only("pk", "issuer", "match", "pattern"):
                if self.ties_with(rival):
                    errors["pattern"] = [
                        f"Some identities would match both this pattern and binding #{rival.pk} ({rival.pattern}) "
                        "with the same precedence. Make one of them more specific, or merge them."
                    ]
                    break
        if errors:
            raise ValidationError(errors)


class FederatedIdentity(models.Model):
    """The user provisioned for one external identity: (issuer, subject) to user, one to one.

    Rows are created only together with a brand-new user, never pointed at
    an existing one. Deleting the user deletes the row; the identity's next
    sign-in then gets another new user.
    """

    issuer = models.CharField(max_length=64, editable=False)
    subject = models.CharField(max_length=patterns.MAX_PATTERN_LENGTH, editable=False)
    #: SHA-256 of issuer and subject: a short unique key whatever the subject's length or the index limits.
    key = models.CharField(max_length=64, unique=True, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="oauth2_federated_identity", editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering: ClassVar[list[str]] = ["issuer", "subject"]
        verbose_name_plural = "federated identities"

    def __str__(self) -> str:
        return f"{self.issuer} {self.subject}"

    @staticmethod
    def key_for(issuer: str, subject: str) -> str:
        # The newline cannot occur in an issuer name, so no two (issuer, subject) pairs share a key text.
        return digest(f"{issuer}\n{subject}")
