"""Hypothesis strategies for token requests, derived from a grant's declared parameters.

``valid_forms`` builds forms a well-behaved client would send, ``hostile_forms``
breaks them the ways an attacker or a buggy client would, and ``raw_bodies``
goes one layer down to the urlencoded bytes the form parser sees. Everything is
driven by :attr:`oauth2_core.Grant.parameters`, so a new grant is fuzzed
without writing a strategy of its own; ``values`` overrides the generator of
any parameter whose valid shape is narrower than "printable text".
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from urllib.parse import quote_plus

from hypothesis import strategies as st

from oauth2_core import Grant, ServerConfig

#: C0 controls, DEL, and the C1/Unicode line breaks that slip past ASCII-only checks.
CONTROL_CHARACTERS = "".join(chr(code) for code in range(0x20)) + "\x7f\x85\u2028\u2029"

#: Code points that trip naive text handling: zero-width and bidi marks, BOM,
#: noncharacters, the last code point, combining marks, case mappings that
#: change length. Surrogates are left out: a decoded form can never hold one.
ODD_CODEPOINTS = (
    "\u200b",
    "\u200e",
    "\u202e",
    "\ufeff",
    "\ufffe",
    "\uffff",
    "\U0010ffff",
    "\U000e0001",
    "\u0301",
    "\u00a0",
    "\u3000",
    "\ue000",
    "\u0130",
    "\u00df",
    "\ufb03",
    "\U0001f600",
    "\\",
    '"',
    "%",
    "&",
    "=",
    "+",
)

#: RFC 6749 3.3 scope-token characters: %x21 / %x23-5B / %x5D-7E.
SCOPE_TOKEN_CHARACTERS = (
    "!" + "".join(chr(code) for code in range(0x23, 0x5C)) + "".join(chr(code) for code in range(0x5D, 0x7F))
)

#: Parameters every token request may carry besides the grant's own.
ENVELOPE_PARAMETERS = ("grant_type", "client_id", "client_secret")

# Excluding category Cs (surrogates) leaves exactly what UTF-8 can encode.
_printable = st.characters(exclude_categories=["Cc", "Cs"])
_unicode = st.characters(exclude_categories=["Cs"])
_any_character = _unicode | st.sampled_from(ODD_CODEPOINTS + tuple(CONTROL_CHARACTERS))
_junk_text = st.text(_any_character, max_size=40)

Form = dict[str, str]


def scopes(max_length: int = 2048) -> st.SearchStrategy[str]:
    """A well-formed ``scope`` value: distinct scope tokens joined by single spaces."""
    tokens = st.lists(st.text(SCOPE_TOKEN_CHARACTERS, min_size=1, max_size=12), min_size=1, max_size=6, unique=True)
    return tokens.map(" ".join).filter(lambda value: len(value) <= max_length)


def plain_values(max_length: int) -> st.SearchStrategy[str]:
    """Non-empty printable text (any script, no control characters) within ``max_length``."""
    return st.text(_printable, min_size=1, max_size=min(max_length, 64))


def _value_strategies(
    grant: Grant, values: Mapping[str, st.SearchStrategy[str]] | None
) -> dict[str, st.SearchStrategy[str]]:
    overrides = values or {}
    strategies: dict[str, st.SearchStrategy[str]] = {}
    for parameter in grant.parameters:
        if parameter.name in overrides:
            strategies[parameter.name] = overrides[parameter.name]
        elif parameter.name == "scope":
            strategies[parameter.name] = scopes(parameter.max_length)
        else:
            strategies[parameter.name] = plain_values(parameter.max_length)
    return strategies


def valid_forms(
    grant: Grant, values: Mapping[str, st.SearchStrategy[str]] | None = None
) -> st.SearchStrategy[dict[str, str]]:
    """Forms a correct client could send: ``grant_type``, every required parameter, some optional ones.

    ``values`` maps a parameter name to the strategy for its valid values,
    for parameters with a narrower shape than printable text.
    """
    strategies = _value_strategies(grant, values)
    required = {parameter.name: strategies[parameter.name] for parameter in grant.parameters if parameter.required}
    optional = {parameter.name: strategies[parameter.name] for parameter in grant.parameters if not parameter.required}
    grant_type = grant.grant_type
    return st.fixed_dictionaries(required, optional=optional).map(lambda form: {"grant_type": grant_type, **form})


# A mutation is data, applied to a drawn form in ``.map``: strategies are built
# once per grant instead of once per example, which keeps 2,000 examples fast.
_Mutation = tuple[str, str, int, str]


def _oversized(max_length: int) -> st.SearchStrategy[str]:
    # Repeat a short chunk instead of drawing thousands of characters: same
    # coverage of the length check at a fraction of the generation cost.
    chunks = st.text(_any_character, min_size=1, max_size=8)
    return st.tuples(chunks, st.integers(1, 64)).map(lambda pair: pair[0] * (max_length // len(pair[0]) + pair[1]))


def _wrong_grant_types(grant_type: str) -> st.SearchStrategy[str]:
    near_misses = [
        grant_type.upper(),
        grant_type.title(),
        f" {grant_type}",
        f"{grant_type} ",
        f"{grant_type}\x00",
        grant_type[:-1],
        f"{grant_type}s",
        grant_type.replace("_", "-"),
    ]
    others = ["password", "refresh_token", "authorization_code", "client_credentials", "implicit"]
    return (st.sampled_from(near_misses + others) | _junk_text).filter(lambda value: value != grant_type)


_BAD_SCOPES = st.sampled_from(["", " ", "a  b", " a", "a ", "a\tb", 'a"b', "a\\b", "a\u00e9", "\u3000"]) | _junk_text
_PADDING = st.sampled_from([" ", "\t", "\n", "\u00a0", "\u3000", "  "])
_EXTRA_NAMES = st.sampled_from(["", "GRANT_TYPE", "Scope", "access_token", "redirect_uri"]) | _junk_text
_position = st.integers(0, 10_000)


def _mutations(grant: Grant) -> st.SearchStrategy[_Mutation]:
    """(kind, parameter, position, text) tuples; see :func:`_apply` for what each kind does."""
    targets = st.sampled_from([*(parameter.name for parameter in grant.parameters), *ENVELOPE_PARAMETERS])
    oversized = st.one_of(
        [
            st.tuples(st.just("set"), st.just(parameter.name), st.just(0), _oversized(parameter.max_length))
            for parameter in grant.parameters
        ]
    )
    return st.one_of(
        st.tuples(st.just("drop"), targets, st.just(0), st.just("")),
        st.tuples(st.just("set"), targets, st.just(0), st.just("") | _junk_text),
        oversized,
        st.tuples(st.just("insert"), targets, _position, st.sampled_from(CONTROL_CHARACTERS)),
        st.tuples(st.just("insert"), targets, _position, st.sampled_from(ODD_CODEPOINTS)),
        st.tuples(st.sampled_from(["prefix", "suffix"]), targets, st.just(0), _PADDING),
        st.tuples(st.just("set"), st.just("grant_type"), st.just(0), _wrong_grant_types(grant.grant_type)),
        st.tuples(st.just("set"), _EXTRA_NAMES, st.just(0), _junk_text),
        st.tuples(st.just("set"), st.just("scope"), st.just(0), _BAD_SCOPES),
    )


def _apply(form: Form, mutations: list[_Mutation]) -> Form:
    result = dict(form)
    for kind, name, position, text in mutations:
        current = result.get(name, "")
        if kind == "drop":
            result.pop(name, None)
        elif kind == "set":
            result[name] = text
        elif kind == "insert":
            at = position % (len(current) + 1)
            result[name] = current[:at] + text + current[at:]
        elif kind == "prefix":
            result[name] = text + current
        else:
            result[name] = current + text
    return result


def hostile_forms(
    grant: Grant, values: Mapping[str, st.SearchStrategy[str]] | None = None
) -> st.SearchStrategy[dict[str, str]]:
    """Valid forms broken in one to four ways.

    Parameters go missing or empty, grow past ``max_length``, take junk
    Unicode, control characters, odd code points or surrounding whitespace;
    ``grant_type`` goes wrong; unexpected parameters appear.
    """
    mutations = st.lists(_mutations(grant), min_size=1, max_size=4)
    return st.tuples(valid_forms(grant, values), mutations).map(lambda drawn: _apply(*drawn))


def _encode(text: str) -> bytes:
    return quote_plus(text, safe="").encode("ascii")


_INVALID_UTF8 = (b"%FF", b"%C3%28", b"%C0%AF", b"%ED%A0%80", b"%F4%90%80%80", b"%E2%82", b"\xff", b"\xc3(", b"\x80")
_BAD_ESCAPES = (b"%", b"%G0", b"%4", b"%%", b"%0g", b"%-1", b"%u00e9", b"% 41")
_SEPARATOR_ODDITIES = (b"&", b"&&", b"=", b"==", b"=value", b"a=b=c", b"name", b"&=&", b"+", b"++=++", b"%26", b"%3D")
_PLUSES = (b"+", b"%2B", b"+%2B+", b"%20+")
_RawMutation = tuple[str, int, bytes]


def _raw_mutations(max_bytes: int) -> st.SearchStrategy[_RawMutation]:
    """(kind, position, bytes) tuples; see :func:`_apply_raw`."""
    filler = st.sampled_from([b"a", b"%41", b"+", b"&"])
    oversize = st.tuples(filler, st.integers(1, 64)).map(
        lambda pair: b"pad=" + pair[0] * (max_bytes // len(pair[0]) + pair[1])
    )
    return st.one_of(
        st.tuples(st.just("repeat"), _position, st.sampled_from([b"", b"other", b"="])),
        st.tuples(st.just("splice"), _position, st.sampled_from(_BAD_ESCAPES + _INVALID_UTF8)),
        st.tuples(st.just("append"), _position, st.sampled_from(_PLUSES)),
        st.tuples(st.just("pair"), _position, st.sampled_from(_SEPARATOR_ODDITIES) | st.binary(max_size=32) | oversize),
    )


def _apply_raw(pairs: list[bytes], mutations: list[_RawMutation], order: int) -> bytes:
    result = list(pairs)
    for kind, position, data in mutations:
        if kind == "pair" or not result:
            result.insert(position % (len(result) + 1), data)
            continue
        index = position % len(result)
        name, _, value = result[index].partition(b"=")
        if kind == "repeat":
            result.append(name + b"=" + (value if data == b"=" else data))
        elif kind == "splice":
            at = position % (len(result[index]) + 1)
            result[index] = result[index][:at] + data + result[index][at:]
        else:
            result[index] += data
    random.Random(order).shuffle(result)  # noqa: S311 -- an order for test data, not a secret
    return b"&".join(result)


def raw_bodies(grant: Grant, max_bytes: int | None = None) -> st.SearchStrategy[bytes]:
    """``application/x-www-form-urlencoded`` bodies for ``grant``, mostly malformed.

    Starts from a valid or hostile form, encoded, then repeats parameters,
    splices in bad percent-escapes and invalid UTF-8 (raw and escaped:
    overlong forms, encoded surrogates, truncated sequences), appends ``+``
    signs, inserts ``&&``, ``=`` oddities or random bytes, or pads the body
    past ``max_bytes`` (default: the server's default limit).
    """
    limit = ServerConfig().max_body_bytes if max_bytes is None else max_bytes
    encoded = (valid_forms(grant) | hostile_forms(grant)).map(
        lambda form: [_encode(name) + b"=" + _encode(value) for name, value in form.items()]
    )
    mutations = st.lists(_raw_mutations(limit), max_size=4)
    return st.tuples(encoded, mutations, st.integers(0, 2**32 - 1)).map(lambda drawn: _apply_raw(*drawn))
