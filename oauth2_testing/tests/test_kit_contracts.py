"""The contracts pass for correct implementations and catch broken ones."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from types import ModuleType

import pytest

from oauth2_core import Grant
from oauth2_testing.contracts import GrantContract, TokenStoreContract
from oauth2_testing.memory import MemoryTokenStore


class TestMemoryTokenStore(TokenStoreContract):
    @pytest.fixture
    def store(self) -> MemoryTokenStore:
        return MemoryTokenStore()


class TestTicketGrant(GrantContract):
    entry_point_name = "ticket"  # installed by the ticket_grant_module fixture
    # A stand-in grant for testing the kit: the real grants fuzz their parsers at the full 2,000.
    fuzz_minimum = 500

    @pytest.fixture
    def grant(self, ticket_grant_module: ModuleType) -> Grant:
        grant: Grant = ticket_grant_module.TicketGrant()
        return grant

    @pytest.fixture
    def valid_form(self, ticket_grant_module: ModuleType) -> dict[str, str]:
        return {"grant_type": ticket_grant_module.GRANT_TYPE, "ticket": "valid-1234567890", "scope": "read"}


# Each broken implementation below breaks one rule; the named contract test must fail on it.
BROKEN = '''
from __future__ import annotations

import threading
from dataclasses import dataclass, replace

import pytest
from hypothesis import Phase, settings

# Only whether each test fails matters here: skip shrinking and the example database.
settings.register_profile("meta", phases=[Phase.explicit, Phase.generate], database=None)
settings.load_profile("meta")

from oauth2_core import Grant, GrantRequest, Parameter, hookimpl
from oauth2_core.errors import InvalidRequest
from oauth2_testing.contracts import GrantContract, TokenStoreContract
from oauth2_testing.memory import MemoryTokenStore


@dataclass(frozen=True)
class LeakyRequest(GrantRequest):
    code: str  # secret, but shown by repr


class BrokenGrant(Grant):
    grant_type = "broken"
    parameters = (Parameter("code", secret=True, max_length=32), Parameter("name", required=False, max_length=8))

    def parse_token_request(self, form):
        code = form["code"]  # KeyError instead of invalid_request when missing
        if len(code) > 32:
            raise InvalidRequest("the code parameter is too long")
        return LeakyRequest(grant_type=self.grant_type, scope=None, code=code)

    def validate_token_request(self, request, client, context):
        raise NotImplementedError


class TestBrokenGrant(GrantContract):
    entry_point_name = "broken-grant-that-is-not-installed"

    @pytest.fixture
    def grant(self):
        return BrokenGrant()

    @pytest.fixture
    def valid_form(self):
        return {"grant_type": "broken", "code": "abcdefgh", "name": "x"}


class BadGrantType(BrokenGrant):
    grant_type = "bad grant type"


class TestBadGrantType(TestBrokenGrant):
    @pytest.fixture
    def grant(self):
        return BadGrantType()


class EchoingGrant(BrokenGrant):
    def parse_token_request(self, form):
        # Echoes the value into the error: the core refuses such descriptions with ValueError.
        raise InvalidRequest(f"bad code {form.get('code')}")


class TestEchoingGrant(TestBrokenGrant):
    @pytest.fixture
    def grant(self):
        return EchoingGrant()


class ForgetfulStore(MemoryTokenStore):
    """Rotation never marks the old token consumed."""

    @hookimpl
    def oauth2_store_rotate_refresh_token(self, consumed_digest, tokens):
        if consumed_digest not in self.refresh:
            return False
        self._save(tokens)
        return True


class TestForgetfulStore(TokenStoreContract):
    @pytest.fixture
    def store(self):
        return ForgetfulStore()


class RacyStore(MemoryTokenStore):
    """Checks, then writes, without a lock: two threads can both rotate."""

    @hookimpl
    def oauth2_store_rotate_refresh_token(self, consumed_digest, tokens):
        old = self.refresh.get(consumed_digest)
        if old is None or old.consumed or old.revoked:
            return False
        threading.Event().wait(0.01)
        self.refresh[consumed_digest] = replace(old, consumed=True)
        self._save(tokens)
        return True


class TestRacyStore(TokenStoreContract):
    @pytest.fixture
    def store(self):
        return RacyStore()


class GreedyStore(MemoryTokenStore):
    """Revoking a family revokes every token."""

    @hookimpl
    def oauth2_store_revoke_family(self, family_id):
        for table in (self.access, self.refresh):
            for key, record in list(table.items()):
                table[key] = replace(record, revoked=True)
        return 1


class TestGreedyStore(TokenStoreContract):
    @pytest.fixture
    def store(self):
        return GreedyStore()
'''

#: (test class, contract test) pairs that must fail on the broken implementations.
MUST_FAIL = [
    ("TestBrokenGrant", "test_entry_point_loads_the_grant"),
    ("TestBrokenGrant", "test_missing_required_parameter_is_invalid_request"),
    ("TestBrokenGrant", "test_oversized_parameter_is_invalid_request"),
    ("TestBrokenGrant", "test_control_characters_are_refused"),
    ("TestBrokenGrant", "test_secret_values_stay_out_of_repr"),
    ("TestBrokenGrant", "test_fuzz_hostile_forms_raise_only_oauth2_error"),
    ("TestBadGrantType", "test_grant_type_follows_rfc6749_appendix_a10"),
    ("TestEchoingGrant", "test_errors_do_not_echo_secret_values"),
    ("TestEchoingGrant", "test_fuzz_valid_forms_raise_only_oauth2_error"),
    ("TestForgetfulStore", "test_rotation_succeeds_once"),
    ("TestForgetfulStore", "test_rotation_retires_the_old_pair"),
    ("TestRacyStore", "test_concurrent_rotation_succeeds_exactly_once"),
    ("TestGreedyStore", "test_revoke_family_revokes_that_family_only"),
]
#: And the broken grant still passes what it does right, so the failures above are specific.
MUST_PASS = [
    ("TestBrokenGrant", "test_grant_type_follows_rfc6749_appendix_a10"),
    ("TestBrokenGrant", "test_valid_form_parses"),
    ("TestForgetfulStore", "test_saved_tokens_are_found_by_digest"),
    ("TestGreedyStore", "test_rotation_succeeds_once"),
]


def test_contracts_catch_broken_implementations(tmp_path: Path) -> None:
    module = tmp_path / "test_broken.py"
    module.write_text(textwrap.dedent(BROKEN))
    report = tmp_path / "report.xml"
    node_ids = [f"{module}::{cls}::{name}" for cls, name in MUST_FAIL + MUST_PASS]
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}", *node_ids],
        cwd=tmp_path,
        capture_output=True,
        check=False,
        timeout=300,
    )
    outcomes: dict[tuple[str, str], str] = {}
    # The report was written a moment ago by the pytest run above, not received from anyone.
    for case in ElementTree.parse(report).getroot().iter("testcase"):  # noqa: S314
        failed = any(child.tag in ("failure", "error") for child in case)
        outcomes[(case.get("classname", "").rsplit(".", 1)[-1], case.get("name", ""))] = (
            "failed" if failed else "passed"
        )
    assert {key: outcomes.get(key) for key in MUST_FAIL} == dict.fromkeys(MUST_FAIL, "failed")
    assert {key: outcomes.get(key) for key in MUST_PASS} == dict.fromkeys(MUST_PASS, "passed")
