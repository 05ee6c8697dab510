"""Settings for the test suite: the production module (`config.settings`) plus what only tests need.

Used by pytest (pyproject.toml) and by `bin/test`'s `manage.py check` and `makemigrations --check`.
"""

import os
import tempfile
from pathlib import Path

# Production refuses to start without a secret key when DEBUG is off, as tests run. Set in the environment
# before the base module reads it, so processes the tests start (which read config.settings) get it too.
os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-never-used-outside-the-test-suite-0123456789")

from config.settings import *  # noqa: F403
from config.settings import DATABASES

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Tests with a real Celery worker thread need a file: in-memory shared-cache SQLite fails on table locks
    # at once instead of waiting. One file per process, so parallel test runs do not collide.
    DATABASES["default"]["TEST"] = {"NAME": str(Path(tempfile.gettempdir()) / f"ldf-test-{os.getpid()}.sqlite3")}
