"""The OAuth 2.0 password grant as an oauth2_core plugin (entry point ``password``)."""

from oauth2_grant_password.grant import PasswordGrant, PasswordRequest
from oauth2_grant_password.options import PasswordOptions

__all__ = ["PasswordGrant", "PasswordOptions", "PasswordRequest"]
