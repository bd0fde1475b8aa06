"""The protected view, guarded the way django-oauth-toolkit documents: its ``protected_resource`` decorator."""

from __future__ import annotations

from benchcommon.fixture import SCOPE
from benchcommon.views import protected_payload
from django.http import HttpRequest, JsonResponse
from oauth2_provider.decorators import protected_resource


@protected_resource(scopes=[SCOPE])
def protected(request: HttpRequest) -> JsonResponse:
    # The decorator puts the token's owner on request.resource_owner, not request.user.
    return protected_payload(request.resource_owner.get_username())  # type: ignore[attr-defined]
