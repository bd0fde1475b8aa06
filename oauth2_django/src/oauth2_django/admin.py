"""Admin for clients, secrets, scopes, tokens, federated bindings and provisioned identities.

A secret created here is shown once, in a message, and only its digest is
stored. Tokens appear by display prefix only and are read-only apart from the
revoke actions. No page ever shows a digest.
"""

from __future__ import annotations

from typing import Any, ClassVar, cast

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from oauth2_core.errors import ConfigurationError
from oauth2_core.tokens import CLIENT_SECRET_PREFIX, generate
from oauth2_django.issuers import ISSUERS
from oauth2_django.models import (
    AccessToken,
    Client,
    ClientSecret,
    FederatedBinding,
    FederatedIdentity,
    RefreshToken,
    Scope,
    Token,
)


def _announce(request: HttpRequest, client: Client, plaintext: str) -> None:
    messages.warning(
        request,
        f"New secret for client {client.client_id}: {plaintext} - copy it now. "
        "Only its digest is stored, so it cannot be shown again.",
    )


def _enabled_grant_types() -> list[str]:
    from oauth2_django.server import get_server

    try:
        return sorted(get_server().registry)
    except ConfigurationError:
        return []  # The model's clean() explains; 'manage.py check' says what to fix.


class ClientForm(forms.ModelForm):  # type: ignore[type-arg]
    grant_types = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The enabled grant types; a new grant appears here once it is enabled.",
    )
    redirect_uri = forms.URLField(required=False, max_length=2000, assume_scheme="https")

    class Meta:
        model = Client
        fields = "__all__"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = self.instance.grant_types if isinstance(self.instance.grant_types, list) else []
        # Keep types no longer enabled visible, so they can be unticked.
        names = sorted({*_enabled_grant_types(), *current})
        field = cast("forms.MultipleChoiceField", self.fields["grant_types"])
        field.choices = [(name, name) for name in names]


class NewSecretForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = ClientSecret
        fields = ("label", "expires_at")

    def has_changed(self) -> bool:
        # An added row is a request for a secret even when label and expiry are left empty.
        return self.instance._state.adding or super().has_changed()


class ClientSecretInline(admin.TabularInline):  # type: ignore[type-arg]
    model = ClientSecret
    form = NewSecretForm
    extra = 0
    fields = ("display", "label", "expires_at", "created_at")
    readonly_fields = ("display", "created_at")
    verbose_name = "secret"
    verbose_name_plural = "secrets (add one to generate it; it is shown once)"


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = ClientForm
    inlines = (ClientSecretInline,)
    list_display = ("name", "client_id", "client_type", "grant_types_display", "is_active", "owner", "created_at")
    list_filter = ("client_type", "is_active")
    search_fields = ("name", "client_id")
    filter_horizontal = ("scopes",)
    raw_id_fields = ("owner",)
    actions = ("generate_secret",)

    @admin.display(description="grant types")
    def grant_types_display(self, obj: Client) -> str:
        return ", ".join(obj.grant_types) if isinstance(obj.grant_types, list) else ""

    def get_readonly_fields(self, request: HttpRequest, obj: Client | None = None) -> tuple[str, ...]:
        # Tokens refer to clients by client_id, so it is fixed once created.
        return ("client_id", "created_at") if obj is not None else ("created_at",)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not ClientSecret:
            super().save_formset(request, form, formset, change)
            return
        for secret in formset.save(commit=False):
            if secret._state.adding:
                plaintext = generate(CLIENT_SECRET_PREFIX)
                secret.set_plaintext(plaintext)
                secret.save()
                _announce(request, secret.client, plaintext)
            else:
                secret.save()
        for secret in formset.deleted_objects:
            secret.delete()

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        client = form.instance
        if not change and client.confidential and not client.secrets.exists():
            _, plaintext = client.add_secret()
            _announce(request, client, plaintext)

    @admin.action(description="Generate a new secret for the selected clients", permissions=["change"])
    def generate_secret(self, request: HttpRequest, queryset: QuerySet[Client]) -> None:
        for client in queryset:
            if not client.confidential:
                messages.error(request, f"{client.client_id} is a public client; public clients have no secret.")
                continue
            _, plaintext = client.add_secret()
            _announce(request, client, plaintext)


@admin.register(ClientSecret)
class ClientSecretAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("display", "client", "label", "expires_at", "created_at")
    list_select_related = ("client",)
    search_fields = ("client__client_id", "client__name", "label")
    raw_id_fields = ("client",)

    def get_fields(self, request: HttpRequest, obj: ClientSecret | None = None) -> tuple[str, ...]:
        if obj is None:
            return ("client", "label", "expires_at")
        return ("client", "display", "label", "expires_at", "created_at")

    def get_readonly_fields(self, request: HttpRequest, obj: ClientSecret | None = None) -> tuple[str, ...]:
        return () if obj is None else ("client", "display", "created_at")

    def save_model(self, request: HttpRequest, obj: ClientSecret, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        plaintext = generate(CLIENT_SECRET_PREFIX)
        obj.set_plaintext(plaintext)
        super().save_model(request, obj, form, change)
        _announce(request, obj.client, plaintext)


@admin.register(Scope)
class ScopeAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "description")
    search_fields = ("name", "description")


class TokenAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Read-only token lists; the digest column is never shown."""

    list_display: tuple[str, ...] = ("display", "client", "user", "scope", "expires_at", "revoked_at", "created_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter), "expires_at")
    list_select_related = ("client", "user")
    search_fields = ("display", "client__client_id", "client__name", "family_id")
    fields: ClassVar[tuple[str, ...]] = (
        "display",
        "client",
        "user",
        "scope",
        "expires_at",
        "revoked_at",
        "family_id",
        "created_at",
    )
    readonly_fields: ClassVar[tuple[str, ...]] = fields
    actions = ("revoke", "revoke_families")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Token | None = None) -> bool:
        # Changing is only the revoke actions; a token's own page is view-only.
        return obj is None and super().has_change_permission(request)

    @admin.action(description="Revoke the selected tokens", permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        count = queryset.revoke()  # type: ignore[attr-defined]
        self.message_user(request, f"Revoked {count} token(s).")

    @admin.action(description="Revoke every token in the selected tokens' families", permissions=["change"])
    def revoke_families(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        count = queryset.revoke_families()  # type: ignore[attr-defined]
        self.message_user(request, f"Revoked {count} token(s) across their families.")


@admin.register(AccessToken)
class AccessTokenAdmin(TokenAdmin):
    pass


@admin.register(RefreshToken)
class RefreshTokenAdmin(TokenAdmin):
    list_display = (*TokenAdmin.list_display[:-1], "consumed_at", "created_at")
    fields = (*TokenAdmin.fields[:-1], "consumed_at", "created_at")
    readonly_fields = fields


class FederatedBindingForm(forms.ModelForm):  # type: ignore[type-arg]
    issuer = forms.ChoiceField(choices=[(name, name) for name in sorted(ISSUERS)])

    class Meta:
        model = FederatedBinding
        fields = "__all__"

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        client, scopes = cleaned.get("client"), cleaned.get("scopes")
        if client is not None and scopes is not None:
            allowed = set(client.scopes.values_list("name", flat=True))
            outside = sorted(scope.name for scope in scopes if scope.name not in allowed)
            if outside:
                # The grant narrows to the client's scopes, so these would silently never be granted.
                self.add_error(
                    "scopes",
                    f"The client may not be given {', '.join(outside)}; add them to the client first or leave them "
                    "out.",
                )
        return cleaned


@admin.register(FederatedBinding)
class FederatedBindingAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = FederatedBindingForm
    list_display = ("pattern", "issuer", "match", "client", "acts_for", "max_lifetime", "enabled", "updated_at")
    list_filter = ("issuer", "match", "enabled", "auto_provision")
    list_select_related = ("client", "user")
    search_fields = ("pattern", "description", "client__client_id", "client__name")
    filter_horizontal = ("scopes",)
    raw_id_fields = ("client", "user")
    readonly_fields = ("created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("issuer", "match", "pattern", "enabled", "description")}),
        ("Token", {"fields": ("client", "user", "auto_provision", "scopes", "max_lifetime")}),
        ("History", {"fields": ("created_at", "updated_at")}),
    )

    @admin.display(description="acts for")
    def acts_for(self, obj: FederatedBinding) -> str:
        if obj.auto_provision:
            return "a provisioned user per identity"
        return str(obj.user) if obj.user is not None else "the client alone"


@admin.register(FederatedIdentity)
class FederatedIdentityAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Read-only: rows are made only with a new user; deleting one gives the identity a new user next time."""

    list_display = ("subject", "issuer", "user", "created_at")
    list_filter = ("issuer",)
    list_select_related = ("user",)
    search_fields = ("subject",)
    fields = ("issuer", "subject", "user", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: FederatedIdentity | None = None) -> bool:
        return False
