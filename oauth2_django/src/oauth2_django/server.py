"""One oauth2_core server per process, built on first use and dropped when ``OAUTH2_SERVER`` changes.

Building loads the enabled grant plugins, so it never happens at import time.
Django's ``setting_changed`` signal (sent by ``override_settings``) drops the
cached server, so tests change grants or lifetimes with no extra wrapper.
"""

from __future__ import annotations

import threading

from django.core.signals import setting_changed
from django.dispatch import receiver

from oauth2_core import Server, build_server
from oauth2_django import aws_identity, conf, host, signals, store, throttle

_server: Server | None = None
_lock = threading.Lock()


def get_server() -> Server:
    """The process's server; raises ``oauth2_core.ConfigurationError`` when the setup is wrong."""
    global _server
    current = _server
    if current is None:
        with _lock:
            if _server is None:
                _server = build_server(conf.get_settings().server, [host, store, signals, aws_identity, throttle])
            current = _server
    return current


@receiver(setting_changed, dispatch_uid="oauth2_django.server.reset")
def _reset(*, setting: str, **kwargs: object) -> None:
    global _server
    if setting == conf.SETTING:
        _server = None
