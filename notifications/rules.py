"""Who may retry a message. Predicates also get obj=None from Django's global check."""

from __future__ import annotations

import rules

from core.rules import is_programme_staff

rules.add_perm("notifications.retry_notification", is_programme_staff)
