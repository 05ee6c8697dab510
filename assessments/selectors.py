"""Reads for assessment pages. Selectors own permissions, select_related/prefetch and the derived figures,
so templates run no query per row."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from operator import itemgetter

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Count, DecimalField, F, Max, Prefetch, Q, QuerySet, Sum, Value, Window
from django.db.models.expressions import RowRange
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce, RowNumber
from django.http import Http404
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from assessments.choices import ACTIVE_STATES, AssessmentState
from assessments.conditions import council_in_bid_reason
from assessments.models import Assessment, AssessmentTransition, CriterionScore, ModeratedScore
from assessments.scoring import Aggregate, CriterionInput, aggregate, two_places
from bids.choices import BidState, CriterionCode, PartnerStatus, RoundState, SiftDecision
from bids.models import Bid, BidPartner, Criterion, FundingRound
from bids.selectors import round_remaining_budget
from core.exceptions import Gone
from core.formatting import plural
from councils.choices import Role
from councils.models import User

# --- The assessor's pages -------------------------------------------------------------------------------


def assessments_for_assessor(*, user: User) -> list[Assessment]:
    """The assessor's assignments: open ones first, soonest due first (a constant number of queries)."""
    assessments = list(
        Assessment.objects.filter(assessor=user).select_related("bid__funding_round", "bid__lead_council")
    )
    open_states = (AssessmentState.ASSIGNED, AssessmentState.IN_PROGRESS)

    def sort_key(assessment: Assessment) -> tuple:
        deadline = assessment.bid.funding_round.assessment_deadline
        return (
            assessment.state not in open_states,
            deadline.timestamp() if deadline else float("inf"),
            assessment.bid.reference,
        )

    now = timezone.now()
    for assessment in assessments:
        deadline = assessment.bid.funding_round.assessment_deadline
        assessment.is_overdue = bool(deadline and deadline < now and assessment.state in open_states)
    return sorted(assessments, key=sort_key)


def assessment_get_for_user(*, user: User, pk: int) -> Assessment:
    """The assessment if the user may see it (its assessor or staff); otherwise 404, never 403."""
    assessment = (
        Assessment.objects.select_related("bid__funding_round", "bid__lead_council", "assessor")
        .prefetch_related(
            "criterion_scores",
            "bid__partners__council",
            Prefetch("bid__funding_round__criteria", queryset=Criterion.objects.order_by("position", "pk")),
        )
        .filter(pk=pk)
        .first()
    )
    if assessment is None:
        _refuse_as_unassigned(user=user, pk=pk)
    if assessment is None or not user.has_perm("assessments.view_assessment", assessment):
        raise Http404("No assessment found")
    return assessment


def _refuse_as_unassigned(*, user: User, pk: int) -> None:
    """An assessment that was this assessor's and was unassigned (which deletes it) says so to them, and to no
    one else: its history keeps the id it had."""
    unassigned = (
        AssessmentTransition.objects.filter(transition="unassign", assessor=user, unassigned_assessment_id=pk)
        .select_related("bid")
        .first()
    )
    if unassigned is not None:
        raise Gone(
            heading="You are no longer assessing this bid",
            explanation=(
                f"The programme team has taken {unassigned.bid.reference} off your assessments, so you do not "
                "need to finish it. Anything you had saved or just sent for it has not been kept."
            ),
            link_text="Go to your assessments",
            link_url=reverse("assessments:list"),
        )


def bid_content_for_assessment(*, assessment: Assessment, user: User) -> Bid:
    """The bid's content for an assessor who has declared no conflict (or staff); 404 for anyone else."""
    if not user.has_perm("assessments.view_bid_content", assessment):
        raise Http404("No bid found")
    return (
        Bid.objects.select_related("funding_round", "lead_council")
        .prefetch_related("partners__council", "cost_lines__payer_council", "documents")
        .get(pk=assessment.bid_id)
    )


@dataclass
class ScoreRow:
    criterion: Criterion
    score: int | None
    justification: str


def score_rows(*, assessment: Assessment) -> list[ScoreRow]:
    """The assessment's scores in the round's criterion order (uses the prefetched scores and criteria)."""
    by_criterion = {row.criterion_id: row for row in assessment.criterion_scores.all()}
    rows = []
    for criterion in assessment.bid.funding_round.criteria.all():
        row = by_criterion.get(criterion.pk)
        rows.append(ScoreRow(criterion, row.score if row else None, row.justification if row else ""))
    return rows


@dataclass
class PeerAssessment:
    label: str
    recommendation: str
    comments: str
    scores: list[ScoreRow]


def peer_assessments(*, assessment: Assessment, user: User) -> list[PeerAssessment]:
    """Other assessors' submitted scores, only once this assessor has submitted (blind until then).

    Assessors are shown to each other as "Assessor A", "Assessor B": the point is the scores, not who.
    """
    if not user.has_perm("assessments.view_other_scores", assessment):
        return []
    others = (
        Assessment.objects.filter(bid_id=assessment.bid_id, state=AssessmentState.SUBMITTED)
        .exclude(pk=assessment.pk)
        .prefetch_related("criterion_scores")
        .order_by("submitted_at", "pk")
    )
    criteria = list(assessment.bid.funding_round.criteria.all())
    peers = []
    for index, other in enumerate(others):
        by_criterion = {row.criterion_id: row for row in other.criterion_scores.all()}
        peers.append(
            PeerAssessment(
                label=f"Assessor {chr(65 + index)}",
                recommendation=other.get_recommendation_display(),
                comments=other.comments,
                scores=[
                    ScoreRow(
                        c,
                        by_criterion[c.pk].score if c.pk in by_criterion else None,
                        by_criterion[c.pk].justification if c.pk in by_criterion else "",
                    )
                    for c in criteria
                ],
            )
        )
    return peers


# --- Staff: rounds, assignment, moderation --------------------------------------------------------------


def rounds_for_staff() -> QuerySet[FundingRound]:
    in_review = Q(bids__state=BidState.IN_REVIEW)
    return FundingRound.objects.annotate(
        in_review_count=Count("bids", filter=in_review, distinct=True),
        moderation_count=Count("bids", filter=in_review & Q(bids__needs_moderation=True), distinct=True),
        scored_count=Count("bids", filter=Q(bids__state=BidState.SCORED), distinct=True),
        conflict_count=Count(
            "bids__assessments",
            filter=in_review & Q(bids__assessments__state=AssessmentState.CONFLICTED),
            distinct=True,
        ),
    ).order_by("-opens_at")


def round_get(*, pk: int) -> FundingRound:
    funding_round = FundingRound.objects.filter(pk=pk).first()
    if funding_round is None:
        raise Http404("No round found")
    return funding_round


def round_assignment_overview(*, funding_round: FundingRound) -> list[Bid]:
    """The round's in-review bids with their assessments and assessors (constant queries)."""
    bids = list(
        funding_round.bids.filter(state=BidState.IN_REVIEW)
        .select_related("lead_council", "sift")
        .prefetch_related(
            Prefetch("assessments", queryset=Assessment.objects.select_related("assessor").order_by("assigned_at"))
        )
        .order_by("number")
    )
    for bid in bids:
        bid.active_count = sum(1 for a in bid.assessments.all() if a.state in ACTIVE_STATES)
        bid.submitted_count = sum(1 for a in bid.assessments.all() if a.state == AssessmentState.SUBMITTED)
        bid.conflicted = [a for a in bid.assessments.all() if a.state == AssessmentState.CONFLICTED]
        bid.places_left = max(funding_round.assessors_per_bid - bid.active_count, 0)
    return bids


def staff_bid_get(*, reference: str) -> Bid:
    bid = (
        Bid.objects.select_related("funding_round", "lead_council", "sift")
        .prefetch_related(
            "partners__council",
            Prefetch(
                "assessments",
                queryset=Assessment.objects.select_related("assessor")
                .prefetch_related("criterion_scores")
                .order_by("assigned_at", "pk"),
            ),
            Prefetch("funding_round__criteria", queryset=Criterion.objects.order_by("position", "pk")),
            Prefetch("moderated_scores", queryset=ModeratedScore.objects.select_related("by")),
        )
        .filter(reference=reference)
        .first()
    )
    if bid is None:
        raise Http404("No bid found")
    return bid


def bid_sift_decision(bid: Bid) -> str:
    """The bid's sift decision ("" when not sifted), from the row fetched with the bid when it was."""
    try:
        return bid.sift.decision
    except Bid.sift.RelatedObjectDoesNotExist:
        return ""


def assignment_closed_reason(*, bid: Bid) -> str:
    """Why no assessor can be assigned to the bid now ("" when they can): assessment happens while the round is
    assessing (after the round has closed and every submitted bid has been sifted), and only of bids sifted
    eligible."""
    funding_round = bid.funding_round
    if funding_round.state != RoundState.ASSESSING:
        return (
            f"Assessors are assigned while the round is assessing, and {funding_round.name} is "
            f"{funding_round.get_state_display().lower()}: sift its bids, then start assessment from the round’s "
            "page"
        )
    if bid_sift_decision(bid) != SiftDecision.ELIGIBLE:
        return f"{bid.reference} has not been sifted eligible, so assessors cannot be assigned to it"
    return ""


def assignment_block_reason(*, bid: Bid, assessor: User) -> str:
    """Why `assessor` can never assess `bid` ("" if nothing blocks it): their own council is in the bid."""
    return council_in_bid_reason(bid=bid, assessor=assessor)


def assessor_open_assessments(*, funding_round: FundingRound, assessor: User) -> list[Assessment]:
    """The assessor's assessments still to finish (assigned or in progress) of the round's bids in review."""
    return list(
        Assessment.objects.filter(
            assessor=assessor,
            bid__funding_round=funding_round,
            bid__state=BidState.IN_REVIEW,
            state__in=(AssessmentState.ASSIGNED, AssessmentState.IN_PROGRESS),
        )
        .select_related("bid")
        .order_by("bid__number")
    )


def round_workloads(*, funding_round: FundingRound) -> dict[int, int]:
    """Assessor id → number of assessments they hold in the round (declared conflicts do not count)."""
    rows = (
        Assessment.objects.filter(bid__funding_round=funding_round, state__in=ACTIVE_STATES)
        .values("assessor_id")
        .annotate(n=Count("pk"))
    )
    return {row["assessor_id"]: row["n"] for row in rows}


def active_assessors() -> list[User]:
    assessors = list(User.objects.filter(role=Role.ASSESSOR, is_active=True).prefetch_related("memberships"))
    for assessor in assessors:
        # Fill the council-id cache from the prefetch, so eligibility checks run no query per assessor.
        assessor._council_ids = frozenset(m.council_id for m in assessor.memberships.all())
    return assessors


@dataclass
class Suggestion:
    assessor: User
    workload: int
    reason: str


def assessor_suggestions(*, bid: Bid) -> list[Suggestion]:
    """Every active assessor not yet on the bid: eligible ones first, fewest assignments in the round first;
    those whose council is in the bid carry the reason they can never be assigned."""
    taken = {assessment.assessor_id for assessment in bid.assessments.all()}
    workloads = round_workloads(funding_round=bid.funding_round)
    suggestions = [
        Suggestion(assessor, workloads.get(assessor.pk, 0), assignment_block_reason(bid=bid, assessor=assessor))
        for assessor in active_assessors()
        if assessor.pk not in taken
    ]
    return sorted(suggestions, key=lambda s: (bool(s.reason), s.workload, s.assessor.full_name, s.assessor.pk))


@dataclass
class ModerationRow:
    criterion: Criterion
    scores: list[tuple[str, int | None]]
    mean: Decimal | None
    spread: int
    divergent: bool
    moderated: ModeratedScore | None


@dataclass
class BidScoring:
    aggregate: Aggregate
    rows: list[ModerationRow]
    complete: bool
    waiting_for: list[Assessment]


def _aggregate(*, funding_round: FundingRound, criteria: list[Criterion], assessments, moderated) -> Aggregate:
    """The one way a bid's result is worked out: its submitted assessments' scores per criterion, with staff's
    moderated scores (criterion id → score) in place of the assessors' mean."""
    scores: dict[int, list[int]] = defaultdict(list)
    for assessment in assessments:
        if assessment.state != AssessmentState.SUBMITTED:
            continue
        for row in assessment.criterion_scores.all():
            if row.score is not None:
                scores[row.criterion_id].append(row.score)
    return aggregate(
        criteria=[CriterionInput(c.pk, c.name, c.code, c.weight) for c in criteria],
        scores=scores,
        moderated=moderated,
        divergence_threshold=funding_round.divergence_threshold,
    )


def _all_in(funding_round: FundingRound, active: list[Assessment]) -> bool:
    """Every place on the bid is taken and every assessment in it submitted."""
    return (
        bool(active)
        and len(active) >= funding_round.assessors_per_bid
        and all(assessment.state == AssessmentState.SUBMITTED for assessment in active)
    )


def bid_aggregate(*, bid: Bid) -> tuple[Aggregate, list[Assessment], bool]:
    """The bid's scores from the database: (aggregate, active assessments, all are in). For the services that
    store the result, with the bid row locked."""
    assessments = list(bid.assessments.filter(state__in=ACTIVE_STATES).prefetch_related("criterion_scores"))
    moderated = dict(ModeratedScore.objects.filter(bid=bid).values_list("criterion_id", "score"))
    funding_round = bid.funding_round
    criteria = list(funding_round.criteria.all())
    result = _aggregate(funding_round=funding_round, criteria=criteria, assessments=assessments, moderated=moderated)
    return result, assessments, _all_in(funding_round, assessments)


def bid_scoring(*, bid: Bid) -> BidScoring:
    """The live picture of a bid's scores for staff (from the prefetched assessments and moderation)."""
    funding_round = bid.funding_round
    criteria = list(funding_round.criteria.all())
    active = [a for a in bid.assessments.all() if a.state in ACTIVE_STATES]
    submitted = [a for a in active if a.state == AssessmentState.SUBMITTED]
    moderated = {m.criterion_id: m for m in bid.moderated_scores.all()}
    result = _aggregate(
        funding_round=funding_round,
        criteria=criteria,
        assessments=submitted,
        moderated={pk: m.score for pk, m in moderated.items()},
    )
    per_assessor = {a.pk: {row.criterion_id: row.score for row in a.criterion_scores.all()} for a in submitted}
    rows = [
        ModerationRow(
            criterion=criterion,
            scores=[(a.assessor.full_name, per_assessor[a.pk].get(criterion.pk)) for a in submitted],
            mean=two_places(item.mean) if item.mean is not None else None,
            spread=item.spread,
            divergent=item.divergent,
            moderated=moderated.get(criterion.pk),
        )
        for criterion, item in zip(criteria, result.criteria, strict=True)
    ]
    return BidScoring(
        aggregate=result,
        rows=rows,
        complete=_all_in(funding_round, active),
        waiting_for=[a for a in active if a.state != AssessmentState.SUBMITTED],
    )


@dataclass
class NextStep:
    """What programme staff do next with a bid, and where: every staff page about a bid offers it."""

    text: str
    link: str = ""
    url: str = ""


def _url(name: str, *args: object) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:  # a page of an app that is not installed
        return ""


def staff_next_step(*, bid: Bid, scoring: BidScoring) -> NextStep:
    """The bid's next step for staff, from its state and its assessments (uses the prefetched assessments)."""
    funding_round = bid.funding_round
    if bid.state == BidState.DRAFT:
        return NextStep(f"{bid.lead_council} is still writing this bid; nothing to do until it is submitted.")
    if bid.state == BidState.IN_REVIEW:
        assessments_url = _url("assessments:bid", bid.reference)
        active = sum(1 for a in bid.assessments.all() if a.state in ACTIVE_STATES)
        if not bid_sift_decision(bid):
            return NextStep(
                "Check the bid is eligible (the sift).", "Sift the bid", _url("pipeline:bid_sift", bid.reference)
            )
        if funding_round.state != RoundState.ASSESSING and not active:
            return NextStep(
                f"Sifted eligible. Assessors are assigned once {funding_round.name} is assessing.",
                f"See {funding_round.name}",
                _url("pipeline:round", funding_round.pk),
            )
        if active < funding_round.assessors_per_bid:
            needed = plural(funding_round.assessors_per_bid - active, "more assessor")
            return NextStep(f"Assign {needed}.", "Assign assessors", f"{assessments_url}#assign")
        if bid.needs_moderation:
            return NextStep(
                "The assessors disagree: record a moderated score for each flagged criterion.",
                "Moderate the scores",
                f"{assessments_url}#scores",
            )
        if scoring.waiting_for:
            waiting = plural(len(scoring.waiting_for), "assessment")
            return NextStep(f"Waiting for {waiting}.", "See who is assessing it", f"{assessments_url}#assessors")
        return NextStep("Every assessment is in.", "See the scores", f"{assessments_url}#scores")
    if bid.state == BidState.SCORED:
        if funding_round.state != RoundState.DECIDING:
            return NextStep(
                f"Scored. Decisions are recorded once {funding_round.name} is deciding (every bid scored, "
                "ineligible or withdrawn); meanwhile, see where it ranks.",
                f"See the ranking for {funding_round.name}",
                _url("assessments:ranking", funding_round.pk),
            )
        return NextStep(
            "Scored: decide whether to fund it, in the light of where it ranks.",
            f"See the ranking for {funding_round.name}",
            _url("assessments:ranking", funding_round.pk),
        )
    if bid.state in (BidState.AWARDED, BidState.NOT_FUNDED) and funding_round.state != RoundState.PUBLISHED:
        return NextStep(
            f"{bid.get_state_display()}, recorded. The councils are told, and awards published, when you publish "
            f"{funding_round.name}’s decisions.",
            f"See {funding_round.name}",
            _url("pipeline:round", funding_round.pk),
        )
    if bid.state == BidState.AWARDED:
        return NextStep("Awarded: it is published as a funded project.", "See funded projects", _url("pipeline:funded"))
    return NextStep(f"{bid.get_state_display()}: nothing more to do.")


def round_decision_warnings(*, funding_round: FundingRound, now: datetime | None = None) -> list[str]:
    """What staff must know before recording decisions on the round's bids: decisions are recorded only while
    the round is deciding (once every bid is scored, ineligible or withdrawn, so the ranking can no longer
    change), and nobody outside the fund hears of them until the round's decisions are published."""
    if funding_round.state == RoundState.DECIDING:
        return [
            "Decisions are recorded, not told: the councils hear, and awards are published, only when you publish "
            f"{funding_round.name}’s decisions from the round’s page."
        ]
    if funding_round.state == RoundState.PUBLISHED:
        return [f"{funding_round.name}’s decisions are published."]
    return [
        f"{funding_round.name} is {funding_round.get_state_display().lower()}: awards and declines are recorded once "
        "it is deciding, when every bid is scored, ineligible or withdrawn and the ranking can no longer change."
    ]


def assessment_history(*, bid: Bid) -> list[AssessmentTransition]:
    return list(bid.assessment_history.select_related("assessor", "by").order_by("at", "pk"))


# --- Ranking --------------------------------------------------------------------------------------------


@dataclass
class RankingRow:
    rank: int
    bid_id: int
    final_score: Decimal
    value_for_money: Decimal | None
    amount_requested: Decimal
    running_total: Decimal
    above_line: bool
    # The first row below the funding line: the page draws the line above it.
    first_below: bool = False
    # The bid itself (with its lead council), fetched for the rows that need it (`ranking_fetch_bids`).
    bid: Bid | None = None


@dataclass
class Ranking:
    """The round's scored bids in rank order, with the funding line where the remaining budget runs out.

    Iterating gives the rows. `remaining` is the budget left after awards already made; a row is above the
    line when it and every bid ranked above it fit within that.
    """

    funding_round: FundingRound
    budget: Decimal
    remaining: Decimal
    rows: list[RankingRow] = field(default_factory=list)

    def __iter__(self) -> Iterator[RankingRow]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: int) -> RankingRow:
        return self.rows[index]

    @property
    def above(self) -> list[RankingRow]:
        return [row for row in self.rows if row.above_line]

    @property
    def above_total(self) -> Decimal:
        return sum((row.amount_requested for row in self.above), Decimal("0"))


def _value_criterion(funding_round: FundingRound) -> int | None:
    return (
        Criterion.objects.filter(funding_round=funding_round, code=CriterionCode.VALUE_FOR_MONEY)
        .values_list("pk", flat=True)
        .first()
    )


def _value_for_money(criterion_scores: dict | None) -> Decimal | None:
    for item in (criterion_scores or {}).values():
        if item.get("code") == CriterionCode.VALUE_FOR_MONEY and item.get("score") is not None:
            return Decimal(item["score"])
    return None


def _rank_values(funding_round: FundingRound, scored: QuerySet[Bid]) -> list[tuple]:
    """(pk, final score, value-for-money score, submitted at, number, amount requested) of each scored bid.

    `criterion_scores` is keyed by criterion id ({"12": {"code": …, "score": "4.00"}, …}). PostgreSQL reads the
    value-for-money score out of it (no JSON decoded in Python); elsewhere (SQLite, the demo, takes a digit key
    for an array index) each bid's scores are decoded."""
    fields = ("pk", "final_score", "submitted_at", "number", "amount_requested")
    value_criterion = _value_criterion(funding_round) if connection.vendor == "postgresql" else None
    if value_criterion is not None:
        scored = scored.annotate(value_for_money=KT(f"criterion_scores__{value_criterion}__score"))
        return [
            (pk, score, Decimal(value) if value is not None else None, at, number, amount)
            for pk, score, at, number, amount, value in scored.values_list(*fields, "value_for_money")
        ]
    return [
        (pk, score, _value_for_money(scores), at, number, amount)
        for pk, score, at, number, amount, scores in scored.values_list(*fields, "criterion_scores")
    ]


def round_ranking(*, funding_round: FundingRound, with_bids: bool = True) -> Ranking:
    """Scored bids by final score; ties by the higher value-for-money score, then the earlier submission.

    The order, running totals and funding line are worked out from plain rows (a round may have thousands of
    scored bids; the value-for-money score is read out of the stored scores by the database, not by decoding
    each bid's JSON); with `with_bids` every row also gets its bid (one more query). A page that shows some
    rows passes `with_bids=False` and fetches the bids of those rows only (`ranking_fetch_bids`)."""
    scored = funding_round.bids.filter(state=BidState.SCORED, final_score__isnull=False).order_by()
    rows = []
    lowest = Decimal("-1")
    for pk, final_score, value, submitted_at, number, amount in _rank_values(funding_round, scored):
        key = (-final_score, -(value if value is not None else lowest), submitted_at, number)
        rows.append((key, pk, final_score, value, amount or Decimal("0")))
    rows.sort(key=itemgetter(0))

    remaining = round_remaining_budget(funding_round=funding_round)
    ranking = Ranking(funding_round=funding_round, budget=funding_round.budget, remaining=remaining)
    running = Decimal("0")
    previous_above = True
    for rank, (_, pk, final_score, value, amount) in enumerate(rows, start=1):
        running += amount
        above = running <= remaining
        ranking.rows.append(
            RankingRow(
                rank=rank,
                bid_id=pk,
                final_score=final_score,
                value_for_money=value,
                amount_requested=amount,
                running_total=running,
                above_line=above,
                first_below=previous_above and not above,
            )
        )
        previous_above = above
    if with_bids:
        ranking_fetch_bids(ranking.rows)
    return ranking


@dataclass(frozen=True)
class RankingPlace:
    rank: int
    of: int
    above_line: bool


def ranking_place(*, bid: Bid) -> RankingPlace | None:
    """Where a scored bid stands among its round's bids still to decide, and whether it is above the funding line
    (None for a bid not in the ranking): what the award page says before an amount is confirmed."""
    ranking = round_ranking(funding_round=bid.funding_round, with_bids=False)
    row = next((row for row in ranking if row.bid_id == bid.pk), None)
    return RankingPlace(rank=row.rank, of=len(ranking), above_line=row.above_line) if row else None


@dataclass
class RankingPage:
    """One page of a round's ranking, worked out by the database: the ranks, running totals and funding line
    of the whole ranking, but only this page's rows read (with their bids). The same order as `round_ranking`
    (tests hold them equal)."""

    funding_round: FundingRound
    budget: Decimal
    remaining: Decimal
    page: Page
    rows: list[RankingRow]
    above_count: int
    above_total: Decimal


def round_ranking_page(*, funding_round: FundingRound, number, per_page: int) -> RankingPage:
    """A page of the ranking in a fixed number of queries, whatever the number of scored bids: the order and
    running total are window functions over the round's scored bids (ORDER BY final score, value for money,
    submission, number), the page is a LIMIT of them, and the funding line is where the running total passes
    the budget left (rows above it are a prefix, as amounts are never negative). Elsewhere than PostgreSQL
    (SQLite, the demo), the page is cut from the whole ranking worked out in Python."""
    if connection.vendor != "postgresql":
        ranking = round_ranking(funding_round=funding_round, with_bids=False)
        page = Paginator(ranking.rows, per_page).get_page(number)
        rows = ranking_fetch_bids(list(page.object_list))
        above = ranking.above
        return RankingPage(
            funding_round=funding_round,
            budget=ranking.budget,
            remaining=ranking.remaining,
            page=page,
            rows=rows,
            above_count=len(above),
            above_total=ranking.above_total,
        )
    value_criterion = _value_criterion(funding_round)
    score = DecimalField(max_digits=6, decimal_places=2)
    value = (
        Cast(KT(f"criterion_scores__{value_criterion}__score"), score)
        if value_criterion is not None
        else Value(None, output_field=score)
    )
    order = [F("final_score").desc(), F("value_for_money").desc(nulls_last=True), "submitted_at", "number"]
    ranked = (
        funding_round.bids.filter(state=BidState.SCORED, final_score__isnull=False)
        .annotate(value_for_money=value)
        .annotate(
            rank=Window(RowNumber(), order_by=order),
            running_total=Window(
                Sum(
                    Coalesce("amount_requested", Value(Decimal("0"))),
                    output_field=DecimalField(max_digits=14, decimal_places=2),
                ),
                order_by=order,
                frame=RowRange(start=None, end=0),
            ),
        )
        .order_by("rank")
        .values("pk", "rank", "final_score", "value_for_money", "amount_requested", "running_total")
    )
    remaining = round_remaining_budget(funding_round=funding_round)
    above = ranked.filter(running_total__lte=remaining).aggregate(n=Count("pk"), total=Max("running_total"))
    above_count = above["n"] or 0
    page = Paginator(ranked, per_page).get_page(number)
    rows = [
        RankingRow(
            rank=row["rank"],
            bid_id=row["pk"],
            final_score=row["final_score"],
            value_for_money=row["value_for_money"],
            amount_requested=row["amount_requested"] or Decimal("0"),
            running_total=row["running_total"],
            above_line=row["rank"] <= above_count,
            first_below=row["rank"] == above_count + 1,
        )
        for row in page.object_list
    ]
    ranking_fetch_bids(rows)
    return RankingPage(
        funding_round=funding_round,
        budget=funding_round.budget,
        remaining=remaining,
        page=page,
        rows=rows,
        above_count=above_count,
        above_total=above["total"] or Decimal("0"),
    )


def ranking_fetch_bids(rows: list[RankingRow]) -> list[RankingRow]:
    """Give each row its bid with its lead council (one query, without the long answers)."""
    bids = (
        Bid.objects.select_related("lead_council")
        .defer("problem", "user_needs", "approach", "outputs_and_reuse", "working_in_the_open", "section_versions")
        .in_bulk([row.bid_id for row in rows if row.bid is None])
    )
    for row in rows:
        if row.bid is None:
            row.bid = bids[row.bid_id]
    return rows


# --- The decision panel's pack ----------------------------------------------------------------------------


@dataclass
class PanelAssessment:
    """One assessor's submitted assessment, as the panel reads it (staff may see who assessed)."""

    assessor: str
    recommendation: str
    comments: str
    scores: list[ScoreRow]


@dataclass
class PanelBid:
    row: RankingRow
    bid: Bid
    partners: list[str]
    scoring: BidScoring
    assessments: list[PanelAssessment]


@dataclass
class PanelPack:
    funding_round: FundingRound
    ranking: Ranking
    bids: list[PanelBid]
    warnings: list[str]


def round_panel_pack(*, funding_round: FundingRound) -> PanelPack:
    """Everything the decision panel reads about the bids above the funding line, in rank order: the ranking
    figures, each bid's scores per criterion (each assessor's, the mean, any moderated score and its note), its
    final score, and every assessor's recommendation, comments and justifications. A fixed number of queries
    whatever the number of bids."""
    ranking = round_ranking(funding_round=funding_round)
    above = ranking.above
    submitted = (
        Assessment.objects.filter(state=AssessmentState.SUBMITTED)
        .select_related("assessor")
        .prefetch_related("criterion_scores")
        .order_by("submitted_at", "pk")
    )
    bids = Bid.objects.select_related("funding_round", "lead_council").prefetch_related(
        Prefetch(
            "partners",
            queryset=BidPartner.objects.filter(status=PartnerStatus.CONFIRMED).select_related("council"),
        ),
        Prefetch("assessments", queryset=submitted),
        Prefetch("moderated_scores", queryset=ModeratedScore.objects.select_related("by")),
        Prefetch("funding_round__criteria", queryset=Criterion.objects.order_by("position", "pk")),
    )
    by_pk = bids.in_bulk([row.bid.pk for row in above])
    pack = []
    for row in above:
        bid = by_pk[row.bid.pk]
        criteria = list(bid.funding_round.criteria.all())
        assessments = [
            PanelAssessment(
                assessor=assessment.assessor.full_name,
                recommendation=assessment.get_recommendation_display(),
                comments=assessment.comments,
                scores=_scores_in_order(criteria, assessment),
            )
            for assessment in bid.assessments.all()
        ]
        pack.append(
            PanelBid(
                row=row,
                bid=bid,
                partners=[str(partner.council) for partner in bid.partners.all()],
                scoring=bid_scoring(bid=bid),
                assessments=assessments,
            )
        )
    return PanelPack(
        funding_round=funding_round,
        ranking=ranking,
        bids=pack,
        warnings=round_decision_warnings(funding_round=funding_round),
    )


def _scores_in_order(criteria: list[Criterion], assessment: Assessment) -> list[ScoreRow]:
    by_criterion = {row.criterion_id: row for row in assessment.criterion_scores.all()}
    return [
        ScoreRow(
            criterion,
            by_criterion[criterion.pk].score if criterion.pk in by_criterion else None,
            by_criterion[criterion.pk].justification if criterion.pk in by_criterion else "",
        )
        for criterion in criteria
    ]


# --- Calibration ----------------------------------------------------------------------------------------

# An assessor whose scores sit on average a whole point or more from their peers' on the same bids.
CALIBRATION_FLAG = Decimal("1")
# One bid is not a pattern: flag only when compared on at least this many bids.
CALIBRATION_MIN_BIDS = 2


@dataclass
class CalibrationRow:
    assessor: User
    assessments: int
    mean_score: Decimal | None
    mean_difference: Decimal | None
    compared_bids: int

    @property
    def flag(self) -> str:
        if self.mean_difference is None or self.compared_bids < CALIBRATION_MIN_BIDS:
            return ""
        if self.mean_difference <= -CALIBRATION_FLAG:
            return "Harsher than other assessors"
        if self.mean_difference >= CALIBRATION_FLAG:
            return "More generous than other assessors"
        return ""


def round_calibration(*, funding_round: FundingRound) -> list[CalibrationRow]:
    """Per assessor: submitted assessments, mean criterion score, and the mean difference between their score
    and the mean of the other assessors' scores for the same bid and criterion."""
    rows = CriterionScore.objects.filter(
        assessment__bid__funding_round=funding_round,
        assessment__state=AssessmentState.SUBMITTED,
        score__isnull=False,
    ).values_list("assessment_id", "assessment__assessor_id", "assessment__bid_id", "criterion_id", "score")
    by_cell: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)  # (bid, criterion) → (assessor, score)
    own: dict[int, list[int]] = defaultdict(list)
    assessments: dict[int, set[int]] = defaultdict(set)
    for assessment_id, assessor_id, bid_id, criterion_id, score in rows:
        by_cell[(bid_id, criterion_id)].append((assessor_id, score))
        own[assessor_id].append(score)
        assessments[assessor_id].add(assessment_id)
    differences: dict[int, list[Decimal]] = defaultdict(list)
    compared: dict[int, set[int]] = defaultdict(set)
    for (bid_id, _criterion_id), cell in by_cell.items():
        for assessor_id, score in cell:
            others = [other_score for other_id, other_score in cell if other_id != assessor_id]
            if others:
                differences[assessor_id].append(Decimal(score) - Decimal(sum(others)) / len(others))
                compared[assessor_id].add(bid_id)
    people = User.objects.in_bulk(list(own))
    result = [
        CalibrationRow(
            assessor=people[assessor_id],
            assessments=len(assessments[assessor_id]),
            mean_score=two_places(Decimal(sum(scores)) / len(scores)),
            mean_difference=(
                two_places(sum(differences[assessor_id], Decimal("0")) / len(differences[assessor_id]))
                if differences[assessor_id]
                else None
            ),
            compared_bids=len(compared[assessor_id]),
        )
        for assessor_id, scores in own.items()
    ]
    return sorted(result, key=lambda row: (row.assessor.full_name, row.assessor.pk))
