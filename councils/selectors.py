"""Reads about councils and people: who belongs to which council, members to tell, programme staff."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Case, IntegerField, Q, Value, When

from councils.choices import Role
from councils.models import DISPLAY_NAME_FIELD, Council, Membership, User


def user_council_ids(user) -> frozenset[int]:
    """The ids of the councils a user belongs to, fetched once per user object (one query)."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, "_council_ids", None)
    if cached is None:
        cached = frozenset(Membership.objects.filter(user_id=user.pk).values_list("council_id", flat=True))
        user._council_ids = cached
    return cached


def council_members(*, council_ids: Iterable[int]) -> list[User]:
    """Active members of any of these councils, each once."""
    return list(User.objects.filter(memberships__council_id__in=list(council_ids), is_active=True).distinct())


def programme_staff() -> list[User]:
    """Everyone who hears what programme staff hear."""
    return list(User.objects.filter(role__in=[Role.PROGRAMME_STAFF, Role.ADMIN], is_active=True))


def council_search(*, query: str, limit: int = 20) -> list[Council]:
    """Councils whose short or official name contains the query (case-insensitive): Declaration signatories
    first (only they can take part), then by name."""
    query = " ".join(query.split())
    if not query:
        return []
    councils = Council.objects.filter(Q(short_name__icontains=query) | Q(official_name__icontains=query))
    signatories_first = Case(
        When(declaration_signed_on__isnull=False, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return list(councils.order_by(signatories_first, DISPLAY_NAME_FIELD)[:limit])


def council_ids_named(text: str) -> list[int]:
    """Ids of councils whose name or place name contains `text` (any case).

    Looked up on its own (317 rows) rather than joined into a bid search: the search then compares plain ids,
    and when no council matches — the usual case for a topic search — it has no council conditions at all.
    """
    named = Council.objects.filter(Q(short_name__icontains=text) | Q(official_name__icontains=text))
    return list(named.values_list("pk", flat=True))
