"""The example grant honours oauth2-testing's grant contract, and its parser keeps what it reads."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oauth2_core import Grant
from oauth2_core.errors import InvalidRequest
from oauth2_grant_example import GRANT_TYPE, MAX_LIFETIME, ExampleGrant, ExampleRequest
from oauth2_testing.contracts import GrantContract
from oauth2_testing.profiles import fuzz_settings
from oauth2_testing.strategies import valid_forms

# Valid lifetimes are far narrower than "printable text": tell the strategies, or valid forms would rarely parse.
LIFETIMES: Mapping[str, st.SearchStrategy[str]] = {"lifetime": st.integers(1, MAX_LIFETIME).map(str)}


class TestExampleGrantContract(GrantContract):
    """Inherits the contract: declaration, entry point, parsing, secrets and 2,000 fuzzed forms per property."""

    entry_point_name = "example"
    parameter_values: ClassVar[Mapping[str, st.SearchStrategy[str]]] = LIFETIMES

    @pytest.fixture
    def grant(self) -> Grant:
        return ExampleGrant()

    @pytest.fixture
    def valid_form(self) -> dict[str, str]:
        return {"grant_type": GRANT_TYPE, "lifetime": "60", "scope": "read"}


def test_declared_parameters() -> None:
    grant = ExampleGrant()
    assert {parameter.name: parameter.required for parameter in grant.parameters} == {"lifetime": True, "scope": False}
    assert grant.secret_parameters == frozenset()


# "\u0663" is ARABIC-INDIC DIGIT THREE: int() reads it, the wire format must not.
@pytest.mark.parametrize("lifetime", ["0", "301", "-1", "1.5", "\u0663", " 60", "0x10"])
def test_lifetime_outside_1_to_300_whole_seconds_is_refused(lifetime: str) -> None:
    with pytest.raises(InvalidRequest, match="lifetime"):
        ExampleGrant().parse_token_request({"grant_type": GRANT_TYPE, "lifetime": lifetime})


@pytest.mark.fuzz
def test_every_valid_form_parses_to_its_values() -> None:
    grant = ExampleGrant()

    # The contract fuzzes the same strategy for "only OAuth2Error"; here the parsed values are checked.
    @fuzz_settings(minimum=300)
    @given(valid_forms(grant, LIFETIMES))
    def parses(form: dict[str, str]) -> None:
        request = grant.parse_token_request(form)
        assert isinstance(request, ExampleRequest)
        assert request.lifetime == int(form["lifetime"])
        assert request.scope == (frozenset(form["scope"].split(" ")) if "scope" in form else None)

    parses()
