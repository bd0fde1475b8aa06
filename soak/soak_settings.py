"""Settings for the soak test: the example project's, production-like where it matters for load.

DEBUG is off (no query log, no debug pages), the security log keeps
warnings only, and plain HTTP is allowed because the soak talks to
gunicorn on 127.0.0.1 with no TLS in between.
"""

from __future__ import annotations

from example_project.settings import *  # noqa: F403
from example_project.settings import OAUTH2_SERVER

DEBUG = False

OAUTH2_SERVER = {**OAUTH2_SERVER, "REQUIRE_HTTPS": False}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "oauth2.security": {"handlers": ["console"], "level": "WARNING"},
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
    },
}
