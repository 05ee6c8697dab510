"""Settings for the test suite: the production module (`config.settings`) plus what only tests need.

Used by pytest (pyproject.toml) and by `bin/test`'s `manage.py check` and `makemigrations --check`.
"""

import os
import tempfile
from pathlib import Path

# Production refuses to start without a secret key when DEBUG is off, as tests run. Set in the environment
# before the base module reads it, so processes the tests start (which read config.settings) get it too.
os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-never-used-outside-the-test-suite-0123456789")


def _own_redis_database(url: str, worker: int) -> str:
    """The URL with a Redis database of this test process's own: with pytest-xdist (`-n 2`) each process runs
    its own Celery worker, which must never take the other process's messages (they name rows in another test
    database), and each clears its own cache. Databases 2-15 are spread over the processes, two each."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{2 + (2 * worker + base) % 14}"))


# pytest-xdist names its processes gw0, gw1, …. Set in the environment, so processes the tests start (which
# inherit it, and read this module too) use the same databases rather than moving them again.
if os.environ.get("PYTEST_XDIST_WORKER", "").startswith("gw") and "LDF_TEST_OWN_REDIS" not in os.environ:
    os.environ["LDF_TEST_OWN_REDIS"] = os.environ["PYTEST_XDIST_WORKER"]
    _worker = int(os.environ["PYTEST_XDIST_WORKER"][2:])
    for _name in ("REDIS_URL", "CACHE_URL"):
        if os.environ.get(_name, "").startswith("redis"):
            os.environ[_name] = _own_redis_database(os.environ[_name], _worker)

from config.settings import *  # noqa: F403, E402 - after the environment is set above
from config.settings import DATABASES  # noqa: E402

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Tests with a real Celery worker thread need a file: in-memory shared-cache SQLite fails on table locks
    # at once instead of waiting. One file per process, so parallel test runs do not collide.
    DATABASES["default"]["TEST"] = {"NAME": str(Path(tempfile.gettempdir()) / f"ldf-test-{os.getpid()}.sqlite3")}
