"""Reads of rounds and bids. Selectors own permissions, select_related and prefetching."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Case, CharField, Count, F, Prefetch, Q, QuerySet, Sum, Value, When
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from bids.choices import NEXT_PHASE, BidState, ClarificationStatus, PartnerStatus, Phase, RoundState, SiftDecision
from bids.conditions import (
    LEAD_LIMIT_CHECK,
    REQUIRED_CONTENT,
    SIFT_CHECKS,
    decisions_not_begun,
    is_answered,
    lead_limit_problems,
    round_is_open,
    round_open_problems,
    round_takes_bid,
    submission_problems,
)
from bids.machines import BID_MACHINE
from bids.models import (
    BID_SECTIONS,
    Bid,
    BidDocument,
    BidPartner,
    BidTransition,
    Clarification,
    CostLine,
    FundingRound,
    RoundTransition,
)
from core.exceptions import Problem
from core.formatting import plural
from councils.choices import Role
from councils.models import Council, User
from councils.selectors import council_members, user_council_ids
from notifications.selectors import users_opted_in_to_round_openings

# A partner council sees the bid while it is invited (what it is asked to join) or has confirmed; a council that
# declined sees nothing of it (bids.rules says what each may do).
SEEING_PARTNER_STATUSES = (PartnerStatus.INVITED, PartnerStatus.CONFIRMED)


def _involved(council_ids: list[int]) -> Q:
    """Bids the councils lead, or are invited to or confirmed in as a partner (one join on partners)."""
    return Q(lead_council_id__in=council_ids) | Q(
        partners__council_id__in=council_ids, partners__status__in=SEEING_PARTNER_STATUSES
    )


def bid_visible_queryset(*, user: User) -> QuerySet[Bid]:
    """Every bid the user may see: staff all; council members their council's (lead, or a partner invited or
    confirmed, never declined); assessors those assigned to them once they declare no conflict."""
    bids = Bid.objects.all()
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return bids.none()
    if user.is_programme_staff:
        return bids
    council_ids = list(user_council_ids(user))
    visible = _involved(council_ids)
    if user.is_assessor:
        # Only once they have declared no conflict of interest (assessment in_progress or submitted); a
        # conflicted assessor never sees the bid. Literal states: bids import no assessment code.
        visible |= Q(assessments__assessor_id=user.pk, assessments__state__in=("in_progress", "submitted"))
    return bids.filter(pk__in=Bid.objects.filter(visible).values("pk"))


def bid_get_for_user(*, user: User, reference: str) -> Bid:
    """The bid with this reference if the user may see it; otherwise 404 (never 403: no leak of existence)."""
    bid = (
        bid_visible_queryset(user=user)
        .select_related("funding_round", "lead_council", "created_by")
        .prefetch_related("partners__council", "cost_lines__payer_council", "documents", "funding_round__phases")
        .filter(reference=reference)
        .first()
    )
    if bid is None or not user.has_perm("bids.view_bid", bid):
        raise Http404("No bid found")
    return bid


def bid_document_get_for_user(*, user: User, reference: str, document_id: int) -> BidDocument:
    """A supporting document of a bid the user may read in full: 404 for anyone else, including a council only
    invited to the bid (it sees what it is asked to join, not the documents) and one that declined."""
    bid = bid_get_for_user(user=user, reference=reference)
    document = next((d for d in bid.documents.all() if d.pk == document_id), None)
    if document is None or not user.has_perm("bids.view_bid_documents", bid):
        raise Http404("No such document")
    return document


def bid_history(*, bid: Bid) -> list[BidTransition]:
    return list(bid.history.select_related("by").order_by("at", "pk"))


def round_list_open() -> QuerySet[FundingRound]:
    """Rounds taking bids now: the same rule as `FundingRound.is_open`, as a query."""
    now = timezone.now()
    return FundingRound.objects.filter(state=RoundState.OPEN, opens_at__lte=now, closes_at__gt=now).order_by(
        "closes_at"
    )


# --- Drafting -------------------------------------------------------------------------------------------

# Fields filled in for the user when a bid starts: they do not make a section "started".
PREFILLED_FIELDS = {"lead_contact_name", "lead_contact_email"}


@dataclass
class Task:
    slug: str
    title: str
    status: str
    hint: str = ""
    problems: list[Problem] = dataclass_field(default_factory=list)

    @property
    def reasons(self) -> list[Problem]:
        """Why a task is "In progress": the section's unmet rules, each once (none for the other statuses)."""
        return self.problems if self.status == "in_progress" else []


def bid_get_for_drafting(*, user: User, reference: str) -> Bid:
    """The bid with everything its drafting pages show, in a fixed number of queries; 404 if not visible."""
    bid = (
        bid_visible_queryset(user=user)
        .select_related("funding_round", "lead_council", "created_by")
        .prefetch_related(
            Prefetch("partners", queryset=BidPartner.objects.select_related("council", "invited_by", "responded_by")),
            Prefetch("cost_lines", queryset=CostLine.objects.select_related("payer_council")),
            Prefetch("documents", queryset=BidDocument.objects.select_related("uploaded_by")),
            "funding_round__phases",
        )
        .filter(reference=reference)
        .first()
    )
    if bid is None or not user.has_perm("bids.view_bid", bid):
        raise Http404("No bid found")
    return bid


@dataclass
class Invitation:
    """What a council invited to be a partner is joining: the bid, each of the user's councils invited to it
    (a person may belong to two of them), and the cost lines those councils would spend."""

    bid: Bid
    partners: list[BidPartner]
    cost_lines: list[CostLine]
    other_partners: list[BidPartner]

    @property
    def councils_total(self) -> Decimal:
        return sum((line.amount for line in self.cost_lines), Decimal("0"))


def bid_invitation_for_user(*, user: User, reference: str) -> Invitation:
    """The bid with this reference and the user's councils' pending invitations to it (none once they have all
    answered); 404 unless one of the user's councils was invited. Reads nothing of the bid's documents."""
    council_ids = user_council_ids(user)
    # A council that declined has no access at all: to it, the invitation is gone like the bid.
    invited_to = (
        BidPartner.objects.filter(council_id__in=council_ids).exclude(status=PartnerStatus.DECLINED).values("bid_id")
    )
    bid = (
        Bid.objects.filter(reference=reference, pk__in=invited_to)
        .annotate(document_count=Count("documents"))
        .select_related("funding_round", "lead_council")
        .prefetch_related(
            Prefetch("partners", queryset=BidPartner.objects.select_related("council", "responded_by")),
            Prefetch("cost_lines", queryset=CostLine.objects.select_related("payer_council")),
            "funding_round__phases",
        )
        .first()
    )
    if bid is None:
        raise Http404("No invitation found")
    partners = list(bid.partners.all())
    mine = [p for p in partners if p.council_id in council_ids and p.status == PartnerStatus.INVITED]
    invited = {partner.council_id for partner in mine}
    return Invitation(
        bid=bid,
        partners=mine,
        cost_lines=[line for line in bid.cost_lines.all() if line.payer_council_id in invited],
        other_partners=[p for p in partners if p.council_id not in invited and p.status != PartnerStatus.DECLINED],
    )


def bid_task_list(*, bid: Bid, problems: list[Problem]) -> list[Task]:
    """The task list's sections with their statuses, from the bid's answers and its unmet submission rules.

    A section is completed when it has answers and no unmet rule; in progress when it was saved or has
    answers but rules are unmet; otherwise not started. Uses the bid's prefetched rows only.
    """
    by_section: dict[str, list[Problem]] = {}
    for problem in problems:
        by_section.setdefault(problem.section, []).append(problem)
    partners = list(bid.partners.all())
    cost_lines = list(bid.cost_lines.all())
    documents = list(bid.documents.all())
    tasks = []
    for slug, (title, fields) in BID_SECTIONS.items():
        section_problems = by_section.get(slug, [])
        hint = ""
        if slug == "partners":
            started = bool(partners)
        elif slug == "costs":
            started = bool(cost_lines) or bid.amount_requested is not None
        elif slug == "documents":
            started = bool(documents)
            hint = f"{plural(len(documents), 'document')} uploaded" if documents else "Optional"
        else:
            # Started by an answer of the user's own; the pre-filled contact counts once the section is saved.
            # A section saved with nothing in it (or emptied again) is not started.
            answered = {name for name in fields if is_answered(getattr(bid, name))}
            started = bool(answered - PREFILLED_FIELDS) or (bool(answered) and slug in bid.section_versions)
        if not started:
            status = "not_started"
        elif section_problems:
            status = "in_progress"
        else:
            status = "completed"
        # Each unmet rule once: an "In progress" status always says what is left to do.
        unique = list({problem.message: problem for problem in section_problems}.values())
        tasks.append(Task(slug=slug, title=title, status=status, hint=hint, problems=unique))
    return tasks


# --- What councils see ----------------------------------------------------------------------------------
# Councils never learn that assessment has finished, nor any score or moderation, before the fund decides, nor
# any decision before the round's decisions are published. This one view of a bid — its state as councils see
# it, the fields they may see, its history in their words — serves the council pages and the API for everyone
# who is not programme staff (assessors included).

# What assessment stores on a bid for staff's lists: never shown to councils, nor filterable or sortable by them.
COUNCIL_HIDDEN_FIELDS = frozenset({"final_score", "needs_moderation", "criterion_scores"})

# The bid states as councils know them: a scored bid is still "in review" to them until the decision.
COUNCIL_STATE_CHOICES = [(value, label) for value, label in BidState.choices if value != BidState.SCORED]


# Decisions recorded while a round is deciding: told to councils only once the round publishes them.
PUBLISHED_WITH_THE_ROUND = (BidState.AWARDED, BidState.NOT_FUNDED)


def decision_is_public(state: str, round_state: str) -> bool:
    """Whether councils (and the public) may know the bid's funding decision."""
    return state not in PUBLISHED_WITH_THE_ROUND or round_state == RoundState.PUBLISHED


def council_state(state: str, round_state: str) -> str:
    """The state a council is told the bid is in: a scored bid is in review, and so is a decided one until its
    round's decisions are published."""
    if state == BidState.SCORED or not decision_is_public(state, round_state):
        return BidState.IN_REVIEW
    return state


def no_longer_a_draft(bid: Bid) -> str:
    """Why a bid can no longer be changed, in words its council may be told: withdrawn, or sent."""
    return "This bid has been withdrawn" if bid.state == BidState.WITHDRAWN else "This bid has been submitted"


def withdraw_refusal_for_council(*, bid: Bid, user: User) -> str:
    """Why the lead council cannot withdraw the bid now ("" if it can), in the words a council may be told: the
    bid's state as councils see it, or (while they see it in review) the rule that decisions have begun, which is the
    same for every bid of the round, never the bid's score or unpublished decision."""
    if not BID_MACHINE.refusals(bid, "withdraw", user):
        return ""
    shown = council_state(bid.state, bid.funding_round.state)
    if shown == BidState.IN_REVIEW:
        reason = decisions_not_begun.refusal
        return f"{reason[0].upper()}{reason[1:]}, so this bid can no longer be withdrawn"
    return f"This bid is {BidState(shown).label.lower()}, so it cannot be withdrawn"


def council_state_expression() -> Case:
    """`council_state` as a database expression over bids (for councils' filters and sorts): the same rule."""
    return Case(
        When(state=BidState.SCORED, then=Value(BidState.IN_REVIEW)),
        When(
            Q(state__in=PUBLISHED_WITH_THE_ROUND) & ~Q(funding_round__state=RoundState.PUBLISHED),
            then=Value(BidState.IN_REVIEW),
        ),
        default=F("state"),
        output_field=CharField(),
    )


def published_awards() -> QuerySet[Bid]:
    """The one rule of which awards are public: awarded bids whose round has published its decisions. The
    funded-projects page and its open data (`pipeline`), and the similar work councils are shown
    (`collaboration`), all start from it."""
    return Bid.objects.filter(state=BidState.AWARDED, funding_round__state=RoundState.PUBLISHED)


@dataclass(frozen=True)
class TimelineEvent:
    at: datetime
    title: str
    by: str
    note: str


TIMELINE_TITLES = {
    "submit": "Submitted",
    "withdraw": "Withdrawn",
    "return_for_changes": "Returned for changes",
    "mark_ineligible": "Found ineligible",
    "award": "Awarded",
    "decline": "Not funded",
}


def bid_council_timeline(
    *,
    bid: Bid,
    history: Iterable[BidTransition] | None = None,
    clarifications: Iterable[Clarification] | None = None,
) -> list[TimelineEvent]:
    """The bid's history as councils see it: their own actions, questions asked and answered, and the fund's
    decisions once published; never assessment, and staff or assessors never named ("the programme team").
    `history` and `clarifications` are the bid's rows when already fetched."""
    public = decision_is_public(bid.state, bid.funding_round.state)
    events = [TimelineEvent(at=bid.created_at, title="Started", by=_actor(bid.created_by), note="")]
    # Only the decision that stands: one the programme team took back while deciding (`reconsider`), with its
    # feedback or conditions, was never the fund's decision and stays in the staff history.
    decision: TimelineEvent | None = None
    for row in bid_history(bid=bid) if history is None else history:
        if row.transition == "reconsider":
            decision = None
            continue
        title = TIMELINE_TITLES.get(row.transition)
        if title is None or (row.target_state in PUBLISHED_WITH_THE_ROUND and not public):
            # Scoring, the sift and any other internal step stay with the fund; decisions until published.
            continue
        event = TimelineEvent(at=row.at, title=title, by=_actor(row.by), note=row.note)
        if row.target_state in PUBLISHED_WITH_THE_ROUND:
            decision = event
        else:
            events.append(event)
    if decision is not None:
        events.append(decision)
    for clarification in bid.clarifications.all() if clarifications is None else clarifications:
        if clarification.asked_at is None:
            continue  # a proposal staff have not sent
        events.append(
            TimelineEvent(
                at=clarification.asked_at,
                title="Question from the programme team",
                by=_actor(None),
                note=clarification.question,
            )
        )
        if clarification.answered_at is not None:
            events.append(
                TimelineEvent(
                    at=clarification.answered_at,
                    title="Question answered",
                    by=_actor(clarification.answered_by),
                    note=clarification.answer,
                )
            )
    return sorted(events, key=lambda event: event.at)


def _actor(user: User | None) -> str:
    if user is None:
        return "the programme team"
    if user.role == Role.COUNCIL_MEMBER:
        return user.full_name
    return "the programme team"


@dataclass(frozen=True)
class CouncilPartner:
    council: Council
    status: str
    status_label: str


@dataclass(frozen=True)
class CouncilBidView:
    """A bid as councils see it, on their pages and through the API alike: only what they may know."""

    reference: str
    title: str
    funding_round: FundingRound
    lead_council: Council
    state: str
    state_label: str
    phase: str
    amount_requested: Decimal | None
    award_amount: Decimal | None
    submitted_at: datetime | None
    decided_at: datetime | None
    summary: str
    problem: str
    user_needs: str
    approach: str
    outputs_and_reuse: str
    working_in_the_open: str
    planned_start: date | None
    duration_months: int | None
    status_note: str
    award_conditions: str
    partners: list[CouncilPartner]
    timeline: list[TimelineEvent]


# The bid's own fields the view copies as they are (the rest are worked out in `bid_council_view`).
COUNCIL_BID_FIELDS = tuple(
    name
    for name in CouncilBidView.__dataclass_fields__
    if name not in {"funding_round", "lead_council", "state", "state_label", "partners", "timeline"}
)


# What a decision recorded and not yet published would give away.
UNPUBLISHED_DECISION_FIELDS = {"award_amount": None, "decided_at": None, "status_note": "", "award_conditions": ""}


def bid_council_view(
    *,
    bid: Bid,
    history: Iterable[BidTransition] | None = None,
    clarifications: Iterable[Clarification] | None = None,
) -> CouncilBidView:
    """The council-facing view of a bid the caller has already been allowed to see (uses its prefetched
    partners; `history` and `clarifications` as for `bid_council_timeline`). Until the round publishes its
    decisions, a decided bid is in review, with no amount, conditions or feedback."""
    state = council_state(bid.state, bid.funding_round.state)
    hidden = {} if decision_is_public(bid.state, bid.funding_round.state) else UNPUBLISHED_DECISION_FIELDS
    return CouncilBidView(
        **{name: hidden.get(name, getattr(bid, name)) for name in COUNCIL_BID_FIELDS},
        funding_round=bid.funding_round,
        lead_council=bid.lead_council,
        state=state,
        state_label=BidState(state).label,
        partners=[
            CouncilPartner(partner.council, partner.status, partner.get_status_display())
            for partner in bid.partners.all()
        ],
        timeline=bid_council_timeline(bid=bid, history=history, clarifications=clarifications),
    )


@dataclass(frozen=True)
class DraftDeadline:
    """When a draft's round stops taking it, as its lead council sees it: a countdown only while the round is
    open, and once it has closed, when (early, or at its closing time) and whether the bid may still be sent."""

    label: str  # "Round closes" or "Round closed"
    at: datetime  # the closing time, or when the round actually closed
    note: str  # "9 days left", "closes today", or what the closing means for this bid
    can_submit: bool


def draft_deadline(*, bid: Bid, at: datetime | None = None) -> DraftDeadline:
    at = at or timezone.now()
    funding_round = bid.funding_round
    if round_is_open(bid, at):
        days = (funding_round.closes_at - at).days
        note = "closes today" if days == 0 else f"{plural(days, 'day')} left"
        return DraftDeadline("Round closes", funding_round.closes_at, note, can_submit=True)
    closed_at = funding_round.closed_at or funding_round.closes_at
    if round_takes_bid(bid, at):  # returned for changes, and the round has not yet moved to decisions
        note = "as this bid was returned for changes, you can still send it again"
        return DraftDeadline("Round closed", closed_at, note, can_submit=True)
    [problem] = round_open_problems(bid, at)
    if at < funding_round.opens_at or funding_round.state == RoundState.UPCOMING:
        return DraftDeadline("Round opens", funding_round.opens_at, problem.message, can_submit=False)
    return DraftDeadline("Round closed", closed_at, "this bid can no longer be submitted", can_submit=False)


@dataclass
class BidRow:
    """One row of a council member's "Your bids" page, with display values worked out here, not per row."""

    bid: Bid
    is_lead: bool
    role: str
    state: str
    next_step: str
    next_step_url_name: str = ""
    deadline: DraftDeadline | None = None
    invitation_pending: bool = False


def bid_list_for_member(*, user: User, at: datetime | None = None) -> list[BidRow]:
    """Every bid where one of the user's councils is lead or partner, newest change first (4 queries)."""
    at = at or timezone.now()
    council_ids = list(user_council_ids(user))
    if not council_ids:
        return []
    involved = Bid.objects.filter(_involved(council_ids))
    bids = (
        Bid.objects.filter(pk__in=involved.values("pk"))
        .select_related("funding_round", "lead_council")
        .annotate(
            invited_count=Count("partners", filter=Q(partners__status=PartnerStatus.INVITED), distinct=True),
            confirmed_count=Count("partners", filter=Q(partners__status=PartnerStatus.CONFIRMED), distinct=True),
            cost_line_count=Count("cost_lines", distinct=True),
            unanswered_count=Count(
                "clarifications", filter=Q(clarifications__status=ClarificationStatus.ASKED), distinct=True
            ),
        )
        .prefetch_related(
            Prefetch(
                "partners",
                queryset=BidPartner.objects.filter(council_id__in=council_ids),
                to_attr="my_partnerships",
            )
        )
        .order_by("-updated_at", "-pk")
    )
    rows = []
    for bid in bids:
        is_lead = bid.lead_council_id in council_ids
        mine = bid.my_partnerships[0] if bid.my_partnerships else None
        row = BidRow(
            bid=bid,
            is_lead=is_lead,
            role="Lead" if is_lead else f"Partner ({mine.get_status_display().lower()})" if mine else "Partner",
            state=council_state(bid.state, bid.funding_round.state),
            next_step="",
        )
        if bid.state == BidState.DRAFT:
            row.deadline = draft_deadline(bid=bid, at=at)
        _fill_next_step(row, mine, at)
        rows.append(row)
    return rows


def _fill_next_step(row: BidRow, mine: BidPartner | None, at: datetime) -> None:
    bid = row.bid
    if bid.state != BidState.DRAFT:
        if bid.unanswered_count and row.is_lead:
            row.next_step, row.next_step_url_name = "Answer the programme team’s question", "bids:detail"
            return
        row.next_step = {
            BidState.IN_REVIEW: "None: the fund is assessing the bid",
            BidState.SCORED: "None: the fund is assessing the bid",
            BidState.AWARDED: "None: the bid was awarded funding",
            BidState.NOT_FUNDED: "Read the feedback",
            BidState.INELIGIBLE: "Read the reason",
            BidState.WITHDRAWN: "None: the bid was withdrawn",
        }[row.state]
        if row.state in (BidState.NOT_FUNDED, BidState.INELIGIBLE):
            row.next_step_url_name = "bids:detail"  # where the feedback or the reason is
        return
    if not row.is_lead:
        if mine is not None and mine.status == PartnerStatus.INVITED:
            row.next_step, row.next_step_url_name = "Confirm or decline the invitation", "bids:invitation"
            row.invitation_pending = True
        else:
            row.next_step = f"None: {bid.lead_council} will submit it"
        return
    row.next_step_url_name = "bids:detail"
    funding_round = bid.funding_round
    missing_answers = any(not is_answered(getattr(bid, name)) for name, _section, _message in REQUIRED_CONTENT)
    if not round_takes_bid(bid, at):
        row.next_step, row.next_step_url_name = "None: the round is closed", ""
    elif bid.status_note:
        row.next_step = "Make the changes asked for and submit again"
    elif bid.invited_count:
        row.next_step = f"{plural(bid.invited_count, 'partner')} to confirm"
    elif bid.confirmed_count < funding_round.min_partner_councils:
        row.next_step = f"Invite {plural(funding_round.min_partner_councils - bid.confirmed_count, 'more partner')}"
    elif missing_answers or not bid.cost_line_count:
        row.next_step = "Complete the task list"
    else:
        row.next_step, row.next_step_url_name = "Check your answers and submit", "bids:check"


# --- Rules that need more than the bid, and who hears about it ------------------------------------------


def bids_led_elsewhere(*, bid: Bid) -> int:
    """How many other bids the lead council has submitted as lead in the bid's round (withdrawn ones don't
    count)."""
    return (
        Bid.objects.filter(funding_round_id=bid.funding_round_id, lead_council_id=bid.lead_council_id)
        .exclude(pk=bid.pk)
        .exclude(state__in=[BidState.DRAFT, BidState.WITHDRAWN])
        .count()
    )


def bid_submission_problems(*, bid: Bid, at: datetime | None = None) -> list[Problem]:
    """Every unmet submission rule: the bid's own (`bids.conditions`) and the lead limit across the round."""
    return submission_problems(bid, at) + lead_limit_problems(bid, led_elsewhere=bids_led_elsewhere(bid=bid))


def round_remaining_budget(*, funding_round: FundingRound) -> Decimal:
    """The round's budget less everything awarded in it (published or not: an award recorded is spent)."""
    awarded = funding_round.bids.filter(state=BidState.AWARDED).aggregate(total=Sum("award_amount"))["total"]
    return funding_round.budget - (awarded or Decimal("0"))


def bid_lead_members(*, bid: Bid) -> list[User]:
    return council_members(council_ids=[bid.lead_council_id])


def bid_declared_assessors(*, bid: Bid) -> list[tuple[User, int]]:
    """(assessor, assessment id) of each assessor of the bid who has declared no conflict (literal states:
    bids import no assessment code)."""
    assessments = bid.assessments.filter(state__in=("in_progress", "submitted"), assessor__is_active=True)
    return [(assessment.assessor, assessment.pk) for assessment in assessments.select_related("assessor")]


def bid_partner_members(*, bid: Bid, statuses: Iterable[str] = (PartnerStatus.CONFIRMED,)) -> list[User]:
    council_ids = bid.partners.filter(status__in=list(statuses)).values_list("council_id", flat=True)
    return council_members(council_ids=council_ids)


def bid_snapshot(*, bid: Bid) -> dict:
    """What a message about the bid needs, as true when the event happened."""
    return {
        "reference": bid.reference,
        "title": bid.title or "Untitled bid",
        "lead_council": bid.lead_council.name,
        "round": bid.funding_round.name,
        "state": bid.get_state_display(),
        "amount_requested": str(bid.amount_requested) if bid.amount_requested is not None else "",
        "bid_path": reverse("bids:detail", kwargs={"reference": bid.reference}),
    }


# --- Project lineage: discovery → alpha → beta ----------------------------------------------------------


@dataclass(frozen=True)
class LineageStep:
    """One phase of a project as the viewer may see it."""

    reference: str
    title: str
    phase: str
    phase_label: str
    round_code: str
    round_name: str
    state: str
    state_label: str
    amount_requested: Decimal | None
    award_amount: Decimal | None
    is_current: bool


PHASE_ORDER = {phase: position for position, phase in enumerate(Phase.values)}
# Phases follow one another, so a project's line is short; this bounds the walk even if data were odd.
MAX_LINEAGE_STEPS = 6


def lineage_links(*, bid_ids: Iterable[int] = (), known: dict[int, int | None] | None = None) -> dict[int, int | None]:
    """`{bid id: the id it continues}` for every bid in the same projects as `bid_ids` (earlier and later
    phases), in a few queries whatever the number of bids (one per level walked up or down). `known` gives links
    the caller already has (bids it fetched), which are not looked up again."""
    links: dict[int, int | None] = dict(known or {})
    wanted = [pk for pk in bid_ids if pk not in links]
    if wanted:
        links.update(Bid.objects.filter(pk__in=wanted).order_by().values_list("pk", "continues_id"))
    up = {parent for parent in links.values() if parent is not None} - set(links)
    down = set(links)
    for _level in range(MAX_LINEAGE_STEPS):
        if not up and not down:
            break
        found = dict(
            Bid.objects.filter(Q(pk__in=up) | Q(continues_id__in=down))
            .exclude(pk__in=list(links))
            .order_by()
            .values_list("pk", "continues_id")
        )
        links.update(found)
        up = {parent for parent in found.values() if parent is not None} - set(links)
        down = set(found)
    return links


def lineage_families(*, bid_ids: Iterable[int]) -> dict[int, set[int]]:
    """Each bid's whole project (itself, its earlier and later phases), for these bids and their relatives."""
    return _families(lineage_links(bid_ids=bid_ids))


def _families(links: dict[int, int | None]) -> dict[int, set[int]]:
    """Each bid's whole project: everyone sharing its earliest phase."""

    def root(pk: int) -> int:
        for _step in range(MAX_LINEAGE_STEPS):
            parent = links.get(pk)
            if parent is None or parent not in links:
                return pk
            pk = parent
        return pk

    by_root: dict[int, set[int]] = {}
    for pk in links:
        by_root.setdefault(root(pk), set()).add(pk)
    return {pk: family for family in by_root.values() for pk in family}


def lineage_for_bids(*, bids: Iterable[Bid], user: User | None) -> dict[int, list[LineageStep]]:
    """The line of each bid's project (oldest phase first) as `user` may see it — only phases that are publicly
    funded or that the user may see, the bid itself always; `user=None` is the public. A bid with no other
    phase gets no line. A fixed number of queries for any number of bids (used by list pages)."""
    bids = list(bids)
    families = _families(lineage_links(known={bid.pk: bid.continues_id for bid in bids}))
    related = {pk for bid in bids for pk in families.get(bid.pk, ()) if pk != bid.pk}
    if not related:
        return {}
    seen = set(published_awards().filter(pk__in=related).values_list("pk", flat=True))
    staff = bool(user is not None and getattr(user, "is_programme_staff", False))
    if user is not None:
        seen |= set(bid_visible_queryset(user=user).filter(pk__in=related).values_list("pk", flat=True))
    rows = {
        row.pk: row
        for row in Bid.objects.filter(pk__in=seen | {bid.pk for bid in bids})
        .select_related("funding_round")
        .only(
            "reference",
            "title",
            "phase",
            "state",
            "amount_requested",
            "award_amount",
            "number",
            "funding_round__code",
            "funding_round__name",
            "funding_round__opens_at",
            "funding_round__state",
        )
    }
    lines = {}
    for bid in bids:
        members = [rows[pk] for pk in families.get(bid.pk, ()) if pk in rows and (pk in seen or pk == bid.pk)]
        if len(members) < 2:
            continue
        members.sort(key=lambda b: (PHASE_ORDER.get(b.phase, 9), b.funding_round.opens_at, b.number))
        lines[bid.pk] = [_step(member, current=member.pk == bid.pk, staff=staff) for member in members]
    return lines


def _step(bid: Bid, *, current: bool, staff: bool) -> LineageStep:
    state = bid.state if staff else council_state(bid.state, bid.funding_round.state)
    return LineageStep(
        reference=bid.reference,
        title=bid.title or "Untitled bid",
        phase=bid.phase,
        phase_label=bid.get_phase_display() if bid.phase else "Phase not chosen",
        round_code=bid.funding_round.code,
        round_name=bid.funding_round.name,
        state=state,
        state_label=BidState(state).label,
        amount_requested=bid.amount_requested,
        award_amount=bid.award_amount if state == BidState.AWARDED else None,
        is_current=current,
    )


def bid_lineage(*, bid: Bid, user: User | None) -> list[LineageStep]:
    """One bid's project line as the user may see it (empty when the bid has no other phase)."""
    return lineage_for_bids(bids=[bid], user=user).get(bid.pk, [])


def next_phase_rounds(*, bid: Bid) -> list[FundingRound]:
    """Open rounds that fund the phase after this bid's, for "Start the next phase"."""
    following = NEXT_PHASE.get(bid.phase)
    if following is None:
        return []
    return list(round_list_open().filter(phases__phase=following).distinct())


def round_awarded_total(*, funding_round: FundingRound) -> Decimal:
    awarded = funding_round.bids.filter(state=BidState.AWARDED).aggregate(total=Sum("award_amount"))["total"]
    return awarded or Decimal("0")


def round_history(*, funding_round: FundingRound) -> list[RoundTransition]:
    return list(funding_round.history.select_related("by").order_by("at", "pk"))


def round_opening_recipients() -> list[User]:
    """Who hears that a round has opened: active members of councils that have signed the Local Digital
    Declaration (only they may bid) who asked to be told, on their Notifications page."""
    return list(
        User.objects.filter(
            pk__in=users_opted_in_to_round_openings(),
            is_active=True,
            memberships__council__declaration_signed_on__isnull=False,
        ).distinct()
    )


def round_draft_leads(*, funding_round: FundingRound) -> list[tuple[Bid, list[User]]]:
    """The round's bids still in draft, each with the members of its lead council."""
    drafts = list(
        funding_round.bids.filter(state=BidState.DRAFT)
        .select_related("funding_round", "lead_council")
        .order_by("number")
    )
    members: dict[int, list[User]] = {}
    for user in User.objects.filter(
        is_active=True, memberships__council_id__in={bid.lead_council_id for bid in drafts}
    ).prefetch_related("memberships"):
        for membership in user.memberships.all():
            members.setdefault(membership.council_id, []).append(user)
    return [(bid, members.get(bid.lead_council_id, [])) for bid in drafts]


# --- Editing a round: what may change, and why not -------------------------------------------------------

# Every setting a round has, as the set-up pages and `round_update` name them.
ROUND_SETTINGS = (
    "name",
    "code",
    "opens_at",
    "closes_at",
    "assessment_deadline",
    "budget",
    "min_partner_councils",
    "max_bids_led_per_council",
    "assessors_per_bid",
    "divergence_threshold",
    "phases",
    "criteria",
)


def round_assessment_started(*, funding_round: FundingRound) -> bool:
    """An assessor has begun (declared no conflict) or submitted an assessment of a bid in the round. Literal
    states: bids import no assessment code."""
    return Bid.objects.filter(funding_round=funding_round, assessments__state__in=("in_progress", "submitted")).exists()


def cost_line_now(*, line: CostLine) -> dict[str, object]:
    """A cost line as saved: what its page showed, fingerprinted (`core.editing`)."""
    return {
        "payer": line.payer,
        "payer_council_id": line.payer_council_id,
        "description": line.description,
        "amount": line.amount,
    }


def round_settings_now(*, funding_round: FundingRound) -> dict[str, object]:
    """Every setting of the round as saved, by the names `ROUND_SETTINGS` gives them (phases as {phase: cap},
    criteria as rows): what the set-up page showed, fingerprinted (`core.editing`), and what a conflict shows."""
    values: dict[str, object] = {
        name: getattr(funding_round, name) for name in ROUND_SETTINGS if name not in ("phases", "criteria")
    }
    values["phases"] = {row.phase: row.cap for row in funding_round.phases.order_by("phase")}
    values["criteria"] = [(c.code, c.name, c.weight, c.guidance) for c in funding_round.criteria.order_by("pk")]
    return values


def round_locked_settings(*, funding_round: FundingRound) -> dict[str, str]:
    """Setting → why it can no longer change (settings not named here may change, within the rules
    `round_update` explains: a closing time in the future, a budget no lower than what is awarded)."""
    state = funding_round.state
    if state == RoundState.PUBLISHED:
        reason = "The round’s decisions are published, so its settings are final"
        return dict.fromkeys(ROUND_SETTINGS, reason)
    locked: dict[str, str] = {}
    if state != RoundState.UPCOMING:
        opened = "The round has opened"
        locked["code"] = f"{opened}: the code is in its bids’ references"
        locked["opens_at"] = f"{opened}, so its opening time is fixed"
        for name in ("min_partner_councils", "max_bids_led_per_council"):
            locked[name] = f"{opened}: councils are writing bids to these rules"
    if state not in (RoundState.UPCOMING, RoundState.OPEN):
        locked["closes_at"] = "The round has closed, so its closing time is fixed"
        locked["phases"] = "The round has closed: its bids were written for these phases and caps"
    if state == RoundState.DECIDING:
        locked["assessment_deadline"] = "Assessment has finished: the round is deciding"
    if state in (RoundState.ASSESSING, RoundState.DECIDING) or round_assessment_started(funding_round=funding_round):
        started = "Assessment has started, so the criteria and how they are scored are fixed"
        for name in ("criteria", "assessors_per_bid", "divergence_threshold"):
            locked[name] = started
    return locked


# --- The eligibility sift ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SiftCheck:
    key: str
    label: str
    problems: list[Problem]

    @property
    def met(self) -> bool:
        return not self.problems


def bid_sift_checklist(*, bid: Bid, at: datetime | None = None, led_elsewhere: int | None = None) -> list[SiftCheck]:
    """The eligibility checklist of a submitted bid, worked out by the submission rules themselves (each check
    is one or more of `bids.conditions`' rules), so the sift and submission can never disagree. Uses the bid's
    prefetched partners and cost lines; `led_elsewhere` is `bids_led_elsewhere` when the caller counted it."""
    at = at or timezone.now()
    checks = [
        SiftCheck(key, label, [problem for rule in rules for problem in rule(bid, at)])
        for key, label, rules in SIFT_CHECKS
    ]
    if led_elsewhere is None:
        led_elsewhere = bids_led_elsewhere(bid=bid)
    key, label = LEAD_LIMIT_CHECK
    checks.insert(2, SiftCheck(key, label, lead_limit_problems(bid, led_elsewhere=led_elsewhere)))
    return checks


def bid_is_sifted_eligible(*, bid: Bid) -> bool:
    return Bid.objects.filter(pk=bid.pk, sift__decision=SiftDecision.ELIGIBLE).exists()


# --- Clarification questions ------------------------------------------------------------------------------


def bid_clarifications(*, bid: Bid, include_proposals: bool = False) -> list[Clarification]:
    """The bid's questions and answers, oldest first (proposals staff have not sent only when asked for)."""
    clarifications = bid.clarifications.select_related("asked_by", "answered_by", "proposed_by").order_by("pk")
    if not include_proposals:
        clarifications = clarifications.exclude(
            status__in=[ClarificationStatus.PROPOSED, ClarificationStatus.DISCARDED]
        )
    return list(clarifications)


def clarification_get_for_user(*, user: User, reference: str, pk: int) -> Clarification:
    """A question asked about a bid the user may see the questions of; 404 otherwise (and for a proposal staff
    have not sent)."""
    bid = bid_get_for_user(user=user, reference=reference)
    clarification = (
        Clarification.objects.filter(bid=bid, pk=pk)
        .exclude(status__in=[ClarificationStatus.PROPOSED, ClarificationStatus.DISCARDED])
        .select_related("asked_by", "answered_by")
        .first()
    )
    if clarification is None or not user.has_perm("bids.view_clarifications", bid):
        raise Http404("No question found")
    clarification.bid = bid
    return clarification
