"""The example project: a small API protected by oauth2_django, used as the demo and the end-to-end test target."""
