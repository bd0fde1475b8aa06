"""The grant honours oauth2_testing's GrantContract."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from aws_strategies import PARAMETER_VALUES
from aws_support import SERVER_ID, AwsMemoryHost, fake_credentials, form_for, sign_botocore
from hypothesis import strategies as st

from oauth2_core import GRANTS_GROUP, Grant, ServerConfig, build_server
from oauth2_core.plugins import describe, installed_entry_points
from oauth2_grant_aws_identity import AwsIdentityGrant, AwsIdentityOptions
from oauth2_testing.contracts import GrantContract
from oauth2_testing.memory import MemoryHost, MemoryTokenStore

OPTIONS: dict[str, Any] = {"server_id": SERVER_ID}


class TestAwsIdentityContract(GrantContract):
    entry_point_name = "aws_identity"
    parameter_values: ClassVar[dict[str, st.SearchStrategy[str]]] = PARAMETER_VALUES

    @pytest.fixture
    def grant(self) -> Grant:
        return AwsIdentityGrant.from_options(AwsIdentityOptions.from_mapping(OPTIONS))

    @pytest.fixture
    def valid_form(self) -> dict[str, str]:
        return form_for("us-east-1", sign_botocore(fake_credentials(), "sts.us-east-1.amazonaws.com"))

    @pytest.fixture
    def contract_plugins(self, oauth2_memory_host: MemoryHost, oauth2_memory_store: MemoryTokenStore) -> list[object]:
        return [oauth2_memory_host, oauth2_memory_store, AwsMemoryHost(oauth2_memory_host, lambda: None)]  # type: ignore[arg-type, return-value]

    def test_entry_point_loads_the_grant(self, grant: Grant, contract_plugins: list[object]) -> None:
        # The contract builds its server with no grant options, and this grant refuses to start without a
        # server_id (secure default). Same checks as the contract's, with the one option it needs.
        installed = [entry_point.name for entry_point in installed_entry_points(GRANTS_GROUP)]
        assert self.entry_point_name in installed
        config = ServerConfig.from_mapping(
            {"grants": [self.entry_point_name], "grant_options": {"aws_identity": OPTIONS}}
        )
        server = build_server(config, contract_plugins)
        plugin = server.pluginmanager.get_plugin(self.entry_point_name)
        assert plugin is not None
        assert plugin in dict(server.pluginmanager.list_plugin_distributions())
        entry = server.registry[grant.grant_type]
        assert type(entry.grant) is type(grant)
        assert entry.source == describe(server.pluginmanager, plugin)
