"""Form parsing per RFC 6749 3.2: strict urlencoded UTF-8, no repeats, bounded size."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oauth2_core.errors import InvalidRequest, OAuth2Error
from oauth2_core.form import check_content_type, parse_form
from oauth2_testing.profiles import fuzz_settings

LIMIT = 16 * 1024


def refused(body: bytes, limit: int = LIMIT) -> InvalidRequest:
    with pytest.raises(InvalidRequest) as caught:
        parse_form(body, limit)
    return caught.value


class TestParseForm:
    def test_plain_pairs(self) -> None:
        assert parse_form(b"grant_type=password&username=alice", LIMIT) == {
            "grant_type": "password",
            "username": "alice",
        }

    def test_plus_is_space_and_escapes_decode_as_utf8(self) -> None:
        body = b"scope=read+write&name=J%C3%BCrgen%20M&sym=%2B%26%3D"
        assert parse_form(body, LIMIT) == {"scope": "read write", "name": "Jürgen M", "sym": "+&="}

    def test_escaped_names_decode_too(self) -> None:
        assert parse_form(b"grant%5Ftype=x", LIMIT) == {"grant_type": "x"}

    @pytest.mark.parametrize("body", [b"", b"&", b"&&&", b"a=1&&b=2&"])
    def test_empty_pairs_are_ignored(self, body: bytes) -> None:
        assert parse_form(body, LIMIT) == ({"a": "1", "b": "2"} if b"a=1" in body else {})

    @pytest.mark.parametrize("body", [b"scope=", b"scope", b"scope=&grant_type=x"])
    def test_empty_value_counts_as_omitted(self, body: bytes) -> None:
        assert "scope" not in parse_form(body, LIMIT)

    def test_value_may_contain_equals_sign(self) -> None:
        assert parse_form(b"a=b=c", LIMIT) == {"a": "b=c"}

    @pytest.mark.parametrize(
        "body",
        [
            b"grant_type=password&grant_type=password",
            b"scope=read&scope=write",
            # An empty value is "omitted" but still a repeat: the client sent the parameter twice.
            b"scope=&scope=read",
            b"scope=read&scope=",
            b"scope&scope",
            # The same name spelled with an escape is still the same parameter.
            b"grant_type=a&grant%5Ftype=b",
        ],
    )
    def test_repeated_parameter_is_invalid_request(self, body: bytes) -> None:
        error = refused(body)
        assert error.status == 400
        assert error.description == "a parameter was sent more than once"

    @pytest.mark.parametrize("body", [b"a=%", b"a=%4", b"a=%zz", b"a=%G0", b"%=1", b"a=100%", b"a=%%41"])
    def test_malformed_percent_escape(self, body: bytes) -> None:
        assert "percent-escape" in refused(body).description

    @pytest.mark.parametrize("body", [b"a=%ff", b"a=%c3", b"a=%ed%a0%80", b"a=\xe9t\xe9", b"\xff=1", b"a=%C3%28"])
    def test_non_utf8_is_invalid_request(self, body: bytes) -> None:
        assert refused(body).description == "the request body is not valid UTF-8"

    def test_raw_utf8_is_accepted(self) -> None:
        assert parse_form("name=Zoë".encode(), LIMIT) == {"name": "Zoë"}

    def test_size_limit_is_inclusive_and_excess_answers_413(self) -> None:
        at_limit = b"a=" + b"x" * (LIMIT - 2)
        assert parse_form(at_limit, LIMIT)["a"] == "x" * (LIMIT - 2)
        error = refused(at_limit + b"x")
        assert error.status == 413
        assert error.error == "invalid_request"
        assert error.description == "the request body is too large"

    def test_size_is_checked_before_parsing(self) -> None:
        # Junk that would be a UTF-8 error is reported as too large: no work is spent on an oversized body.
        assert refused(b"\xff" * (LIMIT + 1)).status == 413


class TestContentType:
    @pytest.mark.parametrize(
        "value",
        [
            "application/x-www-form-urlencoded",
            "APPLICATION/X-WWW-FORM-URLENCODED",
            "application/x-www-form-urlencoded; charset=utf-8",
            "application/x-www-form-urlencoded;charset=UTF-8",
            'application/x-www-form-urlencoded; charset="utf-8"',
            "  application/x-www-form-urlencoded  ",
        ],
    )
    def test_form_media_type_accepted(self, value: str) -> None:
        check_content_type(value)

    @pytest.mark.parametrize(
        "value",
        [
            None,
            "",
            "application/json",
            "multipart/form-data; boundary=x",
            "text/plain",
            "application/x-www-form-urlencoded-extra",
        ],
    )
    def test_other_media_types_refused(self, value: str | None) -> None:
        with pytest.raises(InvalidRequest, match="must be application/x-www-form-urlencoded"):
            check_content_type(value)

    @pytest.mark.parametrize(
        "value",
        [
            "application/x-www-form-urlencoded; charset=latin-1",
            "application/x-www-form-urlencoded; charset=utf-16",
            "application/x-www-form-urlencoded; boundary=x",
            "application/x-www-form-urlencoded; charset=utf-8; q=1",
        ],
    )
    def test_only_charset_utf8_parameter_accepted(self, value: str) -> None:
        with pytest.raises(InvalidRequest, match="charset=utf-8"):
            check_content_type(value)


# -- fuzzing ---------------------------------------------------------------------

NAMES = st.sampled_from(["grant_type", "scope", "username", "password", "client_id", "a", "", "%41", "x%5F"])
VALUE_TEXT = st.text(st.characters(codec="utf-8"), max_size=40)
JUNK_BYTES = st.binary(max_size=40)


@st.composite
def raw_form_bodies(draw: st.DrawFn) -> bytes:
    """Mostly well-formed bodies with repeats, odd escapes, stray bytes and oversizing mixed in."""
    pairs: list[bytes] = []
    for _ in range(draw(st.integers(0, 8))):
        name = draw(NAMES).encode()
        kind = draw(st.sampled_from(["quoted", "raw_text", "junk", "no_equals", "empty"]))
        if kind == "quoted":
            pairs.append(name + b"=" + quote(draw(VALUE_TEXT), safe="").encode())
        elif kind == "raw_text":
            pairs.append(name + b"=" + draw(VALUE_TEXT).encode())
        elif kind == "junk":
            pairs.append(name + b"=" + draw(JUNK_BYTES))
        elif kind == "no_equals":
            pairs.append(name)
        else:
            pairs.append(name + b"=")
    body = b"&".join(pairs)
    if draw(st.booleans()):
        body += draw(st.sampled_from([b"", b"%", b"%4", b"%zz", b"%ff", b"&&", b"+", b"=" * 3]))
    return body


@pytest.mark.fuzz
@fuzz_settings()
@given(body=st.one_of(raw_form_bodies(), st.binary(max_size=200)), limit=st.sampled_from([1024, 64, 16]))
def test_fuzz_parse_form_returns_a_form_or_raises_invalid_request(body: bytes, limit: int) -> None:
    try:
        form = parse_form(body, limit)
    except OAuth2Error as error:
        assert isinstance(error, InvalidRequest)
        assert error.status == (413 if len(body) > limit else 400)
        return
    assert len(body) <= limit
    assert all(isinstance(k, str) and isinstance(v, str) and v for k, v in form.items())
    # Every parameter the parser returned is present once in the raw body.
    assert len(form) <= body.count(b"&") + 1


@given(
    form=st.dictionaries(
        st.text(st.characters(codec="utf-8"), min_size=1, max_size=20),
        st.text(st.characters(codec="utf-8"), min_size=1, max_size=40),
        max_size=6,
    )
)
def test_fuzz_encoded_forms_round_trip(form: dict[str, str]) -> None:
    body = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in form.items()).encode()
    assert parse_form(body, 1 << 20) == form
