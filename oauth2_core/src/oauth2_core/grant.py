"""What a grant type is: declared parameters, a pure parser and a validator.

A grant declares everything the rest of the system needs to know about it
(its parameters and which of them are secret, how the client authenticates),
so docs, fuzzing strategies, log redaction and Django's
``sensitive_post_parameters`` all derive from one declaration.
"""

from __future__ import annotations

import abc
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from oauth2_core.clients import Client, ClientAuthentication
from oauth2_core.errors import InvalidRequest, InvalidScope
from oauth2_core.form import CONTROL_CHARACTERS

if TYPE_CHECKING:
    from oauth2_core.context import GrantContext

# RFC 6749 appendix A.10: grant-name = 1*name-char, or an absolute URI.
_GRANT_NAME = re.compile(r"[A-Za-z0-9._-]+")
_GRANT_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[\x21-\x7e]+")
# RFC 6749 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
_SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")


def is_valid_grant_type(value: str) -> bool:
    """True when ``value`` follows the RFC 6749 A.10 grammar for grant_type."""
    return bool(_GRANT_NAME.fullmatch(value) or _GRANT_URI.fullmatch(value))


def parse_scope(value: str | None) -> frozenset[str] | None:
    """A space-delimited scope parameter as a set; None when it was not sent."""
    if value is None:
        return None
    tokens = value.split(" ")
    if not all(_SCOPE_TOKEN.fullmatch(token) for token in tokens):
        raise InvalidScope("scope must be scope tokens separated by single spaces")
    return frozenset(tokens)


@dataclass(frozen=True, slots=True)
class Parameter:
    """A form parameter a grant reads.

    ``secret`` parameters are redacted from logs and error reports;
    ``max_length`` bounds what the parser accepts and what fuzzing generates.
    """

    name: str
    required: bool = True
    secret: bool = False
    max_length: int = 1024


#: The ``scope`` parameter shared by most grants (RFC 6749 3.3).
SCOPE = Parameter("scope", required=False, max_length=2048)


@dataclass(frozen=True, slots=True)
class GrantRequest:
    """A parsed token request: the grant type's own parameters, validated for shape.

    Grants subclass it to add typed fields; ``scope`` is None when not sent.
    """

    grant_type: str
    scope: frozenset[str] | None


@dataclass(frozen=True, slots=True)
class Authorization:
    """The outcome of a valid request: what the token is for.

    ``client`` is the client the token is issued to (a grant with
    :attr:`ClientAuthentication.NONE` finds it itself). ``refresh`` asks for a
    refresh token alongside. ``family_id`` continues a refresh-token family;
    ``rotates`` is the digest of a refresh token this issuance consumes, which
    the store retires in the same operation that saves the new tokens.
    ``lifetime`` caps the access-token lifetime below the configured one.
    """

    client: Client
    user_id: str | None
    scope: frozenset[str]
    refresh: bool = False
    family_id: str | None = None
    rotates: str | None = field(default=None, repr=False)
    lifetime: int | None = None


class Grant(abc.ABC):
    """A grant type. Subclass it, then return instances from ``oauth2_grant_types``."""

    #: The wire value of ``grant_type`` (RFC 6749 A.10 grammar).
    grant_type: ClassVar[str]
    #: Parameters besides ``grant_type`` and the client credentials.
    parameters: ClassVar[tuple[Parameter, ...]] = ()
    #: How the client must authenticate for this grant.
    client_authentication: ClassVar[ClientAuthentication] = ClientAuthentication.CONFIDENTIAL
    #: Host hooks this grant calls; the server refuses to start without them.
    required_host_hooks: ClassVar[tuple[str, ...]] = ()

    @property
    def secret_parameters(self) -> frozenset[str]:
        return frozenset(parameter.name for parameter in self.parameters if parameter.secret)

    def read_parameters(self, form: Mapping[str, str]) -> dict[str, str]:
        """The declared parameters from ``form``, checked for presence, length and control characters."""
        values: dict[str, str] = {}
        for parameter in self.parameters:
            value = form.get(parameter.name) or None  # empty counts as omitted (RFC 6749 3.1)
            if value is None:
                if parameter.required:
                    raise InvalidRequest(f"the {parameter.name} parameter is required")
                continue
            if len(value) > parameter.max_length:
                raise InvalidRequest(f"the {parameter.name} parameter is too long")
            if CONTROL_CHARACTERS.search(value):
                raise InvalidRequest(f"the {parameter.name} parameter contains control characters")
            values[parameter.name] = value
        return values

    @abc.abstractmethod
    def parse_token_request(self, form: Mapping[str, str]) -> GrantRequest:
        """Turn the form into a request object. Pure: no I/O; raises only ``OAuth2Error``."""

    @abc.abstractmethod
    def validate_token_request(
        self, request: GrantRequest, client: Client | None, context: GrantContext
    ) -> Authorization:
        """Decide whether to issue a token; may do I/O through ``context``.

        ``client`` is the authenticated client, or None for grants that
        establish it themselves. Raise ``OAuth2Error`` to refuse.
        """

    def __repr__(self) -> str:
        return f"<{type(self).__name__} grant_type={self.grant_type!r}>"
