#!/usr/bin/env python
"""Django's command-line utility."""

import os
import secrets
import sys

# Commands that only read the code and its settings (they sign nothing: no session, token or link). Run where no
# SECRET_KEY is set (a fresh clone, a CI check) they get a one-off random key, never the published development
# one: the settings otherwise refuse to load with DEBUG off and no key, and Django then fails on the command's
# import with "Models aren't loaded yet".
SIGN_NOTHING = frozenset({"check", "makemigrations", "showmigrations", "sqlmigrate", "help"})


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if len(sys.argv) > 1 and sys.argv[1] in SIGN_NOTHING and not os.environ.get("SECRET_KEY"):
        os.environ["SECRET_KEY"] = secrets.token_urlsafe(50)
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        # Loaded here, before the command: incomplete settings are then said in one line (Django would go on and
        # fail later, on the command's import, with an error that names no setting).
        settings.INSTALLED_APPS  # noqa: B018
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as error:
        # Missing or wrong settings (SECRET_KEY with DEBUG off, say): what to set, not a traceback.
        sys.stderr.write(f"The service's settings are not complete: {error}\n")
        sys.exit(1)


if __name__ == "__main__":
    main()
