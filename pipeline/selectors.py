"""Reads for programme staff: the dashboard's aggregates, the bid table, the staff bid page, funded projects.

Each selector fetches everything its page shows in a fixed number of queries, whatever the number of bids:
aggregates are computed by the database, lists fetch one page with its related rows joined or prefetched.
"""

from __future__ import annotations

import hashlib
import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import (
    Aggregate,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Prefetch,
    Q,
    QuerySet,
    Sum,
)
from django.http import Http404
from django.utils import timezone
from django_fsm import has_transition_perm

from assessments.models import Assessment, AssessmentTransition, ModeratedScore
from assessments.selectors import NextStep, bid_scoring, staff_next_step
from bids.choices import DECIDED_STATES, BidState, PartnerStatus
from bids.models import Bid, BidPartner, BidTransition, CostLine, FundingRound
from bids.selectors import LineageStep, bid_lineage, bid_visible_queryset, bids_funded_publicly
from collaboration.selectors import SimilarWork, similar_work
from councils.models import DISPLAY_NAME_FIELD, Council, User
from notifications.selectors import notification_list_for_staff
from pipeline.choices import DECISION_TRANSITIONS, Decision

ZERO = Decimal("0")

# Columns the bid table and its CSV read: the long text fields are never loaded for a list.
TABLE_FIELDS = (
    "reference",
    "number",
    "title",
    "state",
    "phase",
    "amount_requested",
    "award_amount",
    "final_score",
    "needs_moderation",
    "submitted_at",
    "decided_at",
    "funding_round_id",
    "lead_council_id",
    "funding_round__name",
    "funding_round__code",
    f"lead_council__{DISPLAY_NAME_FIELD}",
    "lead_council__register_code",
    "lead_council__region",
    "lead_council__council_type",
)


# --- Rounds and councils ----------------------------------------------------------------------------------


def round_list() -> list[FundingRound]:
    """Every round, newest first. Never cached: staff decide on rounds and their budgets, so a new round or a
    changed budget shows on the very next request (a handful of rows, one query)."""
    return list(FundingRound.objects.order_by("-opens_at"))


def council_options() -> list[tuple[str, str]]:
    """(register code, name) of every council, for the lead council filter."""
    return list(Council.objects.order_by(DISPLAY_NAME_FIELD).values_list("register_code", DISPLAY_NAME_FIELD))


# --- The bid table --------------------------------------------------------------------------------------


def bid_table_queryset(*, user: User) -> QuerySet[Bid]:
    """The bids a user may list, with the round and lead council joined and only the table's columns loaded."""
    return bid_visible_queryset(user=user).select_related("funding_round", "lead_council").only(*TABLE_FIELDS)


# What a row of the staff table shows, read as plain rows: no model instances to build for a 50-row page.
TABLE_ROW_FIELDS = (
    "reference",
    "title",
    "state",
    "phase",
    "amount_requested",
    "final_score",
    "needs_moderation",
    "submitted_at",
    "funding_round__code",
    f"lead_council__{DISPLAY_NAME_FIELD}",
    # Possible overlaps in the round, stored by the similar-work index (collaboration): one joined column.
    "text_index__overlap_count",
)


# --- The dashboard --------------------------------------------------------------------------------------


class Median(Aggregate):
    """PostgreSQL's exact median (works on intervals too)."""

    function = "PERCENTILE_CONT"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"


@dataclass
class StateRow:
    state: str
    label: str
    count: int = 0
    requested: Decimal = ZERO
    awarded: Decimal = ZERO


@dataclass
class FunnelStep:
    label: str
    count: int
    percent: int  # of the first step, for the bar width


@dataclass
class Dashboard:
    funding_round: FundingRound | None
    rounds: list[FundingRound]
    states: list[StateRow]
    total: StateRow
    funnel: list[FunnelStep]
    budget: Decimal
    awarded: Decimal
    remaining: Decimal
    awarded_percent: int
    median_days_to_decision: float | None
    decided_count: int
    past_deadline: int
    needs_moderation: int
    overspent: bool = False
    computed_at: datetime | None = None


# How long a rendered dashboard is kept. Its key changes with the data (see `dashboard_cache_key`), so this
# only bounds the changes the key cannot see (a draft's amount edited, say).
DASHBOARD_CACHE_SECONDS = 60


def _data_fingerprint() -> tuple:
    """Changes whenever the dashboard's figures may have: a new bid, a state change (every transition writes a
    history row, so every award), an assessment transition or a moderated score. One query of index-only
    MAX(id) lookups, so checking costs nothing at any size. Edits that write none of these (a draft's amount)
    show within DASHBOARD_CACHE_SECONDS."""

    tables = [Bid, BidTransition, AssessmentTransition, ModeratedScore]
    quote = connection.ops.quote_name
    # Table names come from the models' metadata, never from input.
    sql = "SELECT " + ", ".join(f"(SELECT MAX(id) FROM {quote(model._meta.db_table)})" for model in tables)  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return tuple(cursor.fetchone())


def _past_deadline(scope: list[FundingRound], now: datetime) -> list[int]:
    return sorted(r.pk for r in scope if r.assessment_deadline and r.assessment_deadline < now)


def dashboard_cache_key(*, funding_round: FundingRound | None, rounds: list[FundingRound], now: datetime) -> str:
    """The cache key of one version of the dashboard: it changes with the data (`_data_fingerprint`), with the
    rounds (a new one, a name) and their budgets as just read, and with which assessment deadlines have passed.
    So a decision, a new round or a changed budget shows on the very next request, from any web process."""
    scope = [funding_round] if funding_round is not None else rounds
    version = (
        funding_round.pk if funding_round else None,
        _data_fingerprint(),
        _past_deadline(scope, now),
        [(r.pk, str(r.budget), r.name) for r in rounds],
    )
    return "pipeline:dashboard:" + hashlib.sha256(repr(version).encode()).hexdigest()


def _figures(bids: QuerySet[Bid], past_deadline_round_ids: list[int]) -> dict:
    """Every figure of the dashboard in one pass over the bids (conditional aggregates)."""
    aggregates: dict = {}
    for state in BidState.values:
        in_state = Q(state=state)
        aggregates[f"{state}__count"] = Count("pk", filter=in_state)
        aggregates[f"{state}__requested"] = Sum("amount_requested", filter=in_state)
        aggregates[f"{state}__awarded"] = Sum("award_amount", filter=in_state)
    aggregates["submitted"] = Count("submitted_at")
    aggregates["moderation"] = Count("pk", filter=Q(state=BidState.IN_REVIEW, needs_moderation=True))
    if past_deadline_round_ids:
        aggregates["past_deadline"] = Count(
            "pk", filter=Q(state=BidState.IN_REVIEW, funding_round_id__in=past_deadline_round_ids)
        )
    decided = Q(state__in=DECIDED_STATES, submitted_at__isnull=False, decided_at__isnull=False)
    elapsed = ExpressionWrapper(F("decided_at") - F("submitted_at"), output_field=DurationField())
    if connection.vendor == "postgresql":
        aggregates["median"] = Median(elapsed, filter=decided, output_field=DurationField())
    figures = bids.order_by().aggregate(**aggregates)
    if connection.vendor != "postgresql":
        # SQLite (the demo and local tests) has no percentile function; its datasets are small.
        durations = [done - sent for sent, done in bids.filter(decided).values_list("submitted_at", "decided_at")]
        figures["median"] = statistics.median(durations) if durations else None
    figures.setdefault("past_deadline", 0)
    figures["computed_at"] = timezone.now()
    return figures


def dashboard_get(
    *, funding_round: FundingRound | None, rounds: list[FundingRound], now: datetime | None = None
) -> Dashboard:
    """Counts and money per state, the funnel, the budget and the work needing attention — for one round or all.

    Every figure comes from one aggregate query over the bids (the view caches the rendered page; see
    `dashboard_cache_key`)."""
    now = now or timezone.now()
    scope = [funding_round] if funding_round is not None else rounds
    bids = Bid.objects.all() if funding_round is None else Bid.objects.filter(funding_round=funding_round)
    figures = _figures(bids, _past_deadline(scope, now))

    states = []
    total = StateRow(state="", label="All bids")
    for state in BidState:
        row = StateRow(
            state=state.value,
            label=state.label,
            count=figures[f"{state.value}__count"],
            requested=figures[f"{state.value}__requested"] or ZERO,
            awarded=figures[f"{state.value}__awarded"] or ZERO,
        )
        states.append(row)
        total.count += row.count
        total.requested += row.requested
        total.awarded += row.awarded

    counts = {row.state: row.count for row in states}
    # A bid reached "scored" if it is scored or was then decided on its score; "not funded" only follows scored.
    reached_scored = counts[BidState.SCORED] + counts[BidState.AWARDED] + counts[BidState.NOT_FUNDED]
    funnel_counts = [
        ("Started (draft)", total.count),
        ("Submitted (in review)", figures["submitted"]),
        ("Scored", reached_scored),
        ("Awarded", counts[BidState.AWARDED]),
    ]
    top = max(total.count, 1)
    funnel = [FunnelStep(label, count, round(100 * count / top)) for label, count in funnel_counts]

    budget = sum((r.budget for r in scope), ZERO)
    awarded = figures[f"{BidState.AWARDED.value}__awarded"] or ZERO
    remaining = budget - awarded
    median = figures["median"]
    return Dashboard(
        funding_round=funding_round,
        rounds=rounds,
        states=states,
        total=total,
        funnel=funnel,
        budget=budget,
        awarded=awarded,
        remaining=remaining,
        awarded_percent=min(100, round(100 * awarded / budget)) if budget else 0,
        median_days_to_decision=round(median.total_seconds() / 86400, 1) if median is not None else None,
        decided_count=sum(counts[state] for state in DECIDED_STATES),
        past_deadline=figures["past_deadline"],
        needs_moderation=figures["moderation"],
        overspent=remaining < 0,
        computed_at=figures["computed_at"],
    )


# --- The staff bid page ---------------------------------------------------------------------------------


@dataclass
class TimelineEntry:
    at: datetime
    by: str
    transition: str
    source: str
    target: str
    note: str
    time_in_source: timedelta


@dataclass
class StateDuration:
    state: str
    label: str
    duration: timedelta


@dataclass
class StaffBidPage:
    bid: Bid
    timeline: list[TimelineEntry]
    time_in_states: list[StateDuration]
    assessments: list
    scoring: object  # assessments.selectors.BidScoring
    notifications: list
    decisions: list[tuple[str, str]]  # (slug, label) of the decisions this user may take now
    partners: list[BidPartner]
    next_step: NextStep | None = None
    similar: list[SimilarWork] = field(default_factory=list)
    lineage: list[LineageStep] = field(default_factory=list)


def staff_bid_get(*, user: User, reference: str) -> Bid:
    """The bid for a staff page (404 for anyone who is not programme staff or for an unknown reference)."""
    if not user.has_perm("bids.view_all_bids"):
        raise Http404("No bid found")

    bid = (
        Bid.objects.select_related("funding_round", "lead_council", "created_by")
        .prefetch_related(
            Prefetch("partners", queryset=BidPartner.objects.select_related("council").order_by("invited_at", "pk")),
            Prefetch("cost_lines", queryset=CostLine.objects.select_related("payer_council")),
            "documents",
            "funding_round__criteria",
            Prefetch(
                "assessments",
                queryset=Assessment.objects.select_related("assessor")
                .prefetch_related("criterion_scores")
                .order_by("assigned_at", "pk"),
            ),
            "moderated_scores",
        )
        .filter(reference=reference)
        .first()
    )
    if bid is None:
        raise Http404("No bid found")
    return bid


def decisions_available(*, bid: Bid, user: User) -> list[tuple[str, str]]:
    """The decisions the state machine lets this user take now: right state, conditions met, permission held."""
    return [
        (decision.value, decision.label)
        for decision in Decision
        if has_transition_perm(getattr(bid, DECISION_TRANSITIONS[decision]), user)
    ]


def _timeline(bid: Bid, history: list[BidTransition], now: datetime) -> tuple[list[TimelineEntry], list[StateDuration]]:
    entries = []
    spent: dict[str, timedelta] = {}
    entered = bid.created_at
    for row in history:
        in_source = max(row.at - entered, timedelta(0))
        spent[row.source_state] = spent.get(row.source_state, timedelta(0)) + in_source
        entries.append(
            TimelineEntry(
                at=row.at,
                by=row.by.full_name if row.by else "the system",
                transition=row.transition,
                source=row.source_state,
                target=row.target_state,
                note=row.note,
                time_in_source=in_source,
            )
        )
        entered = row.at
    # The current state has lasted until now, unless the bid reached a final decision.
    if bid.state in (BidState.DRAFT, BidState.IN_REVIEW, BidState.SCORED):
        spent[bid.state] = spent.get(bid.state, timedelta(0)) + max(now - entered, timedelta(0))
    durations = [
        StateDuration(state, BidState(state).label, spent[state]) for state in BidState.values if state in spent
    ]
    return entries, durations


def bid_notifications(*, reference: str, limit: int = 200) -> list:
    """Notifications recorded for the bid, newest first, with their recipients (the notifications app's read)."""

    return list(notification_list_for_staff(reference=reference)[:limit])


def staff_bid_page(*, user: User, reference: str, now: datetime | None = None) -> StaffBidPage:

    bid = staff_bid_get(user=user, reference=reference)
    history = list(bid.history.select_related("by").order_by("at", "pk"))
    timeline, durations = _timeline(bid, history, now or timezone.now())
    scoring = bid_scoring(bid=bid)
    return StaffBidPage(
        bid=bid,
        timeline=timeline,
        time_in_states=durations,
        assessments=list(bid.assessments.all()),
        scoring=scoring,
        next_step=staff_next_step(bid=bid, scoring=scoring),
        notifications=bid_notifications(reference=bid.reference),
        decisions=decisions_available(bid=bid, user=user),
        partners=list(bid.partners.all()),
        similar=similar_work(bid=bid, user=user),
        lineage=bid_lineage(bid=bid, user=user),
    )


# --- Funded projects (public) ---------------------------------------------------------------------------


def funded_bids(*, funding_round: FundingRound | None = None) -> QuerySet[Bid]:
    """Awarded bids with their round, lead council and confirmed partners — what the open data publishes."""
    bids = (
        bids_funded_publicly()
        .select_related("funding_round", "lead_council")
        .prefetch_related(
            Prefetch(
                "partners",
                queryset=BidPartner.objects.filter(status=PartnerStatus.CONFIRMED)
                .select_related("council")
                .order_by(f"council__{DISPLAY_NAME_FIELD}"),
                to_attr="confirmed_partners",
            )
        )
        .defer("problem", "user_needs", "approach", "outputs_and_reuse", "working_in_the_open", "section_versions")
        .order_by("-decided_at", "pk")
    )
    if funding_round is not None:
        bids = bids.filter(funding_round=funding_round)
    return bids


def funded_totals(*, funding_round: FundingRound | None = None) -> dict:
    bids = Bid.objects.filter(state=BidState.AWARDED)
    if funding_round is not None:
        bids = bids.filter(funding_round=funding_round)
    return bids.aggregate(count=Count("pk"), awarded=Sum("award_amount"))


def rounds_with_awards() -> list[FundingRound]:
    """Rounds that have awarded at least one grant: the only ones with open data to publish (a 360Giving
    package must hold at least one grant)."""
    return list(FundingRound.objects.filter(bids__state=BidState.AWARDED).distinct().order_by("-opens_at"))
