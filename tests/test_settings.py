"""config/settings.py, the one production settings module: it refuses to start with DEBUG off and no secret key
of its own, its default hosts are real ones, and its cache is Redis whenever REDIS_URL is set."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[1]
DEVELOPMENT_KEY = "insecure-development-key-change-me-in-production-0123456789"

pytestmark = pytest.mark.skipif(
    (BASE_DIR / ".env").exists(), reason="a local .env file would set what these tests leave unset"
)

SNIPPET = (
    "import json, config.settings as s; "
    "print(json.dumps([s.SECRET_KEY, s.ALLOWED_HOSTS, s.CACHES['default']['BACKEND'], "
    "s.CACHES['default'].get('LOCATION')]))"
)


def settings_with(**variables: str) -> subprocess.CompletedProcess:
    """Import the production settings in a fresh interpreter with exactly these of the service's variables."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in {"SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "REDIS_URL", "CACHE_URL", "DJANGO_SETTINGS_MODULE"}
    }
    return subprocess.run(  # noqa: S603 - our own interpreter running a fixed snippet
        [sys.executable, "-c", SNIPPET], cwd=BASE_DIR, env={**env, **variables}, capture_output=True, text=True
    )


@pytest.mark.parametrize("secret", [None, "", DEVELOPMENT_KEY])
def test_without_debug_it_refuses_to_start_without_a_secret_key_of_its_own(secret):
    variables = {"DEBUG": "false"} if secret is None else {"DEBUG": "false", "SECRET_KEY": secret}
    result = settings_with(**variables)
    assert result.returncode != 0
    assert "django.core.exceptions.ImproperlyConfigured: Set SECRET_KEY in the environment" in result.stderr


def test_with_debug_it_starts_on_the_development_key():
    result = settings_with(DEBUG="true")
    assert result.returncode == 0, result.stderr
    secret, hosts, backend, _ = json.loads(result.stdout)
    assert secret == DEVELOPMENT_KEY
    assert hosts == ["localhost", "127.0.0.1", "[::1]"]  # no "testserver": Django's test runner adds its own
    assert backend == "django.core.cache.backends.locmem.LocMemCache"


def test_in_production_it_uses_the_key_it_is_given_and_redis_for_the_cache():
    result = settings_with(DEBUG="false", SECRET_KEY="a-real-production-secret", REDIS_URL="redis://cache:6379/3")
    assert result.returncode == 0, result.stderr
    secret, hosts, backend, location = json.loads(result.stdout)
    assert secret == "a-real-production-secret"
    assert "testserver" not in hosts
    assert (backend, location) == ("core.cache.ForgivingRedisCache", "redis://cache:6379/3")  # Django's, forgiving


def test_the_production_settings_pass_djangos_checks():
    env = {name: value for name, value in os.environ.items() if name not in {"DEBUG", "DJANGO_SETTINGS_MODULE"}}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=BASE_DIR,
        env={**env, "DEBUG": "false", "SECRET_KEY": "a-real-production-secret"},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
