"""Every system check id fires on its mistake, and none fires on a correct setup."""

from __future__ import annotations

import re
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from django.test import override_settings

from oauth2_django import checks, conf
from oauth2_django.models import Client, FederatedBinding, Scope

CORRECT_MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "oauth2_django.middleware.BearerTokenMiddleware",
]


def _ids(messages: list[Any]) -> list[str]:
    return [message.id for message in messages if message.id.startswith("oauth2.")]


def _all_ids(*, deploy: bool = True, databases: list[str] | None = None) -> list[str]:
    return _ids(run_checks(include_deployment_checks=deploy, databases=databases))


@pytest.mark.django_db
def test_correct_setup_raises_nothing(scopes: dict[str, Scope], registered: Any) -> None:
    # In production, password failures are counted in a cache every worker shares (else oauth2.W030).
    with override_settings(CACHES={"default": SHARED_CACHE}):
        assert _all_ids(databases=["default"]) == []
        call_command("check", "--deploy", "--database", "default", "--fail-level", "ERROR")


def test_e001_setting_not_a_dict() -> None:
    with override_settings(OAUTH2_SERVER=["password"]):
        assert _ids(checks.check_settings()) == ["oauth2.E001"]


def test_e002_unknown_key_with_suggestion() -> None:
    with override_settings(OAUTH2_SERVER={"GRANT": ["password"], "ACCES_TOKEN_LIFETIME": 60, "COLOUR": "blue"}):
        messages = checks.check_settings()
    assert _ids(messages) == ["oauth2.E002"] * 3
    hints = [message.hint for message in messages]
    assert "Did you mean 'GRANTS'?" in hints
    assert "Did you mean 'ACCESS_TOKEN_LIFETIME'?" in hints
    assert any("Known keys" in hint for hint in hints)


@pytest.mark.parametrize(
    "setting",
    [
        {"GRANTS": "password"},
        {"GRANTS": [1]},
        {"ACCESS_TOKEN_LIFETIME": "1h"},
        {"ACCESS_TOKEN_LIFETIME": 0},
        {"ACCESS_TOKEN_LIFETIME": True},
        {"REFRESH_TOKEN_LIFETIME": -5},
        {"MAX_BODY_BYTES": 10},
        {"DEFAULT_SCOPE": 5},
        {"GRANT_OPTIONS": ["x"]},
        {"REQUIRE_HTTPS": "yes"},
        {"ALLOW_QUERY_TOKEN": 1},
    ],
)
def test_e003_invalid_value(setting: dict[str, Any]) -> None:
    with override_settings(OAUTH2_SERVER=setting):
        messages = checks.check_settings()
        assert _ids(messages) == ["oauth2.E003"]
        # Nothing else trips over the same mistake.
        assert checks.check_plugins() == []
        assert checks.check_deployment() == []


@pytest.mark.parametrize("name", sorted(conf.REMOVED_SETTINGS))
def test_e004_removed_setting_names_its_replacement(name: str) -> None:
    with override_settings(**{name: 1}):
        messages = checks.check_settings()
    assert _ids(messages) == ["oauth2.E004"]
    assert conf.REMOVED_SETTINGS[name] in messages[0].hint


def test_e005_grant_not_installed() -> None:
    with override_settings(OAUTH2_SERVER={"GRANTS": ["password", "implicit"], "PLUGINS": ["redis-cache"]}):
        messages = checks.check_plugins()
    assert _ids(messages) == ["oauth2.E005", "oauth2.E005"]
    assert "'implicit'" in messages[0].msg
    assert "password" in messages[0].hint
    assert "'redis-cache'" in messages[1].msg


@pytest.fixture
def fake_distributions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Two real (if tiny) installed distributions: one re-declares 'password', one fails to import."""
    modules = {
        "oauth2_test_dupe_grant": """
            from oauth2_core import hookimpl
            from oauth2_grant_password import PasswordGrant

            @hookimpl
            def oauth2_grant_types(config):
                return (PasswordGrant(),)
        """,
        "oauth2_test_broken_grant": "raise ImportError('this plugin is broken on purpose')\n",
    }
    for distribution, (module, entry_point) in {
        "oauth2_test_dupe": ("oauth2_test_dupe_grant", "dupe"),
        "oauth2_test_broken": ("oauth2_test_broken_grant", "broken"),
    }.items():
        (tmp_path / f"{module}.py").write_text(textwrap.dedent(modules[module]))
        info = tmp_path / f"{distribution}-0.0.1.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {distribution}\nVersion: 0.0.1\n")
        (info / "entry_points.txt").write_text(f"[oauth2_core.grants]\n{entry_point} = {module}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield
    for module in modules:
        sys.modules.pop(module, None)


@pytest.mark.parametrize(
    ("grants", "expected"),
    [(["password", "dupe"], "declared twice"), (["password", "broken"], "failed to load")],
)
def test_e006_server_cannot_be_built(fake_distributions: None, grants: list[str], expected: str) -> None:
    with override_settings(OAUTH2_SERVER={"GRANTS": grants}):
        messages = checks.check_plugins()
    assert _ids(messages) == ["oauth2.E006"]
    assert expected in messages[0].msg
    assert "oauth2_test_" in messages[0].msg


def test_e007_middleware_order() -> None:
    with override_settings(MIDDLEWARE=[CORRECT_MIDDLEWARE[0], CORRECT_MIDDLEWARE[2], CORRECT_MIDDLEWARE[1]]):
        assert _ids(checks.check_middleware()) == ["oauth2.E007"]
    with override_settings(MIDDLEWARE=CORRECT_MIDDLEWARE):
        assert checks.check_middleware() == []
    with override_settings(MIDDLEWARE=[CORRECT_MIDDLEWARE[2]]):
        assert checks.check_middleware() == []


def test_e008_use_tz() -> None:
    with override_settings(USE_TZ=False):
        assert _ids(checks.check_timezone()) == ["oauth2.E008"]


def test_w001_grants_not_pinned_only_on_deploy() -> None:
    with override_settings(OAUTH2_SERVER={}):
        assert _ids(checks.check_deployment()) == ["oauth2.W001"]
        assert "oauth2.W001" in _all_ids(deploy=True)
        assert "oauth2.W001" not in _all_ids(deploy=False)
        hint = checks.check_deployment()[0].hint
    assert "'password'" in hint


@pytest.mark.parametrize(
    "overrides",
    [
        {"OAUTH2_SERVER": {"GRANTS": ["password"], "REQUIRE_HTTPS": False}},
        {"DEBUG": True, "OAUTH2_SERVER": {"GRANTS": ["password"]}},
    ],
    ids=["disabled", "debug"],
)
def test_w002_https_not_required(overrides: dict[str, Any]) -> None:
    with override_settings(**overrides):
        assert _ids(checks.check_deployment()) == ["oauth2.W002"]


def test_w003_query_tokens_allowed() -> None:
    with override_settings(OAUTH2_SERVER={"GRANTS": ["password"], "ALLOW_QUERY_TOKEN": True}):
        assert _ids(checks.check_deployment()) == ["oauth2.W003"]


@pytest.mark.django_db
def test_w004_client_allowed_a_disabled_grant(scopes: dict[str, Scope], registered: Any) -> None:
    Client.objects.filter(pk=registered.client.pk).update(grant_types=["password", "implicit"])
    messages = checks.check_database(databases=["default"])
    assert _ids(messages) == ["oauth2.W004"]
    assert "'implicit'" in messages[0].msg
    assert checks.check_database(databases=None) == []


@pytest.mark.django_db
def test_w005_default_scope_not_in_the_database(db: None) -> None:
    with override_settings(OAUTH2_SERVER={"GRANTS": ["password"], "DEFAULT_SCOPE": "read profile"}):
        Scope.objects.create(name="read")
        messages = checks.check_database(databases=["default"])
    assert _ids(messages) == ["oauth2.W005"]
    assert "'profile'" in messages[0].msg


# -- federated grants (aws_identity) ----------------------------------------------------------

LOCMEM = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
SHARED_CACHE = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:6379/0"}
AWS_ARN = "arn:aws:iam::123456789012:role/deployer"


def _aws_setting(**options: Any) -> dict[str, Any]:
    pytest.importorskip("oauth2_grant_aws_identity", reason="the aws_identity grant is not installed")
    return {
        "GRANTS": ["password", "aws_identity"],
        "GRANT_OPTIONS": {"aws_identity": {"server_id": "https://auth.example.test", **options}},
    }


@pytest.mark.django_db
def test_correct_aws_identity_setup_raises_nothing(make_client: Any) -> None:
    aws_client = make_client(public=True, grant_types=("aws_identity",)).client
    FederatedBinding.objects.create(issuer="aws", pattern=AWS_ARN, client=aws_client)
    with override_settings(OAUTH2_SERVER=_aws_setting(), CACHES={"default": SHARED_CACHE}):
        assert _all_ids(databases=["default"]) == []


def test_e020_replay_cache_not_in_caches() -> None:
    with override_settings(OAUTH2_SERVER={"GRANTS": ["password"], "REPLAY_CACHE": "replay"}):
        messages = checks.check_replay_cache()
    assert _ids(messages) == ["oauth2.E020"]
    assert "'replay'" in messages[0].msg
    assert "default" in messages[0].hint


def test_e021_dummy_replay_cache_with_aws_identity_enabled() -> None:
    dummy = {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
    with override_settings(CACHES={"default": dummy}):
        with override_settings(OAUTH2_SERVER=_aws_setting()):
            assert _ids(checks.check_replay_cache()) == ["oauth2.E021"]
            assert "oauth2.E021" in _all_ids(deploy=False)
        # Without a grant that needs it, the dummy cache is nobody's business here.
        with override_settings(OAUTH2_SERVER={"GRANTS": ["password"]}):
            assert checks.check_replay_cache() == []


def test_w020_aws_identity_legacy_switch_only_on_deploy() -> None:
    with override_settings(OAUTH2_SERVER=_aws_setting(require_server_id=False), CACHES={"default": SHARED_CACHE}):
        messages = checks.check_federated_deployment()
        assert _ids(messages) == ["oauth2.W020"]
        assert "X-OAuth2-Server-ID" in messages[0].hint
        assert "oauth2.W020" in _all_ids(deploy=True)
        assert "oauth2.W020" not in _all_ids(deploy=False)


def test_w021_aws_identity_sts_endpoint_set() -> None:
    setting = _aws_setting(sts_endpoint="http://127.0.0.1:9/")
    with override_settings(OAUTH2_SERVER=setting, CACHES={"default": SHARED_CACHE}):
        assert _ids(checks.check_federated_deployment()) == ["oauth2.W021"]


@pytest.mark.django_db
def test_w022_binding_client_may_not_use_the_grant(registered: Any) -> None:
    binding = FederatedBinding.objects.create(issuer="aws", pattern=AWS_ARN, client=registered.client)
    messages = checks.check_federated_bindings(databases=["default"])
    assert _ids(messages) == ["oauth2.W022"]
    assert f"#{binding.pk}" in messages[0].msg and "'aws_identity'" in messages[0].msg
    assert checks.check_federated_bindings(databases=None) == []


@pytest.mark.parametrize(
    ("backend", "why"),
    [
        ("django.core.cache.backends.locmem.LocMemCache", "per process"),
        ("django.core.cache.backends.filebased.FileBasedCache", "not atomic"),
    ],
)
def test_w023_replay_cache_not_shared_with_aws_identity_enabled(tmp_path: Path, backend: str, why: str) -> None:
    caches_setting = {"default": SHARED_CACHE, "local": {"BACKEND": backend, "LOCATION": str(tmp_path)}}
    setting = {**_aws_setting(), "REPLAY_CACHE": "local"}
    with override_settings(OAUTH2_SERVER=setting, CACHES=caches_setting):
        messages = checks.check_federated_deployment()
        assert _ids(messages) == ["oauth2.W023"]
        assert why in messages[0].msg
    with override_settings(OAUTH2_SERVER={"GRANTS": ["password"]}, CACHES={"default": LOCMEM}):
        assert checks.check_federated_deployment() == []


@pytest.mark.django_db
def test_w024_bindings_that_tie(make_client: Any) -> None:
    aws_client = make_client(public=True, grant_types=("aws_identity",)).client
    first = FederatedBinding.objects.create(
        issuer="aws", match="glob", pattern="arn:aws:iam::123456789012:role/dep*", client=aws_client
    )
    second = FederatedBinding.objects.create(
        issuer="aws", match="glob", pattern="arn:aws:iam::123456789012:role/*yer", client=aws_client
    )
    FederatedBinding.objects.create(issuer="aws", pattern=AWS_ARN, client=aws_client)  # exact: outranks both
    messages = checks.check_federated_bindings(databases=["default"])
    assert _ids(messages) == ["oauth2.W024"]
    assert f"#{first.pk}" in messages[0].msg and f"#{second.pk}" in messages[0].msg


# -- the password-guessing defence ------------------------------------------------------------


def test_e030_throttle_cache_not_in_caches() -> None:
    with override_settings(OAUTH2_SERVER={"GRANTS": ["password"], "THROTTLE_CACHE": "throttle"}):
        messages = checks.check_throttle_cache()
    assert _ids(messages) == ["oauth2.E030"]
    assert "'throttle'" in messages[0].msg


def test_e031_dummy_throttle_cache_counts_nothing() -> None:
    dummy = {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
    with override_settings(CACHES={"default": dummy}):
        with override_settings(OAUTH2_SERVER={"GRANTS": ["password"]}):
            assert _ids(checks.check_throttle_cache()) == ["oauth2.E031"]
        off = {"password": {"max_failures_per_username": 0, "max_failures_per_ip": 0}}
        with override_settings(OAUTH2_SERVER={"GRANTS": ["password"], "GRANT_OPTIONS": off}):
            assert checks.check_throttle_cache() == []
        with override_settings(OAUTH2_SERVER={"GRANTS": ["refresh_token"]}):
            assert checks.check_throttle_cache() == []


@pytest.mark.parametrize(
    ("backend", "expected"),
    [
        ("django.core.cache.backends.locmem.LocMemCache", ["oauth2.W030"]),
        ("django.core.cache.backends.filebased.FileBasedCache", ["oauth2.W030"]),
        ("django.core.cache.backends.redis.RedisCache", []),
    ],
    ids=["locmem", "filebased", "redis"],
)
def test_w030_throttle_cache_not_shared_only_on_deploy(backend: str, expected: list[str], tmp_path: Path) -> None:
    cache = {"BACKEND": backend, "LOCATION": str(tmp_path)}
    with override_settings(OAUTH2_SERVER={"GRANTS": ["password"]}, CACHES={"default": cache}):
        assert _ids(checks.check_throttle_deployment()) == expected
        assert "oauth2.W030" not in _all_ids(deploy=False)
        assert ("oauth2.W030" in _all_ids()) == bool(expected)


def test_every_id_is_documented_and_every_documented_id_exists() -> None:
    source = Path(checks.__file__).read_text()
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    in_code = set(re.findall(r'id="(oauth2\.[EW]\d{3})"', source))
    in_readme = set(re.findall(r"`(oauth2\.[EW]\d{3})`", readme))
    assert in_code == in_readme
    tested = set(re.findall(r"test_([ew]\d{3})_", Path(__file__).read_text()))
    assert {f"oauth2.{name.upper()}" for name in tested} == in_code
