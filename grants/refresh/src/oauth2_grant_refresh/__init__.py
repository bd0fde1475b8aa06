"""The OAuth 2.0 refresh-token grant as an oauth2_core plugin (entry point ``refresh_token``)."""

from oauth2_grant_refresh.grant import RefreshRequest, RefreshTokenGrant

__all__ = ["RefreshRequest", "RefreshTokenGrant"]
