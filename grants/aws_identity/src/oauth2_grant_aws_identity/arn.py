"""Strict parsing of the caller ARN that STS returns, and its canonical form.

Only the principals a workload can sign GetCallerIdentity as are accepted:
IAM users and roles (with paths), assumed-role sessions and federated users.
An assumed-role ARN is canonicalised to its role, so a binding names the role
and not every session of it. STS leaves the role's path out of assumed-role
ARNs, so the canonical role ARN has no path either; bind roles by their
path-less ARN. The account root and every other shape are refused with
``invalid_grant``: parsing never raises anything else.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from oauth2_core.errors import InvalidGrant
from oauth2_grant_aws_identity.regions import PARTITIONS

#: The issuer under which every AWS identity is bound; the subject is the canonical ARN.
ISSUER = "aws"

MAX_ARN_LENGTH = 2048
_ACCOUNT = re.compile(r"[0-9]{12}")
# IAM names: letters, digits and +=,.@_- (the IAM and STS documented character sets).
_IAM_NAME = re.compile(r"[A-Za-z0-9+=,.@_-]{1,64}")
_SESSION_NAME = re.compile(r"[A-Za-z0-9+=,.@_-]{2,64}")
_FEDERATED_NAME = re.compile(r"[A-Za-z0-9+=,.@_-]{2,32}")
# An IAM path: "/" or "/segment/.../" of printable ASCII without spaces, at most 512 characters.
_IAM_PATH = re.compile(r"/(?:[\x21-\x2e\x30-\x7e]+/)*")


class PrincipalType(enum.Enum):
    USER = "user"
    ROLE = "role"
    FEDERATED_USER = "federated-user"


@dataclass(frozen=True, slots=True)
class AwsIdentity:
    """A caller identity STS confirmed, parsed and canonicalised.

    ``arn`` is exactly what STS returned; ``canonical_arn`` is what bindings
    match (``subject``). ``session_name`` is set for assumed-role sessions,
    ``path`` for users and roles whose ARN carried one. ``user_id`` is STS's
    unique id (for a role session: role id and session name).
    """

    arn: str
    canonical_arn: str
    partition: str
    account: str
    principal_type: PrincipalType
    name: str
    path: str = "/"
    session_name: str | None = None
    user_id: str = ""

    @property
    def issuer(self) -> str:
        return ISSUER

    @property
    def subject(self) -> str:
        return self.canonical_arn


def _refuse(reason: str) -> InvalidGrant:
    return InvalidGrant(f"the AWS caller identity was refused: {reason}")


def _path_and_name(resource: str) -> tuple[str, str]:
    """Split ``path/name`` (the part after ``user/`` or ``role/``) into ("/path/", "name")."""
    path_part, _, name = resource.rpartition("/")
    path = f"/{path_part}/" if path_part else "/"
    if resource.startswith("/") or len(path) > 512 or not _IAM_PATH.fullmatch(path):
        raise _refuse("the ARN has a malformed IAM path")
    if not _IAM_NAME.fullmatch(name):
        raise _refuse("the ARN has a malformed IAM name")
    return path, name


def parse_caller_arn(arn: str, user_id: str = "") -> AwsIdentity:
    """Parse a GetCallerIdentity ``Arn``; raise ``InvalidGrant`` for anything but a supported principal."""
    if len(arn) > MAX_ARN_LENGTH or not arn.isascii():
        raise _refuse("the ARN is malformed")
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        raise _refuse("the ARN is malformed")
    _, partition, service, region, account, resource = parts
    if partition not in PARTITIONS:
        raise _refuse("the ARN names an unsupported partition")
    if service not in ("iam", "sts"):
        raise _refuse("only IAM and STS principal ARNs are accepted")
    if region:
        raise _refuse("IAM and STS principal ARNs carry no region")
    if not _ACCOUNT.fullmatch(account):
        raise _refuse("the ARN has a malformed account id")
    prefix = f"arn:{partition}"
    kind, slash, rest = resource.partition("/")
    if service == "iam" and resource == "root":
        raise _refuse("account root credentials may not be used; sign with an IAM user or role")
    if service == "iam" and slash and kind in ("user", "role"):
        path, name = _path_and_name(rest)
        principal = PrincipalType.USER if kind == "user" else PrincipalType.ROLE
        return AwsIdentity(
            arn,
            f"{prefix}:iam::{account}:{kind}{path}{name}",
            partition,
            account,
            principal,
            name,
            path,
            user_id=user_id,
        )
    if service == "sts" and slash and kind == "assumed-role":
        role, separator, session = rest.partition("/")
        if not separator or not _IAM_NAME.fullmatch(role) or not _SESSION_NAME.fullmatch(session):
            raise _refuse("the assumed-role ARN is malformed")
        canonical = f"{prefix}:iam::{account}:role/{role}"
        return AwsIdentity(
            arn, canonical, partition, account, PrincipalType.ROLE, role, session_name=session, user_id=user_id
        )
    if service == "sts" and slash and kind == "federated-user":
        if not _FEDERATED_NAME.fullmatch(rest):
            raise _refuse("the federated-user ARN is malformed")
        canonical = f"{prefix}:sts::{account}:federated-user/{rest}"
        return AwsIdentity(arn, canonical, partition, account, PrincipalType.FEDERATED_USER, rest, user_id=user_id)
    raise _refuse("only IAM users, IAM roles, assumed-role sessions and federated users may sign in")
