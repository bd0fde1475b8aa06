"""Tests of oauth2_django against SQLite (default) or the real PostgreSQL (OAUTH2_TEST_DB=postgres)."""
