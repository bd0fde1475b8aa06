"""The demo API: who the bearer token speaks for."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse

from oauth2_django.protection import token_required


@token_required("read")
def me(request: HttpRequest) -> JsonResponse:
    """The user, client and scope of the token that authenticated this request."""
    if request.method not in ("GET", "HEAD"):
        response = JsonResponse({"error": "method_not_allowed", "error_description": "use GET"}, status=405)
        response["Allow"] = "GET, HEAD"
        return response
    token = request.oauth2_token  # type: ignore[attr-defined]
    return JsonResponse(
        {
            "user": request.user.get_username(),
            "client": token.client_id,
            "scope": " ".join(sorted(token.scope)),
        }
    )
