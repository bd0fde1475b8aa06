"""Benchmark project for this project's Django app, oauth2-django, with the password and refresh grants."""
