"""One oauth2_core server per process, built on first use and dropped when ``OAUTH2_SERVER`` changes.

Building loads the enabled grant plugins, so it never happens at import time.
Django's ``setting_changed`` signal (sent by ``override_settings``) drops the
cached server, so tests change grants or lifetimes with no extra wrapper.
What the token view derives from the server (the parameters error reports
hide) is cached with it, not recomputed per request.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from django.core.signals import setting_changed
from django.dispatch import receiver

from oauth2_core import Server, build_server
from oauth2_django import aws_identity, conf, host, signals, store, throttle


@dataclass(frozen=True, slots=True)
class _Built:
    server: Server
    #: What the token endpoint's error reports hide: every enabled grant's secret parameters and client_secret.
    secret_parameters: tuple[str, ...]


_built: _Built | None = None
_lock = threading.Lock()


def _get_built() -> _Built:
    global _built
    current = _built
    if current is None:
        with _lock:
            if _built is None:
                server = build_server(conf.get_settings().server, [host, store, signals, aws_identity, throttle])
                _built = _Built(server, tuple(sorted(server.registry.secret_parameters)))
            current = _built
    return current


def get_server() -> Server:
    """The process's server; raises ``oauth2_core.ConfigurationError`` when the setup is wrong."""
    return _get_built().server


def secret_parameters() -> tuple[str, ...]:
    """The sorted names of the form parameters that hold secrets on this server (for ``sensitive_post_parameters``)."""
    return _get_built().secret_parameters


@receiver(setting_changed, dispatch_uid="oauth2_django.server.reset")
def _reset(*, setting: str, **kwargs: object) -> None:
    global _built
    if setting == conf.SETTING:
        _built = None
