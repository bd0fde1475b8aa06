"""The app configuration: label ``oauth2`` (tables ``oauth2_*``) and system-check registration."""

from __future__ import annotations

from django.apps import AppConfig


class OAuth2Config(AppConfig):
    name = "oauth2_django"
    label = "oauth2"
    verbose_name = "OAuth 2.0"
    # Pinned so migrations do not depend on the project's DEFAULT_AUTO_FIELD or Django's default for it.
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from oauth2_django import checks

        checks.register_all()
