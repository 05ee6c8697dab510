"""The bid table's filters, shared by the staff table, its CSV download and the read API.

One FilterSet parses the query string for all three, so a filter means the same thing everywhere. Filters
that would need a query to list their choices (round, lead council) take plain values (a round id, a
council's register code), so validating them costs nothing.

`CouncilBidFilter` is the API's filter set for everyone but staff: the same filters on what councils may see,
with the state as councils know it, and nothing on scores or moderation.
"""

from __future__ import annotations

from decimal import Decimal

import django_filters
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet

from bids.choices import BidState, Phase
from bids.models import Bid, BidPartner
from bids.selectors import COUNCIL_HIDDEN_FIELDS, COUNCIL_STATE_CHOICES, council_state_expression
from core.forms import DecimalNumberField, FilterForm, WholeNumberField
from councils.choices import CouncilType
from councils.selectors import council_ids_named
from pipeline.choices import REGIONS, SORT_FIELDS, Sort

# Final scores are weighted 0–100 (assessments/scoring.py), not the 1–5 scale of a single criterion.
SCORE_BOUNDS = {"min_value": Decimal("0"), "max_value": Decimal("100")}


# A search naming councils that partner on more bids than this falls back to a correlated EXISTS (a scan of
# the bids: a search that broad matches most of them anyway).
PARTNERED_IDS_LIMIT = 5000


def search_uses_index() -> bool:
    """Whether the text search is answered from indexes (PostgreSQL's trigram indexes, bids migration 0008):
    then counting the matches separately is cheaper than counting them with the page's rows. SQLite (the demo)
    scans, and counts in the same pass."""
    return connection.vendor == "postgresql"


def bid_search(queryset: QuerySet[Bid], text: str) -> QuerySet[Bid]:
    """Bids whose reference, title, summary, lead council or any partner council's name contains `text`.

    Every condition is one an index answers on PostgreSQL (the three `icontains` by trigram indexes of
    UPPER(column), the councils by their foreign-key indexes), so the planner ORs bitmap index scans rather
    than reading every bid."""
    text = text.strip()
    if not text:
        return queryset
    matches = Q(reference__icontains=text) | Q(title__icontains=text) | Q(summary__icontains=text)
    council_ids = council_ids_named(text)
    if council_ids:
        partnered = list(
            BidPartner.objects.filter(council_id__in=council_ids).values_list("bid_id", flat=True)[
                : PARTNERED_IDS_LIMIT + 1
            ]
        )
        if len(partnered) <= PARTNERED_IDS_LIMIT:
            partner_match = Q(pk__in=partnered)
        else:
            partner_match = Exists(BidPartner.objects.filter(bid_id=OuterRef("pk"), council_id__in=council_ids))
        matches |= Q(lead_council_id__in=council_ids) | partner_match
    return queryset.filter(matches)


def bid_sort(queryset: QuerySet[Bid], sort: str) -> QuerySet[Bid]:
    descending = sort.startswith("-")
    fields = SORT_FIELDS.get(sort.lstrip("-"), SORT_FIELDS[Sort.REFERENCE])
    return queryset.order_by(*(f"-{field}" if descending else field for field in fields))


SORT_CHOICES = [(value, label) for value, label in Sort.choices] + [
    (f"-{value}", f"{label} (descending)") for value, label in Sort.choices
]


class WholeNumberFilter(django_filters.NumberFilter):
    """An id: a whole number, or refused (a decimal one would be truncated by the query, and match another)."""

    field_class = WholeNumberField


class ScoreFilter(django_filters.NumberFilter):
    """One end of the final-score range: a number from 0 to 100 typed with the digits 0 to 9 and a point, refused
    otherwise with a message that names which end."""

    field_class = DecimalNumberField

    def __init__(self, *, end: str, **kwargs) -> None:
        message = f"Enter the final score ‘{end}’ as a number from 0 to 100"
        kwargs["error_messages"] = {"invalid": message, "min_value": message, "max_value": message}
        super().__init__(field_name="final_score", **SCORE_BOUNDS, **kwargs)


# "Needs moderation?" is answered yes or no; anything else is refused, not read as "either".
MODERATION_CHOICES = [("true", "Yes"), ("false", "No")]


class BidFilterForm(FilterForm):
    def clean(self) -> dict:
        data = super().clean()
        low, high = data.get("score_min"), data.get("score_max")
        if low is not None and high is not None and low > high:
            self.add_error("score_max", "The final score ‘to’ must be the same as or more than the ‘from’")
        return data


class SharedBidFilters(django_filters.FilterSet):
    """The filters, search and sort every caller of the bid list has; `sorter` orders the list."""

    round = WholeNumberFilter(field_name="funding_round_id", label="Round")
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
    q = django_filters.CharFilter(method="filter_search", label="Search", max_length=200)

    sorter = staticmethod(bid_sort)

    def filter_search(self, queryset: QuerySet[Bid], name: str, value: str) -> QuerySet[Bid]:
        return bid_search(queryset, value)

    def filter_sort(self, queryset: QuerySet[Bid], name: str, value: str) -> QuerySet[Bid]:
        return self.sorter(queryset, value)

    def filter_queryset(self, queryset: QuerySet[Bid]) -> QuerySet[Bid]:
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("sort"):
            queryset = self.sorter(queryset, Sort.REFERENCE)
        return queryset


class BidFilter(SharedBidFilters):
    """Programme staff's filters: every state, and the final score and moderation too."""

    state = django_filters.ChoiceFilter(choices=BidState.choices, label="Status")
    score_min = ScoreFilter(lookup_expr="gte", label="Final score from", end="from")
    score_max = ScoreFilter(lookup_expr="lte", label="Final score to", end="to")
    needs_moderation = django_filters.ChoiceFilter(
        choices=MODERATION_CHOICES, method="filter_moderation", label="Needs moderation"
    )
    sort = django_filters.ChoiceFilter(choices=SORT_CHOICES, method="filter_sort", label="Sort by", empty_label=None)

    class Meta:
        model = Bid
        fields: list[str] = []
        form = BidFilterForm

    def filter_moderation(self, queryset: QuerySet[Bid], name: str, value: str) -> QuerySet[Bid]:
        return queryset.filter(needs_moderation=value == "true")


# --- What councils may filter and sort on -----------------------------------------------------------------

COUNCIL_SORTS = [sort for sort in Sort if not set(SORT_FIELDS[sort]) & COUNCIL_HIDDEN_FIELDS]
COUNCIL_SORT_CHOICES = [(sort.value, sort.label) for sort in COUNCIL_SORTS] + [
    (f"-{sort.value}", f"{sort.label} (descending)") for sort in COUNCIL_SORTS
]


def council_bid_sort(queryset: QuerySet[Bid], sort: str) -> QuerySet[Bid]:
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    if key == Sort.STATE:
        # A bid sorts by the state councils see (a scored bid, or one decided before publication, is in review).
        queryset = queryset.annotate(council_facing_state=council_state_expression())
        fields: tuple[str, ...] = ("council_facing_state", "pk")
    else:
        fields = SORT_FIELDS.get(key, SORT_FIELDS[Sort.REFERENCE])
    return queryset.order_by(*(f"-{field}" if descending else field for field in fields))


class CouncilBidFilter(SharedBidFilters):
    """What everyone but staff may filter and sort on: states as councils see them, nothing about scores."""

    state = django_filters.ChoiceFilter(
        choices=COUNCIL_STATE_CHOICES,
        method="filter_state",
        label="Status",
        error_messages={"invalid_choice": "Choose a status from: " + ", ".join(v for v, _ in COUNCIL_STATE_CHOICES)},
    )
    sort = django_filters.ChoiceFilter(
        choices=COUNCIL_SORT_CHOICES,
        method="filter_sort",
        label="Sort by",
        empty_label=None,
        error_messages={
            "invalid_choice": "Sort by one of: "
            + ", ".join(sort.value for sort in COUNCIL_SORTS)
            + " (put - in front for descending)"
        },
    )

    sorter = staticmethod(council_bid_sort)

    class Meta:
        model = Bid
        fields: list[str] = []
        form = FilterForm

    def filter_state(self, queryset: QuerySet[Bid], name: str, value: str) -> QuerySet[Bid]:
        return queryset.alias(council_facing_state=council_state_expression()).filter(council_facing_state=value)
