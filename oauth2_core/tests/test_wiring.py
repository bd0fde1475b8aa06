"""Building a server from directly registered plugins: the registry and the host/store wiring checks.

Discovery through entry points, with real installed distributions, is in
``test_plugin_distributions.py``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Generator, Iterator
from contextlib import AbstractContextManager
from urllib.parse import urlencode

import pluggy
import pytest
from core_support import ECHO, EchoGrant, GrantPlugin, basic, build_world, echo_form

from oauth2_core import (
    Client,
    ConfigurationError,
    Grant,
    ServerConfig,
    TokenRequest,
    build_server,
    handle_token_request,
    hookimpl,
    hookspec,
)
from oauth2_core.plugins import SINGLE_IMPLEMENTATION_HOOKS
from oauth2_testing.memory import MemoryHost, MemoryTokenStore

NOTHING_INSTALLED = ServerConfig(grants=(), plugins=())


def build(*plugins: object) -> None:
    build_server(NOTHING_INSTALLED, plugins)


class BadName(EchoGrant):
    grant_type = "not a grant type"


class OtherEcho(EchoGrant):
    """A second, unrelated grant class that claims the echo grant type."""


class TestRegistry:
    def test_collects_grants_by_wire_name(self) -> None:
        world = build_world()
        assert set(world.server.registry) == {
            "urn:example:echo",
            "urn:example:echo-required",
            "urn:example:echo-self",
        }
        entry = world.server.registry[ECHO]
        assert isinstance(entry.grant, EchoGrant)
        assert entry.source == "plugin 'GrantPlugin' (registered directly)"

    def test_secret_parameters_of_all_grants_plus_client_secret(self) -> None:
        assert build_world().server.registry.secret_parameters == frozenset({"client_secret", "code"})

    def test_invalid_grant_type_names_plugin_and_value(self) -> None:
        with pytest.raises(ConfigurationError) as caught:
            build(MemoryHost(), MemoryTokenStore(), GrantPlugin(BadName()))
        assert str(caught.value) == (
            "plugin 'GrantPlugin' (registered directly) declared an invalid grant_type "
            "'not a grant type' (RFC 6749 A.10)"
        )

    def test_declaring_something_else_than_a_grant(self) -> None:
        class Sloppy:
            @hookimpl
            def oauth2_grant_types(self, config: ServerConfig) -> list[object]:
                return ["password"]

        with pytest.raises(ConfigurationError, match=r"plugin 'Sloppy' .* declared 'password', which is not"):
            build(MemoryHost(), MemoryTokenStore(), Sloppy())

    def test_duplicate_grant_type_names_both_plugins(self) -> None:
        class FirstPlugin(GrantPlugin):
            pass

        class SecondPlugin(GrantPlugin):
            pass

        with pytest.raises(ConfigurationError) as caught:
            build(MemoryHost(), MemoryTokenStore(), FirstPlugin(EchoGrant()), SecondPlugin(OtherEcho()))
        message = str(caught.value)
        assert message.startswith("grant type 'urn:example:echo' is declared twice")
        assert "plugin 'FirstPlugin' (registered directly)" in message
        assert "plugin 'SecondPlugin' (registered directly)" in message

    def test_duplicate_within_one_plugin(self) -> None:
        with pytest.raises(ConfigurationError, match="declared twice"):
            build(MemoryHost(), MemoryTokenStore(), GrantPlugin(EchoGrant(), OtherEcho()))

    def test_no_grants_enabled_is_a_valid_but_useless_server(self) -> None:
        world = build_world(grants=[])
        assert len(world.server.registry) == 0
        assert world.post(echo_form()).json()["error"] == "unsupported_grant_type"


class TestHostAndStoreWiring:
    @pytest.mark.parametrize("missing", ["host", "store"])
    def test_missing_implementation_names_the_hook(self, missing: str) -> None:
        plugins = [MemoryTokenStore()] if missing == "host" else [MemoryHost()]
        with pytest.raises(ConfigurationError) as caught:
            build(*plugins)
        hook = "oauth2_host_find_client" if missing == "host" else "oauth2_store_save_tokens"
        assert (
            str(caught.value)
            == f"the token endpoint needs an implementation of hook {hook!r}, and no plugin provides one"
        )

    @pytest.mark.parametrize("hook_name", SINGLE_IMPLEMENTATION_HOOKS)
    def test_every_required_hook_is_checked(self, hook_name: str) -> None:
        host, store = MemoryHost(), MemoryTokenStore()
        # Shadow one implementation with a plain attribute, which pluggy does not take for a hookimpl.
        setattr(host if hook_name.startswith("oauth2_host_") else store, hook_name, None)
        with pytest.raises(ConfigurationError) as caught:
            build(host, store)
        assert f"hook {hook_name!r}, and no plugin provides one" in str(caught.value)

    def test_two_stores_name_both_plugins(self) -> None:
        class PrimaryStore(MemoryTokenStore):
            pass

        class ShadowStore(MemoryTokenStore):
            pass

        with pytest.raises(ConfigurationError) as caught:
            build(MemoryHost(), PrimaryStore(), ShadowStore())
        message = str(caught.value)
        assert message.startswith("hook 'oauth2_store_save_tokens' must have exactly one implementation, found:")
        assert "plugin 'PrimaryStore' (registered directly)" in message
        assert "plugin 'ShadowStore' (registered directly)" in message

    def test_wrappers_do_not_count_and_do_run(self) -> None:
        seen: list[str] = []

        class CachingWrapper:
            @hookimpl(wrapper=True)
            def oauth2_host_find_client(self, client_id: str) -> Generator[None, Client | None, Client | None]:
                found = yield
                seen.append(client_id)
                return found

        world = build_world(plugins=[CachingWrapper()])
        secret = world.add_client("app")
        assert secret is not None
        assert world.post(echo_form(), authorization=basic("app", secret)).status == 200
        assert seen == ["app"]

    def test_implementation_of_unknown_hook_names_the_plugin(self) -> None:
        class Typo:
            @hookimpl
            def oauth2_host_find_clients(self, client_id: str) -> None:
                return None

        with pytest.raises(ConfigurationError) as caught:
            build(MemoryHost(), MemoryTokenStore(), Typo())
        assert str(caught.value).startswith("plugin 'Typo' (registered directly):")
        assert "oauth2_host_find_clients" in str(caught.value)

    def test_grant_needing_a_host_hook_nobody_implements(self) -> None:
        class NeedsDirectory(EchoGrant):
            grant_type = "urn:example:directory"
            required_host_hooks = ("oauth2_directory_lookup",)

        with pytest.raises(ConfigurationError) as caught:
            build(MemoryHost(), MemoryTokenStore(), GrantPlugin(NeedsDirectory()))
        assert str(caught.value) == (
            "grant 'urn:example:directory' (plugin 'GrantPlugin' (registered directly)) needs an implementation "
            "of hook 'oauth2_directory_lookup', and no plugin provides one"
        )

    def test_grant_adds_its_own_host_hookspec(self) -> None:
        """oauth2_add_hookspecs lets a grant declare host hooks the core knows nothing about."""

        class DirectorySpecs:
            @hookspec(firstresult=True)
            def oauth2_directory_lookup(self, name: str) -> str | None:
                """Fires when the directory grant resolves a name."""
                raise NotImplementedError

        class NeedsDirectory(EchoGrant):
            grant_type = "urn:example:directory"
            required_host_hooks = ("oauth2_directory_lookup",)

        class DirectoryGrantPlugin(GrantPlugin):
            @hookimpl
            def oauth2_add_hookspecs(self, pluginmanager: pluggy.PluginManager) -> None:
                pluginmanager.add_hookspecs(DirectorySpecs)

        class Directory:
            @hookimpl
            def oauth2_directory_lookup(self, name: str) -> str | None:
                return name.upper()

        server = build_server(
            NOTHING_INSTALLED, [MemoryHost(), MemoryTokenStore(), DirectoryGrantPlugin(NeedsDirectory()), Directory()]
        )
        assert server.pluginmanager.hook.oauth2_directory_lookup(name="alice") == "ALICE"
        # Without the grant's spec the same implementation is a hook nobody declared.
        with pytest.raises(ConfigurationError, match=r"plugin 'Directory' .*oauth2_directory_lookup"):
            build(MemoryHost(), MemoryTokenStore(), GrantPlugin(NeedsDirectory()), Directory())
        # With the spec but no implementation, the grant's requirement names the hook.
        with pytest.raises(ConfigurationError, match="needs an implementation of hook 'oauth2_directory_lookup'"):
            build(MemoryHost(), MemoryTokenStore(), DirectoryGrantPlugin(NeedsDirectory()))

    def test_transaction_wraps_the_store_writes(self) -> None:
        events: list[str] = []

        @contextlib.contextmanager
        def recorder() -> Iterator[None]:
            events.append("begin")
            yield
            events.append(f"end with {len(store.access)} token(s) stored")

        class RecordingHost(MemoryHost):
            @hookimpl
            def oauth2_host_transaction(self) -> AbstractContextManager[None]:
                return recorder()

        store = MemoryTokenStore()
        host = RecordingHost()
        grants: tuple[Grant, ...] = (EchoGrant(),)
        server = build_server(NOTHING_INSTALLED, [host, store, GrantPlugin(*grants)])
        secret = host.add_client("app", grant_types=(ECHO,))
        assert secret is not None
        body = urlencode(echo_form()).encode()
        request = TokenRequest("POST", "application/x-www-form-urlencoded", basic("app", secret), body)
        assert handle_token_request(server, request).status == 200
        assert events == ["begin", "end with 1 token(s) stored"]
