"""The refresh-token grant honours the grant contract and parses every valid form."""

from __future__ import annotations

import pytest
from hypothesis import given

from oauth2_core import Grant
from oauth2_grant_refresh import RefreshRequest, RefreshTokenGrant
from oauth2_testing.contracts import GrantContract
from oauth2_testing.profiles import fuzz_settings
from oauth2_testing.strategies import valid_forms


class TestRefreshTokenGrantContract(GrantContract):
    entry_point_name = "refresh_token"

    @pytest.fixture
    def grant(self) -> Grant:
        return RefreshTokenGrant()

    @pytest.fixture
    def valid_form(self) -> dict[str, str]:
        return {"grant_type": "refresh_token", "refresh_token": "o2rt_" + "A" * 43, "scope": "read"}


def test_declared_parameters() -> None:
    grant = RefreshTokenGrant()
    assert {parameter.name: parameter.required for parameter in grant.parameters} == {
        "refresh_token": True,
        "scope": False,
    }
    assert grant.secret_parameters == {"refresh_token"}
    assert grant.required_host_hooks == ("oauth2_refresh_user_active",)


@pytest.mark.fuzz
def test_every_valid_form_parses_to_its_values() -> None:
    grant = RefreshTokenGrant()

    # The contract fuzzes this strategy 2,000 times; here only the parsed values are checked.
    @fuzz_settings(minimum=300)
    @given(valid_forms(grant))
    def parses(form: dict[str, str]) -> None:
        request = grant.parse_token_request(form)
        assert isinstance(request, RefreshRequest)
        assert request.refresh_token == form["refresh_token"]
        assert request.scope == (frozenset(form["scope"].split(" ")) if "scope" in form else None)

    parses()
