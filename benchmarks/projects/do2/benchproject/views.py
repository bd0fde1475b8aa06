"""The protected view, guarded the way django-oauth2 documents: its scope-checking mixin."""

from __future__ import annotations

from benchcommon.fixture import SCOPE
from benchcommon.views import protected_payload
from django.http import HttpRequest, JsonResponse
from django.views import View
from provider.oauth2.mixins import OAuthRequiredMixin


class ProtectedView(OAuthRequiredMixin, View):
    accepted_oauth_scopes = [SCOPE]  # noqa: RUF012 - the mixin reads a plain list

    def get(self, request: HttpRequest) -> JsonResponse:
        return protected_payload(request.user.get_username())
