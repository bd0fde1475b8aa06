"""The strategies generate what they promise, shaped by the grant's declared parameters."""

from __future__ import annotations

import re
from collections.abc import Callable
from types import ModuleType
from typing import TypeVar

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from oauth2_core import Grant, OAuth2Error
from oauth2_core.form import parse_form
from oauth2_testing.strategies import CONTROL_CHARACTERS, hostile_forms, raw_bodies, scopes, valid_forms

T = TypeVar("T")
GRANT_TYPE = "urn:example:params:oauth:grant-type:ticket"
SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")
quick = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture
def grant(ticket_grant_module: ModuleType) -> Grant:
    ticket: Grant = ticket_grant_module.TicketGrant()
    return ticket


def observed(strategy: st.SearchStrategy[T], features: dict[str, Callable[[T], bool]], examples: int = 500) -> set[str]:
    """The names of the features seen in ``examples`` generated examples.

    Generation only (no shrinking) and derandomized, so the answer is the same on every run.
    """
    seen: set[str] = set()

    @settings(max_examples=examples, phases=[Phase.generate], deadline=None, database=None, derandomize=True)
    @given(strategy)
    def classify(example: T) -> None:
        seen.update(name for name, present in features.items() if present(example))

    classify()
    return seen


@quick
@given(data=st.data())
def test_valid_forms_hold_every_required_parameter_within_limits(grant: Grant, data: st.DataObject) -> None:
    form = data.draw(valid_forms(grant))
    assert form["grant_type"] == grant.grant_type
    for parameter in grant.parameters:
        if parameter.required:
            assert form.get(parameter.name)
        if parameter.name in form:
            assert 0 < len(form[parameter.name]) <= parameter.max_length
            assert not set(form[parameter.name]) & set(CONTROL_CHARACTERS[:33])
    assert set(form) <= {"grant_type", *(parameter.name for parameter in grant.parameters)}
    grant.parse_token_request(form)


@quick
@given(value=scopes())
def test_scopes_are_rfc6749_scope_tokens(value: str) -> None:
    assert all(SCOPE_TOKEN.fullmatch(token) for token in value.split(" "))


def test_valid_forms_use_overrides(grant: Grant) -> None:
    strategy = valid_forms(grant, {"audience": st.just("https://api.example")})
    features = {
        "audience": lambda form: "audience" in form,
        "other audience": lambda form: form.get("audience", "https://api.example") != "https://api.example",
    }
    assert observed(strategy, features, examples=100) == {"audience"}


def _first(value: str) -> str:
    return value[:1]


HOSTILE_FEATURES: dict[str, Callable[[dict[str, str]], bool]] = {
    "missing": lambda form: "ticket" not in form,
    "empty": lambda form: form.get("ticket") == "",
    "oversized": lambda form: len(form.get("ticket", "")) > 128,
    "oversized scope": lambda form: len(form.get("scope", "")) > 2048,
    "control": lambda form: any(character in form.get("ticket", "") for character in "\x00\n\x7f\x85"),
    "odd": lambda form: any(character in "".join(form.values()) for character in "\u202e\ufffe\U0010ffff\ufeff"),
    "padded": lambda form: _first(form.get("ticket", "")) in {" ", "\t", "\n", "\u00a0", "\u3000"},
    "wrong grant_type": lambda form: form.get("grant_type") not in (None, GRANT_TYPE),
    "no grant_type": lambda form: "grant_type" not in form,
    "extra": lambda form: bool(set(form) - {"grant_type", "ticket", "audience", "scope"}),
    "bad scope": lambda form: "  " in form.get("scope", "") or "\t" in form.get("scope", ""),
}


def test_hostile_forms_reach_every_kind_of_breakage(grant: Grant) -> None:
    assert observed(hostile_forms(grant), HOSTILE_FEATURES) == set(HOSTILE_FEATURES)


RAW_FEATURES: dict[str, Callable[[bytes], bool]] = {
    "repeated": lambda body: body.count(b"ticket=") > 1,
    "bad escape": lambda body: any(escape in body for escape in (b"%G0", b"%u00e9", b"%-1")),
    "invalid utf-8": lambda body: any(sequence in body for sequence in (b"%ED%A0%80", b"\xff", b"%C0%AF")),
    "empty pair": lambda body: b"&&" in body,
    "plus": lambda body: b"+%2B+" in body,
    "equals": lambda body: b"a=b=c" in body or b"&=&" in body or b"==" in body,
    "oversized": lambda body: len(body) > 2048,
    "well formed": lambda body: _parses(body) and b"ticket=" in body,
}


def test_raw_bodies_reach_every_kind_of_malformation(grant: Grant) -> None:
    assert observed(raw_bodies(grant, max_bytes=2048), RAW_FEATURES) == set(RAW_FEATURES)


def _parses(body: bytes) -> bool:
    try:
        parse_form(body, 1 << 20)
    except OAuth2Error:
        return False
    return True
