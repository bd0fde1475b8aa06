"""Subject patterns of federated bindings: exact strings and ``*`` globs, their precedence and overlaps.

A glob has one metacharacter, ``*``, which matches any run of characters,
the empty one included, ``/`` and ``:`` included. Everything else, ``?`` and
``[`` too, stands for itself: AWS allows both in IAM paths, and fnmatch's
character classes would turn them into surprises. Matching is linear in
practice and never backtracks exponentially, whatever the pattern.

Precedence: an exact pattern beats every glob; among globs the one with
more literal (non-``*``) characters wins. Two matching patterns of equal
rank are a configuration error for the caller to report, never a coin toss.
"""

from __future__ import annotations

import re
from enum import StrEnum

WILDCARD = "*"
#: The longest pattern accepted; a caller ARN is at most 2048 characters, too.
MAX_PATTERN_LENGTH = 2048
#: Printable ASCII without spaces: what subjects (ARNs, OIDC ``sub`` claims) are made of.
PATTERN_SYNTAX = re.compile(r"[\x21-\x7e]+")


class Match(StrEnum):
    EXACT = "exact"
    GLOB = "glob"


def glob_matches(pattern: str, subject: str) -> bool:
    """Whether ``subject`` matches the ``*`` glob ``pattern`` (whole string, case-sensitive)."""
    head, *middle_and_tail = pattern.split(WILDCARD)
    if not middle_and_tail:
        return pattern == subject
    *middle, tail = middle_and_tail
    if len(subject) < len(head) + len(tail) or not subject.startswith(head) or not subject.endswith(tail):
        return False
    # With ``*`` as the only metacharacter, taking each literal piece at its leftmost
    # place leaves the most room for the rest, so greedy search is exact.
    position, end = len(head), len(subject) - len(tail)
    for piece in middle:
        found = subject.find(piece, position, end)
        if found < 0:
            return False
        position = found + len(piece)
    return True


def matches(match: Match | str, pattern: str, subject: str) -> bool:
    return pattern == subject if match == Match.EXACT else glob_matches(pattern, subject)


def rank(match: Match | str, pattern: str) -> tuple[int, int]:
    """Sort key of a matching pattern, higher first: exact before glob, then more literal characters."""
    if match == Match.EXACT:
        return (1, len(pattern))
    return (0, len(pattern) - pattern.count(WILDCARD))


def can_overlap(first: tuple[Match | str, str], second: tuple[Match | str, str]) -> bool:
    """Whether some subject matches both patterns (each a ``(match, pattern)`` pair).

    Walks the product of the two patterns' automata: a state is a position
    in each pattern, ``*`` may match nothing (advance past it) or any one
    character (stay). At most ``len(a) * len(b)`` states, each seen once.
    """
    (match_a, a), (match_b, b) = first, second
    if match_a == Match.EXACT:
        return matches(match_b, b, a)
    if match_b == Match.EXACT:
        return glob_matches(a, b)
    goal = (len(a), len(b))
    seen = {(0, 0)}
    pending = [(0, 0)]
    while pending:
        i, j = pending.pop()
        if (i, j) == goal:
            return True
        star_a = i < len(a) and a[i] == WILDCARD
        star_b = j < len(b) and b[j] == WILDCARD
        following = []
        if star_a:
            following.append((i + 1, j))
        if star_b:
            following.append((i, j + 1))
        if i < len(a) and j < len(b):
            if star_a and not star_b:
                following.append((i, j + 1))  # a's star eats b's literal
            elif star_b and not star_a:
                following.append((i + 1, j))  # b's star eats a's literal
            elif not star_a and a[i] == b[j]:
                following.append((i + 1, j + 1))
        for state in following:
            if state not in seen:
                seen.add(state)
                pending.append(state)
    return False


def pattern_problem(match: Match | str, pattern: str) -> str | None:
    """What is wrong with a pattern, as a sentence for a form error; None when it is fine."""
    if not pattern:
        return "Give a subject pattern."
    if len(pattern) > MAX_PATTERN_LENGTH:
        return f"A subject pattern has at most {MAX_PATTERN_LENGTH} characters."
    if not PATTERN_SYNTAX.fullmatch(pattern):
        return "A subject pattern is printable ASCII without spaces."
    if match == Match.GLOB:
        if WILDCARD not in pattern:
            return "This glob has no '*', so it can only match itself: choose the exact match instead."
        if pattern.startswith(WILDCARD):
            return (
                "A glob may not start with '*': anchor it with a literal prefix that pins the issuer's "
                "namespace, e.g. 'arn:aws:iam::123456789012:role/ci-*'."
            )
        if WILDCARD * 2 in pattern:
            return "Write '*' once where you wrote '**': one '*' already matches any run of characters."
    return None
