"""Permission predicates about people. django-fsm and Django also call predicates with obj=None."""

from __future__ import annotations

import rules


@rules.predicate
def is_programme_staff(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_programme_staff)


@rules.predicate
def is_assessor(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_assessor)


@rules.predicate
def is_council_member(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user_council_ids(user))


def user_council_ids(user) -> frozenset[int]:
    """The ids of the councils a user belongs to, fetched once per user object (one query)."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, "_council_ids", None)
    if cached is None:
        from councils.models import Membership

        cached = frozenset(Membership.objects.filter(user_id=user.pk).values_list("council_id", flat=True))
        user._council_ids = cached
    return cached


rules.add_perm("councils.view_staff_pages", is_programme_staff)
