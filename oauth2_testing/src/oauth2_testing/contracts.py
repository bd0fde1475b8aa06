"""Contract tests a grant or token-store distribution inherits.

Subclass :class:`GrantContract` or :class:`TokenStoreContract` in a module
pytest collects (the subclass name must start with ``Test``) and provide the
fixtures each class documents. The base classes are not collected by
themselves.
"""

# ruff: noqa: S101 -- this module is test code shipped as a library: plain asserts give pytest's rich failure reports.

from __future__ import annotations

import threading
import types
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, nullcontext, suppress
from importlib import metadata
from typing import Any, ClassVar, TypeVar

import pluggy
import pytest
from hypothesis import given
from hypothesis import strategies as st

from oauth2_core import (
    GRANTS_GROUP,
    NAME,
    ConfigurationError,
    Grant,
    GrantRequest,
    OAuth2Error,
    ServerConfig,
    build_server,
)
from oauth2_core import hookspecs as core_hookspecs
from oauth2_core.errors import InvalidRequest
from oauth2_core.facade import Hooks
from oauth2_core.grant import is_valid_grant_type
from oauth2_core.plugins import describe, installed_entry_points
from oauth2_testing.factories import issued_tokens
from oauth2_testing.memory import MemoryHost, MemoryTokenStore
from oauth2_testing.profiles import FUZZ_MIN_EXAMPLES, fuzz_settings
from oauth2_testing.strategies import ENVELOPE_PARAMETERS, hostile_forms, valid_forms

T = TypeVar("T")


def _secret_marker(max_length: int) -> str:
    # Distinctive enough that finding it anywhere means it was copied there.
    return f"contract-secret-{uuid.uuid4().hex}"[:max_length]


class GrantContract:
    """What every grant must honour.

    Set ``entry_point_name`` to the name of the grant's entry point in group
    ``oauth2_core.grants`` and provide two fixtures: ``grant`` (an instance)
    and ``valid_form`` (a form the grant parses, ``grant_type`` included).
    Override ``contract_plugins`` when the grant needs host hooks the memory
    host does not implement, ``contract_grant_options`` (the ``grant_options``
    the contract's servers are built with) when the grant refuses to start
    without some, and ``parameter_values`` (name -> hypothesis strategy) when a
    parameter's valid values are narrower than printable text.
    The fuzz tests run at least ``fuzz_minimum`` examples (2,000), more under
    the ``heavy`` hypothesis profile.
    """

    entry_point_name: ClassVar[str]
    contract_grant_options: ClassVar[Mapping[str, Any]] = {}
    parameter_values: ClassVar[Mapping[str, st.SearchStrategy[str]]] = {}
    #: Fewest examples per fuzz test; the active hypothesis profile may ask for more.
    fuzz_minimum: ClassVar[int] = FUZZ_MIN_EXAMPLES

    @pytest.fixture
    def grant(self) -> Grant:
        pytest.fail(f"{type(self).__name__} must define a 'grant' fixture returning an instance of the grant")

    @pytest.fixture
    def valid_form(self) -> dict[str, str]:
        pytest.fail(f"{type(self).__name__} must define a 'valid_form' fixture: a form the grant accepts")

    @pytest.fixture
    def contract_plugins(self, oauth2_memory_host: MemoryHost, oauth2_memory_store: MemoryTokenStore) -> list[object]:
        """Host and store plugins the server is built with when the entry point is loaded."""
        return [oauth2_memory_host, oauth2_memory_store]

    # -- declaration -----------------------------------------------------------

    def test_grant_type_follows_rfc6749_appendix_a10(self, grant: Grant) -> None:
        assert is_valid_grant_type(grant.grant_type), f"{grant.grant_type!r} is not a grant-name or absolute URI"

    def test_parameters_are_well_declared(self, grant: Grant) -> None:
        names = [parameter.name for parameter in grant.parameters]
        assert len(names) == len(set(names)), f"a parameter is declared twice: {names}"
        clashes = set(names) & set(ENVELOPE_PARAMETERS)
        assert not clashes, f"{sorted(clashes)} belong to the endpoint, not the grant; remove them from parameters"
        assert all(parameter.max_length > 0 for parameter in grant.parameters)

    def _installed_entry_point(self) -> metadata.EntryPoint:
        name = getattr(self, "entry_point_name", None)
        if not isinstance(name, str):
            pytest.fail(f"{type(self).__name__} must set entry_point_name to the grant's entry-point name")
        installed = installed_entry_points(GRANTS_GROUP)
        for entry_point in installed:
            if entry_point.name == name:
                return entry_point
        found = [entry_point.name for entry_point in installed]
        pytest.fail(
            f"no entry point {name!r} in group {GRANTS_GROUP!r} is installed (found: {found}); "
            "declare it in pyproject.toml and install the distribution (pip install -e .)"
        )

    def _contract_config(self, name: str) -> ServerConfig:
        return ServerConfig.from_mapping({"grants": (name,), "grant_options": self.contract_grant_options})

    def test_entry_point_loads_the_grant(self, grant: Grant, contract_plugins: list[object]) -> None:
        name = self._installed_entry_point().name
        server = build_server(self._contract_config(name), contract_plugins)
        pm = server.pluginmanager
        plugin = pm.get_plugin(name)
        assert plugin is not None, f"entry point {name!r} did not register a plugin"
        assert plugin in dict(pm.list_plugin_distributions()), (
            f"entry point {name!r} was not loaded from a distribution"
        )
        entry = server.registry.get(grant.grant_type)
        assert entry is not None, f"entry point {name!r} does not declare grant_type {grant.grant_type!r}"
        assert type(entry.grant) is type(grant)
        assert entry.source == describe(pm, plugin)

    def test_each_required_host_hook_is_enforced(self, grant: Grant, contract_plugins: list[object]) -> None:
        """A host missing any hook the grant requires stops the server at start, naming the hook and the grant."""
        entry_point = self._installed_entry_point()
        # Control: the stand-ins hiding nothing start a server, so each refusal below is the hidden hook's doing.
        build_server(self._contract_config(entry_point.name), [_without(plugin, "") for plugin in contract_plugins])
        dist = entry_point.dist
        assert dist is not None, f"entry point {entry_point.name!r} belongs to no distribution"
        source = f"from distribution {dist.metadata['Name']} {dist.version}"
        for hook_name in grant.required_host_hooks:
            without = [_without(plugin, hook_name) for plugin in contract_plugins]
            with pytest.raises(ConfigurationError) as caught:
                build_server(self._contract_config(entry_point.name), without)
            message = str(caught.value)
            assert f"needs an implementation of hook {hook_name!r}" in message, message
            assert source in message, message

    # -- parsing ---------------------------------------------------------------

    def test_valid_form_parses(self, grant: Grant, valid_form: dict[str, str]) -> None:
        parsed = grant.parse_token_request(valid_form)
        assert isinstance(parsed, GrantRequest)
        assert parsed.grant_type == grant.grant_type

    def test_missing_required_parameter_is_invalid_request(self, grant: Grant, valid_form: dict[str, str]) -> None:
        for parameter in grant.parameters:
            if not parameter.required:
                continue
            form = {key: value for key, value in valid_form.items() if key != parameter.name}
            with pytest.raises(InvalidRequest):
                grant.parse_token_request(form)

    def test_oversized_parameter_is_invalid_request(self, grant: Grant, valid_form: dict[str, str]) -> None:
        for parameter in grant.parameters:
            form = {**valid_form, parameter.name: "a" * (parameter.max_length + 1)}
            with pytest.raises(InvalidRequest):
                grant.parse_token_request(form)

    def test_control_characters_are_refused(self, grant: Grant, valid_form: dict[str, str]) -> None:
        for parameter in grant.parameters:
            if parameter.name not in valid_form:
                continue
            form = {**valid_form, parameter.name: valid_form[parameter.name][:-1] + "\x00"}
            with pytest.raises(OAuth2Error):
                grant.parse_token_request(form)

    # -- secrets ---------------------------------------------------------------

    def _with_secret_markers(self, grant: Grant, valid_form: dict[str, str]) -> dict[str, str]:
        """``valid_form`` with every secret parameter set to a unique marker, when the grant accepts one."""
        form = dict(valid_form)
        for parameter in grant.parameters:
            if parameter.secret:
                form[parameter.name] = _secret_marker(parameter.max_length)
        try:
            grant.parse_token_request(form)
        except OAuth2Error:
            # The grant checks the shape of its secrets: use the fixture's values.
            return dict(valid_form)
        return form

    def test_secret_values_stay_out_of_repr(self, grant: Grant, valid_form: dict[str, str]) -> None:
        form = self._with_secret_markers(grant, valid_form)
        parsed = grant.parse_token_request(form)
        shown = repr(parsed) + str(parsed) + repr(grant)
        for parameter in grant.parameters:
            if parameter.secret and parameter.name in form:
                assert form[parameter.name] not in shown, f"the secret {parameter.name!r} appears in repr()"

    def test_errors_do_not_echo_secret_values(self, grant: Grant, valid_form: dict[str, str]) -> None:
        base = self._with_secret_markers(grant, valid_form)
        secrets = [
            base[parameter.name] for parameter in grant.parameters if parameter.secret and parameter.name in base
        ]
        broken_forms = [{**base, "grant_type": "x"}]
        for parameter in grant.parameters:
            broken_forms.append({**base, parameter.name: "a" * (parameter.max_length + 1)})
            broken_forms.append({key: value for key, value in base.items() if key != parameter.name})
        for form in broken_forms:
            try:
                grant.parse_token_request(form)
            except OAuth2Error as error:
                shown = f"{error} {error!r} {error.as_dict()}"
                assert not any(secret in shown for secret in secrets), "an error message repeats a secret parameter"

    # -- fuzzing ---------------------------------------------------------------

    def _fuzz(self, grant: Grant, forms: st.SearchStrategy[dict[str, str]]) -> None:
        # The property is built when the test runs, so the example count
        # follows the hypothesis profile loaded for this session.
        @fuzz_settings(self.fuzz_minimum)
        @given(forms)
        def only_oauth2_errors(form: dict[str, str]) -> None:
            with suppress(OAuth2Error):
                grant.parse_token_request(form)

        only_oauth2_errors()

    @pytest.mark.fuzz
    def test_fuzz_hostile_forms_raise_only_oauth2_error(self, grant: Grant) -> None:
        self._fuzz(grant, hostile_forms(grant, self.parameter_values))

    @pytest.mark.fuzz
    def test_fuzz_valid_forms_raise_only_oauth2_error(self, grant: Grant) -> None:
        self._fuzz(grant, valid_forms(grant, self.parameter_values))


def _without(plugin: object, hook_name: str) -> object:
    """A stand-in for ``plugin`` that implements every hook it does except ``hook_name`` (``""``: hides none).

    pluggy reads hook implementations statically (``inspect.getattr_static``),
    so the stand-in holds the plugin's bound hook methods as plain attributes.
    """
    kept = {name: getattr(plugin, name) for name in dir(plugin) if name.startswith("oauth2_") and name != hook_name}
    return types.SimpleNamespace(**kept)


class TokenStoreContract:
    """What every token store must honour.

    Provide a ``store`` fixture: an object with the ``oauth2_store_*`` hook
    implementations. Override ``store_transaction`` when the store's writes
    must run inside a transaction, and :meth:`run_in_thread` when a worker
    thread needs set-up or clean-up (a database connection, say).
    """

    @pytest.fixture
    def store(self) -> object:
        pytest.fail(f"{type(self).__name__} must define a 'store' fixture returning the token-store plugin")

    @pytest.fixture
    def store_transaction(self) -> Callable[[], AbstractContextManager[Any]]:
        """What each write runs inside: nothing by default."""
        return nullcontext

    @pytest.fixture
    def hooks(self, store: object) -> Iterator[Hooks]:
        pm = pluggy.PluginManager(NAME)
        pm.add_hookspecs(core_hookspecs)
        pm.register(store)
        yield Hooks(pm)
        pm.unregister(store)

    def run_in_thread(self, function: Callable[[], T]) -> T:
        """Run ``function`` in a worker thread of the concurrency test."""
        return function()

    # -- save and find ---------------------------------------------------------

    def test_saved_tokens_are_found_by_digest(self, hooks: Hooks, store_transaction: Callable[[], Any]) -> None:
        tokens = issued_tokens()
        assert tokens.refresh is not None
        with store_transaction():
            hooks.save_tokens(tokens)
        assert hooks.find_access_token(tokens.access.digest) == tokens.access
        assert hooks.find_refresh_token(tokens.refresh.digest) == tokens.refresh

    def test_access_token_without_refresh_token(self, hooks: Hooks, store_transaction: Callable[[], Any]) -> None:
        tokens = issued_tokens(refresh=False, user_id=None, scope=())
        with store_transaction():
            hooks.save_tokens(tokens)
        assert hooks.find_access_token(tokens.access.digest) == tokens.access

    def test_unknown_digest_finds_nothing(self, hooks: Hooks) -> None:
        unknown = issued_tokens()
        assert unknown.refresh is not None
        assert hooks.find_access_token(unknown.access.digest) is None
        assert hooks.find_refresh_token(unknown.refresh.digest) is None

    def test_access_digest_is_not_a_refresh_digest(self, hooks: Hooks, store_transaction: Callable[[], Any]) -> None:
        tokens = issued_tokens()
        assert tokens.refresh is not None
        with store_transaction():
            hooks.save_tokens(tokens)
        assert hooks.find_refresh_token(tokens.access.digest) is None
        assert hooks.find_access_token(tokens.refresh.digest) is None

    # -- rotation --------------------------------------------------------------

    def _saved_pair(self, hooks: Hooks, store_transaction: Callable[[], Any]) -> tuple[str, str, str]:
        tokens = issued_tokens()
        assert tokens.refresh is not None
        with store_transaction():
            hooks.save_tokens(tokens)
        return tokens.access.digest, tokens.refresh.digest, tokens.access.family_id

    def test_rotation_succeeds_once(self, hooks: Hooks, store_transaction: Callable[[], Any]) -> None:
        _, refresh_digest, family = self._saved_pair(hooks, store_transaction)
        first, second = issued_tokens(family_id=family), issued_tokens(family_id=family)
        with store_transaction():
            assert hooks.rotate_refresh_token(refresh_digest, first) is True
        with store_transaction():
            assert hooks.rotate_refresh_token(refresh_digest, second) is False
        assert first.refresh is not None and second.refresh is not None
        assert hooks.find_access_token(first.access.digest) == first.access
        assert hooks.find_refresh_token(first.refresh.digest) == first.refresh
        assert hooks.find_access_token(second.access.digest) is None, "a failed rotation must save nothing"
        assert hooks.find_refresh_token(second.refresh.digest) is None, "a failed rotation must save nothing"

    def test_rotation_retires_the_old_pair(self, hooks: Hooks, store_transaction: Callable[[], Any]) -> None:
        access_digest, refresh_digest, family = self._saved_pair(hooks, store_transaction)
        with store_transaction():
            assert hooks.rotate_refresh_token(refresh_digest, issued_tokens(family_id=family))
        old_refresh = hooks.find_refresh_token(refresh_digest)
        old_access = hooks.find_access_token(access_digest)
        assert old_refresh is not None and old_refresh.consumed, "the rotated refresh token must be marked consumed"
        assert old_access is not None and old_access.revoked, "the access token issued with it must be revoked"

    def test_rotating_an_unknown_token_fails(self, hooks: Hooks, store_transaction: Callable[[], Any]) -> None:
        orphan, new = issued_tokens(), issued_tokens()
        assert orphan.refresh is not None
        with store_transaction():
            assert hooks.rotate_refresh_token(orphan.refresh.digest, new) is False
        assert hooks.find_access_token(new.access.digest) is None

    def test_rotating_a_revoked_token_fails(self, hooks: Hooks, store_transaction: Callable[[], Any]) -> None:
        _, refresh_digest, family = self._saved_pair(hooks, store_transaction)
        assert hooks.revoke_family(family) > 0
        with store_transaction():
            assert hooks.rotate_refresh_token(refresh_digest, issued_tokens(family_id=family)) is False

    def test_concurrent_rotation_succeeds_exactly_once(
        self, hooks: Hooks, store_transaction: Callable[[], Any]
    ) -> None:
        _, refresh_digest, family = self._saved_pair(hooks, store_transaction)
        workers = 20
        candidates = [issued_tokens(family_id=family) for _ in range(workers)]
        start = threading.Barrier(workers)
        results: list[bool | BaseException] = [False] * workers

        def rotate(index: int) -> None:
            def attempt() -> bool:
                with store_transaction():
                    return hooks.rotate_refresh_token(refresh_digest, candidates[index])

            start.wait()
            try:
                results[index] = self.run_in_thread(attempt)
            except BaseException as exc:  # reported below with the other results
                results[index] = exc

        threads = [threading.Thread(target=rotate, args=(index,)) for index in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        errors = [result for result in results if isinstance(result, BaseException)]
        assert not errors, f"rotation raised under concurrency: {errors[:3]}"
        assert results.count(True) == 1, f"{results.count(True)} of {workers} concurrent rotations succeeded"
        saved = [tokens for tokens in candidates if hooks.find_access_token(tokens.access.digest) is not None]
        assert len(saved) == 1, f"{len(saved)} concurrent rotations saved their tokens"

    # -- revocation ------------------------------------------------------------

    def test_revoke_family_revokes_that_family_only(self, hooks: Hooks, store_transaction: Callable[[], Any]) -> None:
        family, other_family = uuid.uuid4().hex, uuid.uuid4().hex
        first = issued_tokens(family_id=family)
        assert first.refresh is not None
        with store_transaction():
            hooks.save_tokens(first)
        rotated = issued_tokens(family_id=family)
        with store_transaction():
            assert hooks.rotate_refresh_token(first.refresh.digest, rotated)
        bystander = issued_tokens(family_id=other_family)
        with store_transaction():
            hooks.save_tokens(bystander)

        assert hooks.revoke_family(family) > 0
        for tokens in (first, rotated):
            assert tokens.refresh is not None
            access = hooks.find_access_token(tokens.access.digest)
            refresh = hooks.find_refresh_token(tokens.refresh.digest)
            assert access is not None and access.revoked
            assert refresh is not None and refresh.revoked
        assert bystander.refresh is not None
        assert hooks.find_access_token(bystander.access.digest) == bystander.access
        assert hooks.find_refresh_token(bystander.refresh.digest) == bystander.refresh
        hooks.revoke_family(family)  # a second revocation is harmless
        assert hooks.find_access_token(bystander.access.digest) == bystander.access

    def test_revoke_unknown_family_revokes_nothing(self, hooks: Hooks, store_transaction: Callable[[], Any]) -> None:
        tokens = issued_tokens()
        with store_transaction():
            hooks.save_tokens(tokens)
        assert hooks.revoke_family(uuid.uuid4().hex) == 0
        assert hooks.find_access_token(tokens.access.digest) == tokens.access

    def test_records_keep_expiry_and_scope(self, hooks: Hooks, store_transaction: Callable[[], Any]) -> None:
        tokens = issued_tokens(scope=("read", "write", "admin:all"), refresh_lifetime=None)
        assert tokens.refresh is not None
        with store_transaction():
            hooks.save_tokens(tokens)
        refresh = hooks.find_refresh_token(tokens.refresh.digest)
        assert refresh is not None and refresh.expires_at is None
        assert refresh.scope == frozenset({"read", "write", "admin:all"})
        assert hooks.find_access_token(tokens.access.digest) == tokens.access
