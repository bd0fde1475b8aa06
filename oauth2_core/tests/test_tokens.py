"""Token values: 256-bit random with a type prefix; digests and display prefixes for the store."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime

from oauth2_core.tokens import (
    ACCESS_TOKEN_PREFIX,
    CLIENT_SECRET_PREFIX,
    REFRESH_TOKEN_PREFIX,
    AccessTokenRecord,
    IssuedTokens,
    digest,
    digest_matches,
    display_prefix,
    generate,
    new_family_id,
)


def test_generated_tokens_carry_256_random_bits() -> None:
    token = generate(ACCESS_TOKEN_PREFIX)
    assert token.startswith("o2at_")
    random_part = token.removeprefix(ACCESS_TOKEN_PREFIX)
    assert len(base64.urlsafe_b64decode(random_part + "=")) == 32
    assert len({generate(REFRESH_TOKEN_PREFIX) for _ in range(1000)}) == 1000


def test_prefixes_are_distinct() -> None:
    assert len({ACCESS_TOKEN_PREFIX, REFRESH_TOKEN_PREFIX, CLIENT_SECRET_PREFIX}) == 3


def test_digest_is_sha256_hex() -> None:
    assert digest("abc") == hashlib.sha256(b"abc").hexdigest()
    assert digest_matches("abc", digest("abc"))
    assert not digest_matches("abd", digest("abc"))


def test_digest_of_unpaired_surrogate_does_not_crash() -> None:
    # Text from a lenient decoder can hold lone surrogates; hashing must still work.
    assert len(digest("\udcff")) == 64


def test_display_prefix_shows_four_random_characters() -> None:
    token = generate(ACCESS_TOKEN_PREFIX)
    assert display_prefix(token) == token[: len(ACCESS_TOKEN_PREFIX) + 4]


def test_family_ids_are_unique() -> None:
    assert len({new_family_id() for _ in range(1000)}) == 1000


def test_issued_tokens_repr_hides_plaintext() -> None:
    access_token, refresh_token = generate(ACCESS_TOKEN_PREFIX), generate(REFRESH_TOKEN_PREFIX)
    record = AccessTokenRecord(
        digest(access_token), display_prefix(access_token), "app", None, frozenset(), datetime.now(UTC), "f"
    )
    issued = IssuedTokens(access_token, record, refresh_token, None, 60)
    assert access_token not in repr(issued)
    assert refresh_token not in repr(issued)
