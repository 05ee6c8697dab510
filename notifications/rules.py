"""Who may see the outbox and retry messages. Predicates also get obj=None from Django's global check."""

from __future__ import annotations

import rules

from councils.rules import is_programme_staff

rules.add_perm("notifications.view_outbox", is_programme_staff)
rules.add_perm("notifications.retry_notification", is_programme_staff)
