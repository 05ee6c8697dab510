"""What the test run's environment asks of it."""

from __future__ import annotations

import os

# CI sets this: a test that needs PostgreSQL, Redis or Chromium then fails when they are missing, never skips.
REQUIRE_REAL_SERVICES = os.environ.get("REQUIRE_REAL_SERVICES") == "1"
# Debian's Chromium; nothing here can download a browser.
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
