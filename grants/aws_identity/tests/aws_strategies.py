"""Hypothesis strategies for the aws_identity parameters: a correctly signed request broken in small ways.

``oauth2_testing`` generates printable text for each declared parameter;
these start from a real signed header set and apply a few targeted
mutations (each one a single draw, to keep thousands of examples fast), so
the fuzzing reaches the SigV4, header and server-ID checks behind the JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from aws_support import SERVER_ID, fake_credentials, sign_botocore
from hypothesis import strategies as st

from oauth2_grant_aws_identity import POST_BODY

HOST = "sts.us-east-1.amazonaws.com"
BASE = sign_botocore(fake_credentials(), HOST)

Headers = dict[str, object]


def _auth(transform: Callable[[str], str]) -> Callable[[Headers, str], None]:
    def apply(headers: Headers, _: str) -> None:
        headers["Authorization"] = transform(str(headers.get("Authorization", "")))

    return apply


def _set(name: str) -> Callable[[Headers, str], None]:
    def apply(headers: Headers, junk: str) -> None:
        headers[name] = junk

    return apply


def _drop(name: str) -> Callable[[Headers, str], None]:
    def apply(headers: Headers, _: str) -> None:
        headers.pop(name, None)

    return apply


def _odd_value(headers: Headers, junk: str) -> None:
    headers[junk or "X"] = [junk] if len(junk) % 2 else None


MUTATIONS: list[Callable[[Headers, str], None]] = [
    _set("X-Amz-Date"),
    _set("Authorization"),
    _set("Host"),
    _set("host"),
    _set("X-OAuth2-Server-ID"),
    _set("X-Amz-Security-Token"),
    _set("X-Amz-Content-Sha256"),
    _set("Content-Type"),
    _drop("X-Amz-Date"),
    _drop("Authorization"),
    _drop("X-OAuth2-Server-ID"),
    _auth(lambda value: value.replace("us-east-1", "eu-west-1")),
    _auth(lambda value: value.replace("/sts/", "/iam/")),
    _auth(lambda value: value.replace("host;", "")),
    _auth(lambda value: value.replace(", ", ",")),
    _auth(lambda value: value.replace(", ", ",,")),
    _auth(lambda value: value.replace("AWS4-HMAC-SHA256 ", "AWS4-HMAC-SHA256  ")),
    _auth(lambda value: value.upper()),
    _auth(lambda value: value[:-1]),
    _auth(lambda value: value + ", Signature=" + "a" * 64),
    _auth(lambda value: value.replace("SignedHeaders=", "SignedHeaders=a;")),
    lambda headers, junk: headers.__setitem__("Authorization", str(headers.get("Authorization", "")) + junk),
    lambda headers, junk: headers.__setitem__("X-Amz-Date", "20300101T000000Z"),
    lambda headers, junk: headers.__setitem__("X-Amz-Date", str(headers.get("X-Amz-Date", ""))[:8] + "T246060Z"),
    lambda headers, junk: headers.__setitem__("HOST", HOST),
    lambda headers, junk: headers.__setitem__(f"X-Pad-{junk}", "x"),
    _odd_value,
]

_junk = st.text(max_size=24) | st.sampled_from(["", " ", "\r\n", "\x00", "a" * 5000, "\u2028", "AKIA"])


@st.composite
def headers_json(draw: st.DrawFn) -> str:
    """A headers_json value: the signed base with zero to three mutations, sometimes mangled as JSON."""
    headers: Headers = dict(BASE)
    for mutation in draw(st.lists(st.sampled_from(MUTATIONS), max_size=3)):
        mutation(headers, draw(_junk))
    encoded = json.dumps(headers)
    mangle = draw(st.integers(0, 9))
    if mangle == 0:
        return encoded[: draw(st.integers(0, len(encoded)))]
    if mangle == 1:
        return encoded[:-1] + ', "authorization": "x"}'
    if mangle == 2:
        return "[" + encoded + "]"
    return encoded


# Mostly the region the base request was signed for, so most examples get past the region check.
regions = st.sampled_from(["us-east-1"] * 6 + ["eu-west-1", "cn-north-1", "us-iso-east-1", "evil.example#"])
post_bodies = st.sampled_from(
    [POST_BODY, POST_BODY, "Version=2011-06-15&Action=GetCallerIdentity", "Action=AssumeRole"]
)

#: Overrides for oauth2_testing's valid_forms / hostile_forms.
PARAMETER_VALUES = {"region": regions, "post_body": post_bodies, "headers_json": headers_json()}
__all__ = ["PARAMETER_VALUES", "SERVER_ID", "headers_json", "post_bodies", "regions"]
