"""Benchmark project for django-oauth2 5.1.2 (import name ``provider``), the package this project replaces."""
