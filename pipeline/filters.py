"""The bid table's filters, shared by the staff table, its CSV download and the read API.

One FilterSet parses the query string for all three, so a filter means the same thing everywhere. Filters
that would need a query to list their choices (round, lead council) take plain values (a round id, a
council's register code), so validating them costs nothing.
"""

from __future__ import annotations

from decimal import Decimal

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet

from bids.choices import BidState, Phase
from bids.models import Bid, BidPartner
from councils.choices import CouncilType
from councils.selectors import council_search_names
from pipeline.choices import REGIONS, SORT_FIELDS, Sort
from pipeline.memo import memo

# Final scores are weighted 0–100 (assessments/scoring.py), not the 1–5 scale of a single criterion.
SCORE_BOUNDS = {"min_value": Decimal("0"), "max_value": Decimal("100")}


COUNCIL_NAMES_SECONDS = 60


def councils_named(text: str) -> list[int]:
    """Ids of councils whose short or official name contains `text` (any case).

    Matched in Python against a per-process list of the 317 names (refreshed every minute) rather than
    joined into the search: the search then compares plain ids, and when no council matches — the usual
    case for a topic search — it has no council conditions at all.
    """
    names = memo("council-names", COUNCIL_NAMES_SECONDS, council_search_names)
    folded = text.casefold()
    return [pk for pk, both in names if folded in both]


def bid_search(queryset: QuerySet[Bid], text: str) -> QuerySet[Bid]:
    """Bids whose reference, title, summary, lead council or any partner council's name contains `text`."""
    text = text.strip()
    if not text:
        return queryset
    matches = Q(reference__icontains=text) | Q(title__icontains=text) | Q(summary__icontains=text)
    council_ids = councils_named(text)
    if council_ids:
        matches |= Q(lead_council_id__in=council_ids) | Exists(
            BidPartner.objects.filter(bid_id=OuterRef("pk"), council_id__in=council_ids)
        )
    return queryset.filter(matches)


def bid_sort(queryset: QuerySet[Bid], sort: str) -> QuerySet[Bid]:
    descending = sort.startswith("-")
    fields = SORT_FIELDS.get(sort.lstrip("-"), SORT_FIELDS[Sort.REFERENCE])
    return queryset.order_by(*(f"-{field}" if descending else field for field in fields))


SORT_CHOICES = [(value, label) for value, label in Sort.choices] + [
    (f"-{value}", f"{label} (descending)") for value, label in Sort.choices
]


class BidFilterForm(forms.Form):
    def clean(self) -> dict:
        data = super().clean()
        low, high = data.get("score_min"), data.get("score_max")
        if low is not None and high is not None and low > high:
            self.add_error("score_max", "The final score ‘to’ must be the same as or more than the ‘from’")
        return data


class BidFilter(django_filters.FilterSet):
    round = django_filters.NumberFilter(field_name="funding_round_id", label="Round")
    state = django_filters.ChoiceFilter(choices=BidState.choices, label="Status")
    phase = django_filters.ChoiceFilter(choices=Phase.choices, label="Phase")
    lead_council = django_filters.CharFilter(
        field_name="lead_council__register_code", label="Lead council", help_text="The council's register code"
    )
    council_type = django_filters.ChoiceFilter(
        field_name="lead_council__council_type", choices=CouncilType.choices, label="Lead council type"
    )
    region = django_filters.ChoiceFilter(
        field_name="lead_council__region", choices=[(region, region) for region in REGIONS], label="Region"
    )
    score_min = django_filters.NumberFilter(
        field_name="final_score", lookup_expr="gte", label="Final score from", **SCORE_BOUNDS
    )
    score_max = django_filters.NumberFilter(
        field_name="final_score", lookup_expr="lte", label="Final score to", **SCORE_BOUNDS
    )
    needs_moderation = django_filters.BooleanFilter(label="Needs moderation")
    q = django_filters.CharFilter(method="filter_search", label="Search", max_length=200)
    sort = django_filters.ChoiceFilter(choices=SORT_CHOICES, method="filter_sort", label="Sort by", empty_label=None)

    class Meta:
        model = Bid
        fields: list[str] = []
        form = BidFilterForm

    def get_form_class(self) -> type[forms.Form]:
        # django-filter builds a new form class for every request; these filters' fields never depend on the
        # request, so build it once per process.
        cls = type(self)
        if "_form_class" not in cls.__dict__:
            cls._form_class = super().get_form_class()
        return cls._form_class

    def filter_search(self, queryset: QuerySet[Bid], name: str, value: str) -> QuerySet[Bid]:
        return bid_search(queryset, value)

    def filter_sort(self, queryset: QuerySet[Bid], name: str, value: str) -> QuerySet[Bid]:
        return bid_sort(queryset, value)

    def filter_queryset(self, queryset: QuerySet[Bid]) -> QuerySet[Bid]:
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("sort"):
            queryset = bid_sort(queryset, Sort.REFERENCE)
        return queryset
