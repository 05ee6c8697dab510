"""Reads for programme staff: the dashboard's aggregates, the bid table, the staff bid page, funded projects.

Each selector fetches everything its page shows in a fixed number of queries, whatever the number of bids:
aggregates are computed by the database, lists fetch one page with its related rows joined or prefetched.
"""

from __future__ import annotations

import hashlib
from array import array
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import chain

from django.core.cache import cache
from django.db import connection
from django.db.models import (
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.http import Http404
from django.utils import timezone
from django_fsm import has_transition_perm

from assessments.models import Assessment, AssessmentTransition, ModeratedScore
from assessments.selectors import NextStep, bid_scoring, bid_sift_decision, round_ranking, staff_next_step
from bids.choices import DECIDED_STATES, BidState, ClarificationStatus, PartnerStatus, RoundState
from bids.machines import ROUND_MACHINE
from bids.models import Bid, BidPartner, BidTransition, Clarification, CostLine, FundingRound, RoundTransition
from bids.selectors import (
    LineageStep,
    bid_lineage,
    bid_sift_checklist,
    bid_visible_queryset,
    published_awards,
    round_history,
)
from collaboration.selectors import SimilarWork, similar_work
from core.formatting import percent
from councils.models import DISPLAY_NAME_FIELD, Council, User
from notifications.selectors import notification_list_for_staff
from pipeline.choices import DECISION_TRANSITIONS, Decision
from projects.selectors import projects_last_changed

ZERO = Decimal("0")

# The bid's own columns every staff list of bids reads (the table's CSV, the API): never the long text fields.
BID_LIST_COLUMNS = (
    "reference",
    "title",
    "state",
    "phase",
    "amount_requested",
    "award_amount",
    "final_score",
    "needs_moderation",
    "submitted_at",
    "decided_at",
)

# Columns the bid table and its CSV read.
TABLE_FIELDS = (
    *BID_LIST_COLUMNS,
    "number",
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


# How long one round's figures are kept: their key changes with the round's bids (`_round_versions`), so this
# only bounds what that cannot see (nothing the services write).
ROUND_FIGURES_CACHE_SECONDS = 3600
MICROSECOND = timedelta(microseconds=1)
ADDITIVE = (
    *(f"{state}__{figure}" for state in BidState.values for figure in ("count", "requested", "awarded")),
    "submitted",
    "moderation",
    "past_deadline",
)


def _round_versions(round_ids: list[int]) -> dict[int, str | None]:
    """Each round's version of its bids: the latest save of any (every change to a bid — a new one, an edit,
    a decision, a score — saves it and its `updated_at`; bids are never deleted). One query of one index probe
    per round (the bids' index on round and `updated_at`), so it costs the same at any number of bids."""
    latest = Bid.objects.filter(funding_round_id=OuterRef("pk")).order_by("-updated_at").values("updated_at")[:1]
    rows = FundingRound.objects.filter(pk__in=round_ids).annotate(at=Subquery(latest)).values_list("pk", "at")
    return {pk: at.isoformat() if at else None for pk, at in rows}


def _rounds_figures(round_ids: list[int], past_deadline_round_ids: list[int]) -> dict[int, dict]:
    """Each of these rounds' figures, in one pass over their bids (conditional aggregates grouped by round),
    and the times their decided bids took from submission to decision (microseconds, sorted), from which any
    set of rounds' exact median is worked out. Two queries for any number of rounds."""
    bids = Bid.objects.filter(funding_round_id__in=round_ids).order_by()
    aggregates: dict = {}
    for state in BidState.values:
        in_state = Q(state=state)
        aggregates[f"{state}__count"] = Count("pk", filter=in_state)
        aggregates[f"{state}__requested"] = Sum("amount_requested", filter=in_state)
        aggregates[f"{state}__awarded"] = Sum("award_amount", filter=in_state)
    aggregates["submitted"] = Count("submitted_at")
    aggregates["moderation"] = Count("pk", filter=Q(state=BidState.IN_REVIEW, needs_moderation=True))
    aggregates["past_deadline"] = Count(
        "pk", filter=Q(state=BidState.IN_REVIEW, funding_round_id__in=past_deadline_round_ids or [0])
    )
    # A round without bids: counts of nothing are 0, money of nothing None, as the aggregates give them.
    empty = {name: None if name.endswith(("__requested", "__awarded")) else 0 for name in aggregates}
    figures = {pk: {**empty, "durations": []} for pk in round_ids}
    for row in bids.values("funding_round_id").annotate(**aggregates):
        figures[row.pop("funding_round_id")].update(row)
    decided = Q(state__in=DECIDED_STATES, submitted_at__isnull=False, decided_at__isnull=False)
    taken = ExpressionWrapper(F("decided_at") - F("submitted_at"), output_field=DurationField())
    for pk, duration in bids.filter(decided).annotate(taken=taken).values_list("funding_round_id", "taken"):
        figures[pk]["durations"].append(duration // MICROSECOND)
    for row in figures.values():
        # Kept as a packed array: cached and read back as one block of bytes, not thousands of objects.
        row["durations"] = array("q", sorted(row["durations"]))
    return figures


def _median(sorted_runs: list[list[int]]) -> timedelta | None:
    """The exact median (the mean of the middle two of an even number, as PostgreSQL's PERCENTILE_CONT) of
    several sorted lists together."""
    # Sorting the runs joined end to end is Timsort's best case (it merges the sorted runs it finds), in C.
    merged = sorted(chain.from_iterable(sorted_runs))
    if not merged:
        return None
    middle = len(merged) // 2
    value = merged[middle] if len(merged) % 2 else (merged[middle - 1] + merged[middle]) / 2
    return timedelta(microseconds=value)


def _figures(scope: list[FundingRound], past_deadline_round_ids: list[int]) -> dict:
    """Every figure of the dashboard for a set of rounds: the sum of each round's figures (counts and money
    add up; the median is worked out from every round's durations). Each round's figures are cached under a
    key that changes with its bids, so after a write only the round written to is computed again — one round's
    bids rather than the whole programme's."""
    round_ids = [r.pk for r in scope]
    versions = _round_versions(round_ids)
    keys = {
        pk: "pipeline:round-figures:"
        + hashlib.sha256(repr((pk, versions.get(pk), pk in past_deadline_round_ids)).encode()).hexdigest()
        for pk in round_ids
    }
    cached = cache.get_many(list(keys.values()))
    missing = [pk for pk, key in keys.items() if key not in cached]
    if missing:
        computed = _rounds_figures(missing, [pk for pk in missing if pk in past_deadline_round_ids])
        fresh = {keys[pk]: figures for pk, figures in computed.items()}
        cache.set_many(fresh, ROUND_FIGURES_CACHE_SECONDS)
        cached |= fresh
    per_round = [cached[key] for key in keys.values()]
    totals: dict = {}
    for name in ADDITIVE:
        values = [figures[name] for figures in per_round if figures.get(name) is not None]
        # Counts of nothing are 0; money of nothing is None (shown as £0), as the aggregates give them.
        totals[name] = sum(values) if values or not name.endswith(("__requested", "__awarded")) else None
    totals["median"] = _median([figures["durations"] for figures in per_round])
    totals["computed_at"] = timezone.now()
    return totals


def dashboard_get(
    *, funding_round: FundingRound | None, rounds: list[FundingRound], now: datetime | None = None
) -> Dashboard:
    """Counts and money per state, the funnel, the budget and the work needing attention — for one round or all.

    The figures are each round's, added up (`_figures`: one aggregate query per round, cached until the round's
    bids change); the view caches the rendered page too (`dashboard_cache_key`)."""
    now = now or timezone.now()
    scope = [funding_round] if funding_round is not None else rounds
    figures = _figures(scope, _past_deadline(scope, now))

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
    funnel = [FunnelStep(label, count, percent(count, top)) for label, count in funnel_counts]

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
        awarded_percent=min(100, percent(awarded, budget)),
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
    time_in_source: timedelta | None
    # Set for a step that does not change the bid's state (the sift, a question asked or answered).
    title: str = ""


# History rows that leave the bid in its state, by transition.
SAME_STATE_TITLES = {"sift_eligible": "Sifted: eligible"}


def _clarification_entries(clarifications: list[Clarification]) -> list[TimelineEntry]:
    entries = []
    for clarification in clarifications:
        steps = [
            (clarification.proposed_at, clarification.proposed_by, "Question proposed by an assessor"),
            (clarification.asked_at, clarification.asked_by, "Question asked"),
            (clarification.answered_at, clarification.answered_by, "Question answered"),
        ]
        for at, by, title in steps:
            if at is None:
                continue
            note = clarification.answer if title == "Question answered" else clarification.question
            entries.append(
                TimelineEntry(
                    at=at,
                    by=by.full_name if by else "the system",
                    transition="clarification",
                    source="",
                    target="",
                    note=note,
                    time_in_source=None,
                    title=title,
                )
            )
    return entries


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
    clarifications: list[Clarification]
    next_step: NextStep | None = None
    similar: list[SimilarWork] = field(default_factory=list)
    lineage: list[LineageStep] = field(default_factory=list)


def staff_bid_get(*, user: User, reference: str) -> Bid:
    """The bid for a staff page (404 for anyone who is not programme staff or for an unknown reference)."""
    if not user.has_perm("bids.view_all_bids"):
        raise Http404("No bid found")

    bid = (
        Bid.objects.select_related("funding_round", "lead_council", "created_by", "sift__by")
        .prefetch_related(
            Prefetch("partners", queryset=BidPartner.objects.select_related("council").order_by("invited_at", "pk")),
            Prefetch(
                "clarifications",
                queryset=Clarification.objects.select_related("asked_by", "answered_by", "proposed_by").order_by("pk"),
            ),
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
                title=SAME_STATE_TITLES.get(row.transition, ""),
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
    timeline = sorted(timeline + _clarification_entries(list(bid.clarifications.all())), key=lambda entry: entry.at)
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
        clarifications=[c for c in bid.clarifications.all() if c.status != ClarificationStatus.DISCARDED],
    )


# --- Funded projects (public) ---------------------------------------------------------------------------


def funded_bids(*, funding_round: FundingRound | None = None) -> QuerySet[Bid]:
    """Awarded bids of rounds whose decisions are published, with their round, lead council and confirmed
    partners — what the open data publishes."""
    bids = (
        published_awards()
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
    bids = published_awards()
    if funding_round is not None:
        bids = bids.filter(funding_round=funding_round)
    return bids.aggregate(count=Count("pk"), awarded=Sum("award_amount"))


def rounds_with_awards() -> list[FundingRound]:
    """Rounds that have published at least one award: the only ones with open data to publish (a 360Giving
    package must hold at least one grant)."""
    return list(FundingRound.objects.filter(pk__in=published_awards().values("funding_round_id")).order_by("-opens_at"))


def open_data_last_modified() -> datetime | None:
    """When what the public funded-projects pages and the 360Giving packages show may last have changed: the
    latest save of a bid in a round whose decisions are published (every change to a bid, its decision
    included, saves it and its `updated_at`), the latest transition of such a bid, and of such a round
    (publishing a round's decisions is one): three MAX lookups. And since the pages show each project's state,
    outputs and reuse, and a grant's `dateModified` follows its project, the latest change to any project
    (`projects_last_changed`, one query).

    Only published rounds count: the public pages show nothing else, and the header is public, so a change to
    any other bid (a draft being written) must neither show in it nor make caches fetch the pages again. A
    council's renaming is not seen (the pages' Cache-Control max-age bounds how long that shows late).
    Whatever the public pages come to show must add its own latest change here."""
    published = RoundState.PUBLISHED
    latest = [
        Bid.objects.filter(funding_round__state=published).aggregate(at=Max("updated_at"))["at"],
        BidTransition.objects.filter(bid__funding_round__state=published).aggregate(at=Max("at"))["at"],
        RoundTransition.objects.filter(funding_round__state=published).aggregate(at=Max("at"))["at"],
        projects_last_changed(),
    ]
    known = [at for at in latest if at is not None]
    return max(known) if known else None


def delivery_cache_key(*, funding_round: FundingRound | None, changed: datetime | None) -> str:
    """The cache key of the dashboard's delivery section: its scope, the latest change to any project
    (`projects_last_changed`) and today's date (reports fall overdue overnight)."""
    scope = funding_round.pk if funding_round is not None else "all"
    stamp = changed.isoformat() if changed else "none"
    return f"pipeline:delivery:{scope}:{stamp}:{timezone.localdate().isoformat()}"


def public_page_cache_key(*, path: str, changed: datetime) -> str:
    """The cache key of one public page (its path with the query) as of one version of the open data."""
    return "pipeline:public:" + hashlib.sha256(f"{path}|{changed.isoformat()}".encode()).hexdigest()


def published_round_list() -> list[FundingRound]:
    """Rounds whose decisions are published, newest first: the only rounds the public pages know."""
    return list(FundingRound.objects.filter(state=RoundState.PUBLISHED).order_by("-opens_at"))


# --- Rounds: the list, the overview and its next step ------------------------------------------------------


@dataclass
class RoundRow:
    funding_round: FundingRound
    bids: int
    submitted: int


def round_rows() -> list[RoundRow]:
    """Every round with its number of bids and of submitted bids (one query)."""
    rounds = FundingRound.objects.annotate(
        bid_count=Count("bids"), submitted_count=Count("bids", filter=Q(bids__submitted_at__isnull=False))
    ).order_by("-opens_at")
    return [RoundRow(r, r.bid_count, r.submitted_count) for r in rounds]


# The step that moves a round on from each state staff move it from: (transition, URL slug, button).
ROUND_STEPS = {
    RoundState.OPEN: ("close_early", "close", "Close the round early"),
    RoundState.CLOSED: ("start_assessing", "start-assessing", "Start assessment"),
    RoundState.ASSESSING: ("start_deciding", "start-deciding", "Start decisions"),
    RoundState.DECIDING: ("publish_decisions", "publish", "Publish decisions"),
}
STEP_SLUGS = {slug: transition for transition, slug, _button in ROUND_STEPS.values()}


@dataclass
class RoundStep:
    transition: str
    slug: str
    button: str
    refusals: list[str]

    @property
    def allowed(self) -> bool:
        return not self.refusals


def round_next_step(*, funding_round: FundingRound, user: User) -> RoundStep | None:
    """The transition staff can take the round through next, with each reason it would be refused now."""
    step = ROUND_STEPS.get(funding_round.state)
    if step is None:
        return None
    transition, slug, button = step
    refusals = [] if transition == "close_early" else ROUND_MACHINE.refusals(funding_round, transition, user)
    return RoundStep(transition, slug, button, [problem.message for problem in refusals])


@dataclass
class AssessorRow:
    assessor_id: int
    name: str
    done: int
    in_progress: int
    not_started: int
    overdue: int
    conflicts: int

    @property
    def to_finish(self) -> int:
        return self.in_progress + self.not_started


@dataclass
class RoundBudget:
    budget: Decimal
    awarded: Decimal
    recommended: Decimal
    left: Decimal

    @property
    def percentages(self) -> tuple[int, int]:
        """(awarded, recommended) as whole percentages of the budget, for the bar."""
        if not self.budget:
            return 0, 0
        awarded = min(100, percent(self.awarded, self.budget))
        return awarded, min(100 - awarded, percent(self.recommended, self.budget))


@dataclass
class RoundOverview:
    funding_round: FundingRound
    states: list[StateRow]
    total: int
    in_review: int
    sifted_eligible: int
    unsifted: int
    ineligible: int
    assessors: list[AssessorRow]
    moderation: list[Bid]
    budget: RoundBudget
    above_line: int
    overdue_total: int
    deadline_passed: bool
    history: list
    next_step: RoundStep | None = None
    # An upcoming round whose opening time has passed: beat opens it within the minute.
    opening_time_passed: bool = False


def round_overview(*, funding_round: FundingRound, user: User, now: datetime | None = None) -> RoundOverview:
    """Where a round stands, in a fixed number of queries whatever the number of bids and assessments: bids by
    state and the sift's progress (one aggregate), assessments by assessor (one grouped query), the moderation
    queue, the budget with the ranking's funding line, the round's history and its next step."""
    now = now or timezone.now()
    aggregates: dict = {f"{state}__count": Count("pk", filter=Q(state=state)) for state in BidState.values}
    in_review = Q(state=BidState.IN_REVIEW)
    aggregates["unsifted"] = Count("pk", filter=in_review & Q(sift__isnull=True))
    aggregates["eligible"] = Count("pk", filter=in_review & Q(sift__decision="eligible"))
    aggregates["awarded"] = Sum("award_amount", filter=Q(state=BidState.AWARDED))
    figures = funding_round.bids.order_by().aggregate(**aggregates)
    states = [StateRow(state.value, state.label, figures[f"{state.value}__count"]) for state in BidState]

    deadline = funding_round.assessment_deadline
    deadline_passed = bool(deadline and deadline < now)
    open_states = Q(state__in=("assigned", "in_progress"), bid__state=BidState.IN_REVIEW)
    rows = (
        Assessment.objects.filter(bid__funding_round=funding_round)
        .values("assessor_id", "assessor__full_name")
        .annotate(
            done=Count("pk", filter=Q(state="submitted")),
            in_progress=Count("pk", filter=Q(state="in_progress", bid__state=BidState.IN_REVIEW)),
            not_started=Count("pk", filter=Q(state="assigned", bid__state=BidState.IN_REVIEW)),
            conflicts=Count("pk", filter=Q(state="conflicted")),
            open_count=Count("pk", filter=open_states),
        )
        .order_by("assessor__full_name", "assessor_id")
    )
    assessors = [
        AssessorRow(
            assessor_id=row["assessor_id"],
            name=row["assessor__full_name"],
            done=row["done"],
            in_progress=row["in_progress"],
            not_started=row["not_started"],
            overdue=row["open_count"] if deadline_passed else 0,
            conflicts=row["conflicts"],
        )
        for row in rows
    ]
    moderation = list(
        funding_round.bids.filter(state=BidState.IN_REVIEW, needs_moderation=True)
        .select_related("lead_council")
        .order_by("number")
    )
    ranking = round_ranking(funding_round=funding_round)
    awarded = figures["awarded"] or ZERO
    recommended = ranking.above_total
    budget = RoundBudget(
        budget=funding_round.budget,
        awarded=awarded,
        recommended=recommended,
        left=funding_round.budget - awarded - recommended,
    )
    return RoundOverview(
        funding_round=funding_round,
        states=states,
        total=sum(row.count for row in states),
        in_review=figures[f"{BidState.IN_REVIEW.value}__count"],
        sifted_eligible=figures["eligible"],
        unsifted=figures["unsifted"],
        ineligible=figures[f"{BidState.INELIGIBLE.value}__count"],
        assessors=assessors,
        moderation=moderation,
        budget=budget,
        above_line=len(ranking.above),
        overdue_total=sum(row.overdue for row in assessors),
        deadline_passed=deadline_passed,
        history=round_history(funding_round=funding_round),
        next_step=round_next_step(funding_round=funding_round, user=user),
        opening_time_passed=funding_round.state == RoundState.UPCOMING and funding_round.opens_at <= now,
    )


# --- The eligibility sift ---------------------------------------------------------------------------------


@dataclass
class SiftRow:
    bid: Bid
    checks: list
    unmet: int
    decision: str
    # Submitted bids of the same round that look like the same work (the similar-work index): the fund is unlikely
    # to fund two bids in one service area, so staff see overlaps at the sift.
    overlaps: int = 0


def round_sift_rows(*, funding_round: FundingRound) -> list[SiftRow]:
    """The round's bids in review with their checklists and sift decisions, in a fixed number of queries (the
    lead limit's count of other bids is one grouped query for the round, not one per bid)."""
    bids = list(
        funding_round.bids.filter(state=BidState.IN_REVIEW)
        .select_related("funding_round", "lead_council", "sift", "text_index")
        .prefetch_related("partners__council", "cost_lines__payer_council", "funding_round__phases")
        .order_by("number")
    )
    # Bids each council leads in the round that count towards its limit (as `bids_led_elsewhere` counts them).
    led = dict(
        funding_round.bids.exclude(state__in=[BidState.DRAFT, BidState.WITHDRAWN])
        .values("lead_council_id")
        .annotate(n=Count("pk"))
        .values_list("lead_council_id", "n")
    )
    rows = []
    for bid in bids:
        checks = bid_sift_checklist(bid=bid, led_elsewhere=led.get(bid.lead_council_id, 1) - 1)
        rows.append(
            SiftRow(
                bid=bid,
                checks=checks,
                unmet=sum(not c.met for c in checks),
                decision=bid_sift_decision(bid),
                overlaps=_overlap_count(bid),
            )
        )
    return rows


def _overlap_count(bid: Bid) -> int:
    index = getattr(bid, "text_index", None)  # (no row yet: the index has not read the bid)
    return index.overlap_count if index is not None else 0


def bid_for_sift(*, reference: str) -> Bid:
    """A bid with what its sift checklist reads (404 for an unknown reference)."""
    bid = (
        Bid.objects.select_related("funding_round", "lead_council", "sift__by")
        .prefetch_related("partners__council", "cost_lines__payer_council", "funding_round__phases")
        .filter(reference=reference)
        .first()
    )
    if bid is None:
        raise Http404("No bid found")
    return bid


@dataclass
class Publication:
    awarded: int
    awarded_total: Decimal
    not_funded: int
    undecided: int


def round_publication(*, funding_round: FundingRound) -> Publication:
    """What publishing the round's decisions will tell and publish (one query)."""
    figures = funding_round.bids.order_by().aggregate(
        awarded=Count("pk", filter=Q(state=BidState.AWARDED)),
        awarded_total=Sum("award_amount", filter=Q(state=BidState.AWARDED)),
        not_funded=Count("pk", filter=Q(state=BidState.NOT_FUNDED)),
        undecided=Count("pk", filter=Q(state=BidState.SCORED)),
    )
    return Publication(
        awarded=figures["awarded"],
        awarded_total=figures["awarded_total"] or ZERO,
        not_funded=figures["not_funded"],
        undecided=figures["undecided"],
    )
