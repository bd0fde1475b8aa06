"""An example grant for oauth2-core (entry point ``example``): the template to copy, not a grant to enable."""

from oauth2_grant_example.grant import GRANT_TYPE, MAX_LIFETIME, ExampleGrant, ExampleRequest

__all__ = ["GRANT_TYPE", "MAX_LIFETIME", "ExampleGrant", "ExampleRequest"]
