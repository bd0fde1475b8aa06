"""The password grant honours the grant contract and parses every valid form."""

from __future__ import annotations

import pytest
from hypothesis import given

from oauth2_core import Grant
from oauth2_grant_password import PasswordGrant, PasswordRequest
from oauth2_testing.contracts import GrantContract
from oauth2_testing.profiles import fuzz_settings
from oauth2_testing.strategies import valid_forms


class TestPasswordGrantContract(GrantContract):
    entry_point_name = "password"

    @pytest.fixture
    def grant(self) -> Grant:
        return PasswordGrant()

    @pytest.fixture
    def valid_form(self) -> dict[str, str]:
        return {"grant_type": "password", "username": "alice", "password": "correct horse battery", "scope": "read"}


def test_declared_parameters() -> None:
    grant = PasswordGrant()
    assert {parameter.name: parameter.required for parameter in grant.parameters} == {
        "username": True,
        "password": True,
        "scope": False,
    }
    assert grant.secret_parameters == {"password"}
    assert grant.required_host_hooks == (
        "oauth2_password_authenticate",
        "oauth2_password_locked_until",
        "oauth2_password_count_failure",
        "oauth2_password_lock",
    )


@pytest.mark.fuzz
def test_every_valid_form_parses_to_its_values() -> None:
    grant = PasswordGrant()

    # The contract fuzzes this strategy 2,000 times; here only the parsed values are checked.
    @fuzz_settings(minimum=300)
    @given(valid_forms(grant))
    def parses(form: dict[str, str]) -> None:
        request = grant.parse_token_request(form)
        assert isinstance(request, PasswordRequest)
        assert (request.username, request.password) == (form["username"], form["password"])
        assert request.scope == (frozenset(form["scope"].split(" ")) if "scope" in form else None)

    parses()
