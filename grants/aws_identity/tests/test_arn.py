"""ARN parsing: the supported principals, their canonical form, and refusal of everything else."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oauth2_core.errors import InvalidGrant
from oauth2_grant_aws_identity import PrincipalType, parse_caller_arn


@pytest.mark.parametrize(
    "arn, canonical, principal, name, path",
    [
        (
            "arn:aws:iam::123456789012:user/alice",
            "arn:aws:iam::123456789012:user/alice",
            PrincipalType.USER,
            "alice",
            "/",
        ),
        (
            "arn:aws:iam::123456789012:user/team/dev/alice",
            "arn:aws:iam::123456789012:user/team/dev/alice",
            PrincipalType.USER,
            "alice",
            "/team/dev/",
        ),
        (
            "arn:aws:iam::123456789012:role/ci/deployer",
            "arn:aws:iam::123456789012:role/ci/deployer",
            PrincipalType.ROLE,
            "deployer",
            "/ci/",
        ),
        (
            "arn:aws-cn:iam::123456789012:user/a.b@c+d=e,f_g-h",
            "arn:aws-cn:iam::123456789012:user/a.b@c+d=e,f_g-h",
            PrincipalType.USER,
            "a.b@c+d=e,f_g-h",
            "/",
        ),
        (
            "arn:aws-us-gov:sts::123456789012:assumed-role/deployer/i-0abc",
            "arn:aws-us-gov:iam::123456789012:role/deployer",
            PrincipalType.ROLE,
            "deployer",
            "/",
        ),
        (
            "arn:aws:sts::123456789012:federated-user/bob",
            "arn:aws:sts::123456789012:federated-user/bob",
            PrincipalType.FEDERATED_USER,
            "bob",
            "/",
        ),
    ],
)
def test_supported_principals(arn: str, canonical: str, principal: PrincipalType, name: str, path: str) -> None:
    identity = parse_caller_arn(arn, "AIDAEXAMPLE")
    assert identity.arn == arn
    assert identity.canonical_arn == identity.subject == canonical
    assert identity.issuer == "aws"
    assert identity.principal_type is principal
    assert (identity.name, identity.path, identity.account) == (name, path, "123456789012")
    assert identity.user_id == "AIDAEXAMPLE"


def test_assumed_role_keeps_its_session_name() -> None:
    identity = parse_caller_arn("arn:aws:sts::123456789012:assumed-role/deployer/build-7")
    assert identity.session_name == "build-7"
    assert identity.partition == "aws"


def test_every_session_of_a_role_has_one_subject() -> None:
    first = parse_caller_arn("arn:aws:sts::123456789012:assumed-role/deployer/session-a")
    second = parse_caller_arn("arn:aws:sts::123456789012:assumed-role/deployer/session-b")
    assert first.subject == second.subject == "arn:aws:iam::123456789012:role/deployer"


@pytest.mark.parametrize(
    "arn, reason",
    [
        ("arn:aws:iam::123456789012:root", "root"),
        ("arn:aws:iam::123456789012:group/admins", "only IAM users"),
        ("arn:aws:iam::123456789012:policy/p", "only IAM users"),
        ("arn:aws:iam::123456789012:user", "only IAM users"),
        ("arn:aws:iam::123456789012:user/", "name"),
        ("arn:aws:iam::123456789012:user//alice", "path"),
        ("arn:aws:iam::123456789012:user/team//alice", "path"),
        ("arn:aws:iam::123456789012:user/te am/alice", "path"),
        ("arn:aws:iam::123456789012:user/al ice", "name"),
        ("arn:aws:iam::123456789012:user/" + "a" * 65, "name"),
        ("arn:aws:iam::123456789012:user/" + "p/" * 300 + "alice", "path"),
        ("arn:aws:sts::123456789012:assumed-role/deployer", "assumed-role"),
        ("arn:aws:sts::123456789012:assumed-role/deployer/x", "assumed-role"),
        ("arn:aws:sts::123456789012:assumed-role/deployer/a/b", "assumed-role"),
        ("arn:aws:sts::123456789012:federated-user/b", "federated"),
        ("arn:aws:sts::123456789012:user/alice", "only IAM users"),
        ("arn:aws:iam::123456789012:assumed-role/deployer/s", "only IAM users"),
        ("arn:aws:s3:::bucket/key", "IAM and STS"),
        ("arn:aws:iam:us-east-1:123456789012:user/alice", "region"),
        ("arn:aws-iso:iam::123456789012:user/alice", "partition"),
        ("arn:AWS:iam::123456789012:user/alice", "partition"),
        ("arn:aws:iam::12345678901:user/alice", "account"),
        ("arn:aws:iam::1234567890123:user/alice", "account"),
        ("arn:aws:iam::12345678901a:user/alice", "account"),
        ("arn:aws:iam::123456789012", "malformed"),
        ("urn:aws:iam::123456789012:user/alice", "malformed"),
        ("", "malformed"),
        ("arn:aws:iam::123456789012:user/\u00e4lice", "malformed"),
        ("arn:aws:iam::\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19\uff10\uff11\uff12:user/a", "malformed"),
        ("arn:aws:iam::123456789012:user/" + "a" * 3000, "malformed"),
    ],
)
def test_everything_else_is_invalid_grant(arn: str, reason: str) -> None:
    with pytest.raises(InvalidGrant) as raised:
        parse_caller_arn(arn)
    assert reason in raised.value.description


@given(st.text(max_size=300) | st.from_regex(r"arn:aws(-cn)?:(iam|sts)::[0-9]{12}:[ -~]{0,80}", fullmatch=True))
def test_parsing_never_raises_anything_but_invalid_grant(arn: str) -> None:
    try:
        identity = parse_caller_arn(arn)
    except InvalidGrant:
        return
    # Whatever is accepted canonicalises to an ARN that parses to the same subject.
    assert parse_caller_arn(identity.canonical_arn).canonical_arn == identity.canonical_arn
