"""The grant honours oauth2_testing's GrantContract."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from aws_strategies import PARAMETER_VALUES
from aws_support import SERVER_ID, AwsMemoryHost, fake_credentials, form_for, sign_botocore
from hypothesis import strategies as st

from oauth2_core import Grant
from oauth2_grant_aws_identity import AwsIdentityGrant, AwsIdentityOptions
from oauth2_testing.contracts import GrantContract
from oauth2_testing.memory import MemoryHost, MemoryTokenStore

OPTIONS: dict[str, Any] = {"server_id": SERVER_ID}


class TestAwsIdentityContract(GrantContract):
    entry_point_name = "aws_identity"
    # The grant refuses to start without a server_id (secure default).
    contract_grant_options: ClassVar[dict[str, Any]] = {"aws_identity": OPTIONS}
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
