"""The one programme-staff predicate and permission. Predicates are also called with obj=None by Django."""

from __future__ import annotations

import rules

STAFF_PAGES = "core.view_staff_pages"


@rules.predicate
def is_programme_staff(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_programme_staff)


rules.add_perm(STAFF_PAGES, is_programme_staff)
