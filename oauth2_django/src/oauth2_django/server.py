"""One oauth2_core server per process, built on first use and dropped when ``OAUTH2_SERVER`` changes.

Building loads the enabled grant plugins, so it never happens at import time.
Django's ``setting_changed`` signal (sent by ``override_settings``) drops the
cached server, so tests change grants or lifetimes with no extra wrapper.
What the token view derives from the server (the parameters error reports
hide) is cached with it, not recomputed per request.
"""

from __future__ import annotations

from dataclasses import dataclass

from oauth2_core import Server, build_server
from oauth2_django import aws_identity, conf, host, signals, store, throttle
from oauth2_django.setting_cache import SettingCache


@dataclass(frozen=True, slots=True)
class _Built:
    server: Server
    #: What the token endpoint's error reports hide: every enabled grant's secret parameters and client_secret.
    secret_parameters: tuple[str, ...]


def _build() -> _Built:
    server = build_server(conf.get_settings().server, [host, store, signals, aws_identity, throttle])
    return _Built(server, tuple(sorted(server.registry.secret_parameters)))


_built = SettingCache(_build, depends_on=(conf.SETTING,), uid="oauth2_django.server")


def get_server() -> Server:
    """The process's server; raises ``oauth2_core.ConfigurationError`` when the setup is wrong."""
    return _built.get().server


def secret_parameters() -> tuple[str, ...]:
    """The sorted names of the form parameters that hold secrets on this server (for ``sensitive_post_parameters``)."""
    return _built.get().secret_parameters
