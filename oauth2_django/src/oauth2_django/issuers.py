"""The external identity issuers a federated binding may name, and what a valid pattern for each looks like.

A binding is only as safe as its pattern: a glob such as ``*:role/ci-*``
would admit every AWS account in the world. Each issuer therefore pins the
literal prefix (its *anchor*) every pattern must start with, and may check
exact patterns further, with the parsing its grant owns.

A new federated grant adds its issuer here, next to its host hooks.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from oauth2_django.patterns import Match, pattern_problem


@dataclass(frozen=True, slots=True)
class Issuer:
    """What oauth2_django knows about one issuer of external identities."""

    name: str
    #: The grant type that presents this issuer's identities; a bound client must allow it.
    grant_type: str
    #: The literal prefix every pattern must start with, as a regular expression matched at the start.
    anchor: re.Pattern[str]
    #: An example of a valid anchor, for error messages.
    anchor_example: str
    #: Further checks of an exact pattern; returns a problem sentence or None.
    check_exact: Callable[[str], str | None] | None = None


def _check_exact_arn(pattern: str) -> str | None:
    """An exact AWS pattern must be the canonical ARN the grant matches, or it can never match."""
    try:
        from oauth2_grant_aws_identity import PrincipalType, parse_caller_arn
    except ImportError:
        return None  # Without the grant no AWS identity is ever bound; the anchor check still applies.
    from oauth2_core.errors import InvalidGrant

    try:
        identity = parse_caller_arn(pattern)
    except InvalidGrant as exc:
        return f"This ARN can never sign in ({exc.description.removeprefix('the AWS caller identity was refused: ')})."
    if identity.principal_type is PrincipalType.ROLE and identity.path != "/":
        return (
            "Roles sign in through sessions, whose ARN leaves out the role's path: bind "
            f"'arn:{identity.partition}:iam::{identity.account}:role/{identity.name}' instead."
        )
    if identity.canonical_arn != pattern:
        return f"Identities are matched by their canonical ARN: bind '{identity.canonical_arn}' instead."
    return None


AWS = Issuer(
    name="aws",
    grant_type="aws_identity",
    # Partition, service and account are pinned; the resource part is free.
    anchor=re.compile(r"arn:aws(?:-cn|-us-gov)?:(?:iam|sts)::[0-9]{12}:"),
    anchor_example="arn:aws:iam::123456789012:",
    check_exact=_check_exact_arn,
)

ISSUERS: Mapping[str, Issuer] = {AWS.name: AWS}


def issuer_for(name: str) -> Issuer | None:
    return ISSUERS.get(name)


def issuer_problem(name: str) -> str | None:
    if name in ISSUERS:
        return None
    return f"Unknown issuer {name!r}; known issuers: {', '.join(sorted(ISSUERS))}."


def pattern_problems(issuer_name: str, match: Match | str, pattern: str) -> list[str]:
    """Everything wrong with a pattern for this issuer, as sentences for a form."""
    problem = pattern_problem(match, pattern)
    if problem is not None:
        return [problem]
    issuer = issuer_for(issuer_name)
    if issuer is None:
        return []  # issuer_problem() reports it.
    anchored = issuer.anchor.match(pattern)
    if anchored is None:
        return [
            f"A {issuer.name} pattern must start with its full namespace, written out, such as "
            f"'{issuer.anchor_example}' (no '*' before the resource part)."
        ]
    if match == Match.EXACT and issuer.check_exact is not None:
        exact_problem = issuer.check_exact(pattern)
        if exact_problem is not None:
            return [exact_problem]
    return []
