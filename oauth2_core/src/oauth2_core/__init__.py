"""oauth2_core: a framework-neutral OAuth 2.0 token endpoint with pluggable grants."""

from __future__ import annotations

from oauth2_core.clients import Client, ClientAuthentication, ClientSecret
from oauth2_core.config import ServerConfig
from oauth2_core.context import GrantContext
from oauth2_core.endpoint import TokenRequest, TokenResponse, handle_token_request
from oauth2_core.errors import ConfigurationError, OAuth2Error
from oauth2_core.grant import SCOPE, Authorization, Grant, GrantRequest, Parameter
from oauth2_core.markers import GRANTS_GROUP, NAME, PLUGINS_GROUP, hookimpl, hookspec
from oauth2_core.server import Server, build_server

__all__ = [
    "GRANTS_GROUP",
    "NAME",
    "PLUGINS_GROUP",
    "SCOPE",
    "Authorization",
    "Client",
    "ClientAuthentication",
    "ClientSecret",
    "ConfigurationError",
    "Grant",
    "GrantContext",
    "GrantRequest",
    "OAuth2Error",
    "Parameter",
    "Server",
    "ServerConfig",
    "TokenRequest",
    "TokenResponse",
    "build_server",
    "handle_token_request",
    "hookimpl",
    "hookspec",
]
