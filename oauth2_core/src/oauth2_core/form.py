"""Strict parsing of ``application/x-www-form-urlencoded`` token requests (RFC 6749 3.2).

Stricter than ``urllib.parse.parse_qs`` on purpose: a repeated parameter, a
broken percent-escape, a body that is not UTF-8 or is too large are all
``invalid_request`` instead of being silently repaired.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

from oauth2_core.errors import InvalidRequest

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
_BAD_ESCAPE = re.compile(rb"%(?![0-9A-Fa-f]{2})")
#: C0 controls and DEL: never part of a printable value such as a client_id or a username.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def check_content_type(content_type: str | None) -> None:
    """Accept the form media type, with no parameter but ``charset=utf-8``."""
    if content_type is None:
        raise InvalidRequest(f"the request body must be {FORM_CONTENT_TYPE}")
    media_type, *parameters = (part.strip() for part in content_type.split(";"))
    if media_type.lower() != FORM_CONTENT_TYPE:
        raise InvalidRequest(f"the request body must be {FORM_CONTENT_TYPE}")
    for parameter in parameters:
        key, _, value = parameter.partition("=")
        if key.strip().lower() != "charset" or value.strip().strip('"').lower() != "utf-8":
            raise InvalidRequest("the only content-type parameter accepted is charset=utf-8")


def _decode(raw: bytes) -> str:
    if _BAD_ESCAPE.search(raw):
        raise InvalidRequest("the request body contains a malformed percent-escape")
    try:
        return unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidRequest("the request body is not valid UTF-8") from None


def parse_form(body: bytes, max_bytes: int) -> dict[str, str]:
    """The parameters of a form body.

    Parameters sent with an empty value count as omitted (RFC 6749 3.1), but
    still count towards the no-repeats rule.
    """
    if len(body) > max_bytes:
        raise InvalidRequest("the request body is too large", status=413)
    seen: set[str] = set()
    form: dict[str, str] = {}
    for pair in body.split(b"&"):
        if not pair:
            continue
        raw_name, _, raw_value = pair.partition(b"=")
        name = _decode(raw_name)
        if name in seen:
            raise InvalidRequest("a parameter was sent more than once")
        seen.add(name)
        value = _decode(raw_value)
        if value:
            form[name] = value
    return form
