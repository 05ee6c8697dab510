#!/usr/bin/env python
"""Django's command-line utility."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as error:
        # Missing or wrong settings (SECRET_KEY with DEBUG off, say): what to set, not a traceback.
        sys.stderr.write(f"The service's settings are not complete: {error}\n")
        sys.exit(1)


if __name__ == "__main__":
    main()
