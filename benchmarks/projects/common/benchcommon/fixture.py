"""The identities every system is set up with, so the three projects hold the same data.

These are benchmark fixtures for throwaway local databases, not credentials.
"""

from __future__ import annotations

USERNAME = "bench-user"
PASSWORD = "correct horse battery staple 2024"  # noqa: S105 - fixture for a throwaway database
CLIENT_ID = "bench-client"
#: Confidential client secret, for the systems that let the operator choose it.
CLIENT_SECRET = "bench-secret-6e0a5d2c8f9b4f7aa1c3d5e7f9b1d3f5a7c9e1b3d5f7"  # noqa: S105 - fixture
SCOPE = "read"
