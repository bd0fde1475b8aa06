"""System checks: every configuration mistake we can see, with a stable id and a hint.

Registered by the app's ``ready()``. The ids are documented in the README;
never reuse or renumber one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.db import DatabaseError, connections
from django.utils.module_loading import import_string

from oauth2_core import GRANTS_GROUP, PLUGINS_GROUP
from oauth2_core.errors import ConfigurationError
from oauth2_core.plugins import installed_entry_points
from oauth2_django import conf

TAG = "oauth2"
BEARER_MIDDLEWARE = "oauth2_django.middleware.BearerTokenMiddleware"
AUTH_MIDDLEWARE = "django.contrib.auth.middleware.AuthenticationMiddleware"


def _sentence(text: object) -> str:
    return str(text).rstrip(".") + "."


def _parsed() -> conf.OAuth2Settings | None:
    """The parsed setting, or None when it has errors (which check_settings reports)."""
    try:
        return conf.parse(conf.raw_setting(), debug=settings.DEBUG)
    except ConfigurationError:
        return None


def check_settings(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list[CheckMessage]:
    """E001-E004: the OAUTH2_SERVER dict itself and the old OAUTH_* settings."""
    messages: list[CheckMessage] = []
    for name, replacement in conf.REMOVED_SETTINGS.items():
        if hasattr(settings, name):
            messages.append(
                Error(
                    f"The {name} setting is no longer read.",
                    hint=f"Remove it; what replaces it: {replacement}.",
                    id="oauth2.E004",
                )
            )
    raw = conf.raw_setting()
    if not isinstance(raw, Mapping):
        messages.append(
            Error(
                f"{conf.SETTING} must be a dict, not {type(raw).__name__}.",
                hint=f'Write it as {conf.SETTING} = {{"GRANTS": ["password", "refresh_token"]}}.',
                id="oauth2.E001",
            )
        )
        return messages
    for key, close in conf.unknown_keys(raw):
        hint = f"Did you mean {close!r}?" if close else f"Known keys: {', '.join(sorted(conf.KNOWN_KEYS))}."
        messages.append(Error(f"{conf.SETTING} has an unknown key {key!r}.", hint=hint, id="oauth2.E002"))
    known = {key: value for key, value in raw.items() if key in conf.KNOWN_KEYS}
    try:
        conf.parse(known, debug=settings.DEBUG)
    except ConfigurationError as exc:
        messages.append(
            Error(_sentence(exc), hint="See the settings table in the oauth2-django README.", id="oauth2.E003")
        )
    return messages


def _missing(group: str, names: Iterable[str] | None) -> list[tuple[str, str]]:
    if names is None:
        return []
    installed = {entry_point.name for entry_point in installed_entry_points(group)}
    return [(name, ", ".join(sorted(installed)) or "none") for name in names if name not in installed]


def check_plugins(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list[CheckMessage]:
    """E005-E006: enabled names that are not installed, and servers that cannot be built."""
    parsed = _parsed()
    if parsed is None:
        return []
    messages: list[CheckMessage] = []
    for key, group, names in (
        ("GRANTS", GRANTS_GROUP, parsed.server.grants),
        ("PLUGINS", PLUGINS_GROUP, parsed.server.plugins),
    ):
        for name, installed in _missing(group, names):
            messages.append(
                Error(
                    f"{conf.SETTING}[{key!r}] names {name!r}, which is not installed.",
                    hint=f"pip install the distribution that provides it, or remove it (installed: {installed}).",
                    id="oauth2.E005",
                )
            )
    if messages:
        return messages
    from oauth2_django.server import get_server

    try:
        get_server()
    except ConfigurationError as exc:
        messages.append(
            Error(
                _sentence(f"The OAuth 2.0 server cannot be built: {exc}"),
                hint=f"Fix the setting or plugin named, or leave that plugin out of {conf.SETTING}['GRANTS'] "
                "(or ['PLUGINS']); 'manage.py oauth2_plugins' lists what is installed.",
                id="oauth2.E006",
            )
        )
    return messages


def _middleware_classes() -> list[type | None]:
    classes: list[type | None] = []
    for path in settings.MIDDLEWARE or ():
        try:
            classes.append(import_string(path))
        except ImportError:
            classes.append(None)  # Django's own checks and startup report broken paths.
    return classes


def check_middleware(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list[CheckMessage]:
    """E007: BearerTokenMiddleware must run after AuthenticationMiddleware, which would replace request.user."""
    from django.contrib.auth.middleware import AuthenticationMiddleware

    from oauth2_django.middleware import BearerTokenMiddleware

    classes = _middleware_classes()
    bearer = [i for i, cls in enumerate(classes) if isinstance(cls, type) and issubclass(cls, BearerTokenMiddleware)]
    auth = [i for i, cls in enumerate(classes) if isinstance(cls, type) and issubclass(cls, AuthenticationMiddleware)]
    if bearer and auth and min(bearer) < max(auth):
        return [
            Error(
                f"{BEARER_MIDDLEWARE!r} comes before {AUTH_MIDDLEWARE!r} in MIDDLEWARE.",
                hint="Move it after AuthenticationMiddleware, which would otherwise replace the token's user.",
                id="oauth2.E007",
            )
        ]
    return []


def check_timezone(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list[CheckMessage]:
    """E008: token expiry is stored and compared as aware UTC datetimes."""
    if settings.USE_TZ:
        return []
    return [
        Error(
            "USE_TZ is False; oauth2_django stores token expiry as aware datetimes.",
            hint="Set USE_TZ = True (Django's default).",
            id="oauth2.E008",
        )
    ]


def check_deployment(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list[CheckMessage]:
    """W001-W003: settings that are fine in development and risky in production."""
    parsed = _parsed()
    if parsed is None:
        return []
    messages: list[CheckMessage] = []
    if not parsed.grants_pinned:
        installed = ", ".join(repr(e.name) for e in installed_entry_points(GRANTS_GROUP))
        messages.append(
            Warning(
                f"{conf.SETTING}['GRANTS'] is not set, so every installed grant is enabled.",
                hint=f"Pin the list, e.g. {conf.SETTING}['GRANTS'] = [{installed}], so installing a package "
                "never enables a grant by accident.",
                id="oauth2.W001",
            )
        )
    if not parsed.require_https:
        messages.append(
            Warning(
                "The token endpoint accepts plain HTTP, which exposes passwords, secrets and tokens.",
                hint=f"Remove {conf.SETTING}['REQUIRE_HTTPS'] or set it to True; behind a TLS-terminating proxy "
                "set SECURE_PROXY_SSL_HEADER so request.is_secure() is right.",
                id="oauth2.W002",
            )
        )
    if parsed.allow_query_token:
        messages.append(
            Warning(
                "Access tokens are accepted in the URL query string, where logs and Referer headers keep them.",
                hint=f"Set {conf.SETTING}['ALLOW_QUERY_TOKEN'] = False and send the Authorization header.",
                id="oauth2.W003",
            )
        )
    return messages


def _tables_exist(alias: str, *models: Any) -> bool:
    from oauth2_django.models import Client, Scope

    tables = set(connections[alias].introspection.table_names())
    return {model._meta.db_table for model in (models or (Client, Scope))} <= tables


def check_database(
    app_configs: Sequence[Any] | None = None, databases: Sequence[str] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """W004-W005: clients allowed a grant that is not enabled; a default scope missing from the database."""
    parsed = _parsed()
    if not databases or parsed is None:
        return []
    from oauth2_django.models import Client, Scope
    from oauth2_django.server import get_server

    try:
        enabled = set(get_server().registry)
    except ConfigurationError:
        return []  # check_plugins reports it.
    messages: list[CheckMessage] = []
    for alias in databases:
        try:
            if not _tables_exist(alias):
                continue
            clients = list(Client.objects.using(alias).values_list("client_id", "grant_types"))
            known_scopes = set(Scope.objects.using(alias).values_list("name", flat=True))
        except DatabaseError:
            continue
        for client_id, grant_types in clients:
            for grant_type in sorted(set(grant_types or ()) - enabled):
                messages.append(
                    Warning(
                        f"Client {client_id!r} may use grant type {grant_type!r}, which is not enabled.",
                        hint=f"Remove it from the client, or enable it in {conf.SETTING}['GRANTS'].",
                        obj=f"database {alias!r}",
                        id="oauth2.W004",
                    )
                )
        for scope in sorted(parsed.server.default_scope - known_scopes):
            messages.append(
                Warning(
                    f"{conf.SETTING}['DEFAULT_SCOPE'] names scope {scope!r}, which is not in the database.",
                    hint="Create it (admin, oauth2_create_client --scope, or a data migration) or remove it.",
                    obj=f"database {alias!r}",
                    id="oauth2.W005",
                )
            )
    return messages


# -- federated grants (aws_identity): ids E020-E029 and W020-W029 ---------------------------


def _federated_grants() -> dict[str, Any]:
    """The enabled grants that present external identities, by grant type; empty when the server is broken."""
    from oauth2_django.issuers import ISSUERS
    from oauth2_django.server import get_server

    try:
        registry = get_server().registry
    except ConfigurationError:
        return {}  # check_plugins reports it.
    found = {}
    for issuer in ISSUERS.values():
        entry = registry.get(issuer.grant_type)
        if entry is not None:
            found[issuer.grant_type] = entry.grant
    return found


def _unknown_cache(key: str, alias: str) -> tuple[str, str]:
    """Message and hint for a cache key of the setting naming an alias that CACHES lacks."""
    return (
        f"{conf.SETTING}[{key!r}] names cache {alias!r}, which is not in CACHES.",
        f"Add it to CACHES or name one of: {', '.join(sorted(settings.CACHES)) or 'none'}.",
    )


def _cache_backend(alias: str) -> type | None:
    backend = settings.CACHES.get(alias, {}).get("BACKEND")
    try:
        loaded = import_string(backend) if isinstance(backend, str) else None
    except ImportError:
        return None  # Django's own cache checks report it.
    return loaded if isinstance(loaded, type) else None


def check_replay_cache(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list[CheckMessage]:
    """E020-E021: the cache that keeps one-time values must exist and must remember."""
    from django.core.cache.backends.dummy import DummyCache

    parsed = _parsed()
    if parsed is None:
        return []
    alias = parsed.replay_cache
    if alias not in settings.CACHES:
        message, hint = _unknown_cache("REPLAY_CACHE", alias)
        return [Error(message, hint=hint, id="oauth2.E020")]
    backend = _cache_backend(alias)
    federated = _federated_grants()
    if federated and backend is not None and issubclass(backend, DummyCache):
        return [
            Error(
                f"The replay cache {alias!r} is a DummyCache, which remembers nothing, so a signed "
                f"{', '.join(sorted(federated))} request could be used again and again.",
                hint="Point REPLAY_CACHE at a real cache shared by every worker (Redis, memcached or the database).",
                id="oauth2.E021",
            )
        ]
    return []


def check_federated_deployment(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list[CheckMessage]:
    """W020, W021, W023: aws_identity options and replay caches that are fine in development only."""
    from django.core.cache.backends.filebased import FileBasedCache
    from django.core.cache.backends.locmem import LocMemCache

    parsed = _parsed()
    federated = _federated_grants()
    if parsed is None or not federated:
        return []
    messages: list[CheckMessage] = []
    options = getattr(federated.get("aws_identity"), "options", None)
    if options is not None and not options.require_server_id:
        messages.append(
            Warning(
                "The aws_identity grant accepts requests that are not bound to this server "
                "(require_server_id is False), so a request signed for another service can be replayed here.",
                hint=f"Have clients sign the {options.server_id_header} header with the server_id, then remove "
                f"require_server_id from {conf.SETTING}['GRANT_OPTIONS']['aws_identity'].",
                id="oauth2.W020",
            )
        )
    if options is not None and options.sts_endpoint is not None:
        messages.append(
            Warning(
                "The aws_identity grant sends identities to a configured sts_endpoint instead of AWS STS, which "
                "then decides who anyone is.",
                hint=f"Remove sts_endpoint from {conf.SETTING}['GRANT_OPTIONS']['aws_identity']; it is for tests.",
                id="oauth2.W021",
            )
        )
    alias = parsed.replay_cache
    backend = _cache_backend(alias)
    if backend is not None and issubclass(backend, LocMemCache | FileBasedCache):
        why = (
            "keeps values per process"
            if issubclass(backend, LocMemCache)
            else "checks and writes in two steps (its add() is not atomic)"
        )
        messages.append(
            Warning(
                f"The replay cache {alias!r} is a {backend.__name__}, which {why}: a signed "
                f"{', '.join(sorted(federated))} request sent to two workers at once can get two tokens.",
                hint=f"Point {conf.SETTING}['REPLAY_CACHE'] at a cache every worker shares with an atomic add(): "
                "Redis, memcached or the database cache.",
                id="oauth2.W023",
            )
        )
    return messages


def check_federated_bindings(
    app_configs: Sequence[Any] | None = None, databases: Sequence[str] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """W022, W024: bindings whose client cannot use the grant, and bindings that tie."""
    if not databases:
        return []
    from oauth2_django.issuers import ISSUERS
    from oauth2_django.models import Client, FederatedBinding

    messages: list[CheckMessage] = []
    for alias in databases:
        try:
            if not _tables_exist(alias, FederatedBinding, Client):
                continue
            bindings = list(FederatedBinding.objects.using(alias).select_related("client").order_by("pk"))
        except DatabaseError:
            continue
        for binding in bindings:
            issuer = ISSUERS.get(binding.issuer)
            grant_types = binding.client.grant_types if isinstance(binding.client.grant_types, list) else []
            if issuer is not None and issuer.grant_type not in grant_types:
                messages.append(
                    Warning(
                        f"Federated binding #{binding.pk} ({binding.pattern}) names client "
                        f"{binding.client.client_id!r}, which may not use the {issuer.grant_type!r} grant type.",
                        hint="Allow the grant type on the client, or bind the identity to another client.",
                        obj=f"database {alias!r}",
                        id="oauth2.W022",
                    )
                )
        for index, binding in enumerate(bindings):
            for other in bindings[index + 1 :]:
                if binding.ties_with(other):
                    messages.append(
                        Warning(
                            f"Federated bindings #{binding.pk} ({binding.pattern}) and #{other.pk} ({other.pattern}) "
                            "match some identities with equal precedence; those identities are refused.",
                            hint="Make one of the patterns more specific, or merge the two bindings.",
                            obj=f"database {alias!r}",
                            id="oauth2.W024",
                        )
                    )
    return messages


def _throttled_password_grant() -> bool:
    """Whether the enabled password grant counts failed attempts (so it needs a working throttle cache)."""
    from oauth2_django.server import get_server

    try:
        entry = get_server().registry.get("password")
    except ConfigurationError:
        return False  # check_plugins reports it.
    return entry is not None and bool(getattr(getattr(entry.grant, "options", None), "throttled", False))


def check_throttle_cache(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list[CheckMessage]:
    """E030-E031: the cache that counts failed password attempts must exist and must count."""
    from django.core.cache.backends.dummy import DummyCache

    parsed = _parsed()
    if parsed is None:
        return []
    alias = parsed.throttle_cache
    if alias not in settings.CACHES:
        message, hint = _unknown_cache("THROTTLE_CACHE", alias)
        return [Error(message, hint=hint, id="oauth2.E030")]
    backend = _cache_backend(alias)
    if backend is not None and issubclass(backend, DummyCache) and _throttled_password_grant():
        return [
            Error(
                f"The throttle cache {alias!r} is a DummyCache, which counts nothing, so password guessing "
                "is never limited.",
                hint="Point THROTTLE_CACHE at a real cache shared by every worker (Redis or memcached).",
                id="oauth2.E031",
            )
        ]
    return []


def check_throttle_deployment(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list[CheckMessage]:
    """W030: failed password attempts counted per process, or by a cache whose increment is not atomic."""
    from django.core.cache.backends.filebased import FileBasedCache
    from django.core.cache.backends.locmem import LocMemCache

    parsed = _parsed()
    if parsed is None or not _throttled_password_grant():
        return []
    backend = _cache_backend(parsed.throttle_cache)
    if backend is None or not issubclass(backend, LocMemCache | FileBasedCache):
        return []
    why = "counts per process" if issubclass(backend, LocMemCache) else "increments in two steps (not atomic)"
    return [
        Warning(
            f"The throttle cache {parsed.throttle_cache!r} is a {backend.__name__}, which {why}: with several "
            "workers, password guesses get past the limit several times over.",
            hint=f"Point {conf.SETTING}['THROTTLE_CACHE'] at a cache every worker shares with an atomic incr(): "
            "Redis or memcached.",
            id="oauth2.W030",
        )
    ]


def register_all() -> None:
    register(check_settings, TAG)
    register(check_plugins, TAG)
    register(check_middleware, TAG)
    register(check_timezone, TAG)
    register(check_deployment, TAG, Tags.security, deploy=True)
    register(check_database, TAG, Tags.database)
    register(check_replay_cache, TAG, Tags.caches)
    register(check_federated_deployment, TAG, Tags.security, deploy=True)
    register(check_federated_bindings, TAG, Tags.database)
    register(check_throttle_cache, TAG, Tags.caches)
    register(check_throttle_deployment, TAG, Tags.security, deploy=True)
