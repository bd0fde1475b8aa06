"""The protected view, guarded the way oauth2-django documents: ``token_required`` over the bearer middleware."""

from __future__ import annotations

from benchcommon.fixture import SCOPE
from benchcommon.views import protected_payload
from django.http import HttpRequest, JsonResponse

from oauth2_django.protection import token_required


@token_required(SCOPE)
def protected(request: HttpRequest) -> JsonResponse:
    return protected_payload(request.user.get_username())
