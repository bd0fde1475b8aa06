"""Benchmark project for django-oauth-toolkit 3.4.1."""
