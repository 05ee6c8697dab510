"""Conditions of the bid state machine: small pure functions whose names read as reasons.

The submission rules are one function each, returning the problems it finds (each in words a council officer
understands, with the task-list section where it is fixed). They read only the bid and what was fetched with
it; the one rule that needs other bids (the lead limit) takes their count as an argument, which
`bids.selectors.bid_submission_problems` looks up. The `submit` transition's condition is that the bid's own
rules find nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils import timezone

from bids.choices import NEXT_PHASE, BidState, PartnerStatus, Payer, RoundState
from core.exceptions import Problem
from core.formatting import govuk_date, govuk_datetime, govuk_deadline, money, plural, word_count
from core.transitions import refusal

if TYPE_CHECKING:
    from bids.models import Bid, BidPartner, CostLine, FundingRound

# How many bid references a refusal names before "and N more".
NAMED_REFERENCES = 5

SUMMARY_WORD_LIMIT = 250

# (field, section, message when missing)
REQUIRED_CONTENT = [
    ("title", "about", "Enter a project title"),
    ("summary", "about", "Enter a summary of the project"),
    ("phase", "about", "Select the phase you are bidding for"),
    ("problem", "problem", "Describe the problem you will solve"),
    ("user_needs", "problem", "Describe the user needs and your evidence for them"),
    ("approach", "approach", "Describe your approach"),
    ("outputs_and_reuse", "approach", "Describe the outputs and how other councils can reuse them"),
    ("amount_requested", "costs", "Enter the amount you are requesting"),
    ("planned_start", "timeline", "Enter the planned start date"),
    ("duration_months", "timeline", "Enter how many months the project will take"),
    ("lead_contact_name", "timeline", "Enter the name of the lead contact"),
    ("lead_contact_email", "timeline", "Enter the email address of the lead contact"),
]


def is_answered(value: object) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def round_is_open(bid: Bid, at: datetime | None = None) -> bool:
    return bid.funding_round.is_open(at or timezone.now())


# While a bid returned for changes may be submitted again after its round has closed: until the round decides.
RESUBMISSION_ROUND_STATES = (RoundState.CLOSED, RoundState.ASSESSING)


def round_takes_bid(bid: Bid, at: datetime | None = None) -> bool:
    """The round takes this bid now: it is open (`FundingRound.is_open`), or the bid was submitted before and
    returned for changes, and the round has closed but not yet moved to decisions."""
    if round_is_open(bid, at):
        return True
    return bid.submitted_at is not None and bid.funding_round.state in RESUBMISSION_ROUND_STATES


def _taking_part(bid: Bid) -> list[BidPartner]:
    """Partners invited or confirmed (a declined council is no longer part of the bid)."""
    return [partner for partner in bid.partners.all() if partner.status != PartnerStatus.DECLINED]


# --- The submission rules, one each -----------------------------------------------------------------------


def round_open_problems(bid: Bid, at: datetime) -> list[Problem]:
    """The round takes the bid (`round_takes_bid`: open — opened, not closed, before its closing time — or, for a
    bid returned for changes, closed and not yet deciding)."""
    funding_round = bid.funding_round
    if round_takes_bid(bid, at):
        return []
    if funding_round.state == RoundState.UPCOMING or at < funding_round.opens_at:
        return [Problem(f"{funding_round.name} is not open for bids yet", section="round")]
    if funding_round.close_reason and funding_round.closed_at:
        message = f"{funding_round.name} closed early, on {govuk_datetime(funding_round.closed_at)}"
        return [Problem(message, section="round")]
    return [Problem(f"{funding_round.name} closed on {govuk_deadline(funding_round.closes_at)}", section="round")]


def missing_answer_problems(bid: Bid, at: datetime) -> list[Problem]:
    return [
        Problem(message, field=field, section=section)
        for field, section, message in REQUIRED_CONTENT
        if not is_answered(getattr(bid, field))
    ]


def earliest_start(funding_round: FundingRound) -> date:
    """A project starts no earlier than the day its round closes (decisions come after that)."""
    return timezone.localtime(funding_round.closes_at).date()


def planned_start_message(funding_round: FundingRound, start: date | None) -> str:
    """Why `start` cannot be the planned start date ("" when it can)."""
    if start is None or start >= earliest_start(funding_round):
        return ""
    # The round's closing time as every page gives it (a midnight close reads as 11:59pm the day before).
    return (
        f"The planned start date must be on or after {govuk_date(earliest_start(funding_round))}: "
        f"{funding_round.name} closes at {govuk_deadline(funding_round.closes_at)}"
    )


def planned_start_problems(bid: Bid, at: datetime) -> list[Problem]:
    message = planned_start_message(bid.funding_round, bid.planned_start)
    return [Problem(message, field="planned_start", section="timeline")] if message else []


def summary_length_problems(bid: Bid, at: datetime) -> list[Problem]:
    if bid.summary and word_count(bid.summary) > SUMMARY_WORD_LIMIT:
        return [Problem(f"The summary must be {SUMMARY_WORD_LIMIT} words or fewer", field="summary", section="about")]
    return []


def phase_problems(bid: Bid, at: datetime) -> list[Problem]:
    """The phase is one the round funds, and the amount is within its cap."""
    caps = {round_phase.phase: round_phase.cap for round_phase in bid.funding_round.phases.all()}
    phase_name = bid.get_phase_display().lower()
    if bid.phase and bid.phase not in caps:
        message = f"{bid.funding_round.name} does not fund {phase_name} projects"
        return [Problem(message, field="phase", section="about")]
    if bid.phase and bid.amount_requested is not None and bid.amount_requested > caps[bid.phase]:
        message = (
            f"The amount requested ({money(bid.amount_requested, pence=True)}) is more than the {phase_name} "
            f"limit of {money(caps[bid.phase], pence=True)}"
        )
        return [Problem(message, field="amount_requested", section="costs")]
    return []


def cost_problems(bid: Bid, at: datetime) -> list[Problem]:
    """There are cost lines, and they add up to the amount requested."""
    lines = list(bid.cost_lines.all())
    if not lines:
        return [Problem("Add at least one cost line", section="costs")]
    total = sum((line.amount for line in lines), Decimal("0"))
    if bid.amount_requested is not None and total != bid.amount_requested:
        message = (
            f"The cost lines add up to {money(total, pence=True)} but the amount requested is "
            f"{money(bid.amount_requested, pence=True)}"
        )
        return [Problem(message, section="costs")]
    return []


def partner_count_problems(bid: Bid, at: datetime) -> list[Problem]:
    confirmed = sum(partner.status == PartnerStatus.CONFIRMED for partner in bid.partners.all())
    needed = bid.funding_round.min_partner_councils
    if confirmed < needed:
        message = f"You need at least {plural(needed, 'confirmed partner council')}; you have {confirmed}"
        return [Problem(message, section="partners")]
    return []


def unconfirmed_partner_problems(bid: Bid, at: datetime) -> list[Problem]:
    return [
        Problem(f"{partner.council} has not yet confirmed it is a partner", section="partners")
        for partner in _taking_part(bid)
        if partner.status == PartnerStatus.INVITED
    ]


# Why a council paying a cost line is not (yet) a partner that may pay it, by its partner status.
_NOT_A_PAYING_PARTNER = {
    PartnerStatus.INVITED: "which has not yet confirmed it is a partner",
    PartnerStatus.DECLINED: "which has declined to be a partner",
}


def quoted_list(items: list[str]) -> str:
    """‘A’, ‘A’ and ‘B’, ‘A’, ‘B’ and ‘C’."""
    quoted = [f"‘{item}’" for item in items]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} and {quoted[-1]}"


def cost_payer_problems(bid: Bid, at: datetime) -> list[Problem]:
    """Every cost paid by a partner is paid by a confirmed one. One problem per council, naming it and its
    cost lines, so a council paying two lines is reported once."""
    status = {partner.council_id: partner.status for partner in bid.partners.all()}
    unpaid: dict[int, list[CostLine]] = {}
    for line in bid.cost_lines.all():
        if line.payer == Payer.PARTNER and status.get(line.payer_council_id) != PartnerStatus.CONFIRMED:
            unpaid.setdefault(line.payer_council_id, []).append(line)
    problems = []
    for council_id, lines in unpaid.items():
        why = _NOT_A_PAYING_PARTNER.get(status.get(council_id), "which is not a partner on this bid")
        noun, verb = ("cost line", "is") if len(lines) == 1 else ("cost lines", "are")
        descriptions = quoted_list([line.description for line in lines])
        message = f"The {noun} {descriptions} {verb} paid by {lines[0].payer_council}, {why}"
        problems.append(Problem(message, section="costs"))
    return problems


def signatory_problems(bid: Bid, at: datetime) -> list[Problem]:
    """Only councils that have signed the Local Digital Declaration may bid, lead and partners alike."""
    councils = [bid.lead_council, *(partner.council for partner in _taking_part(bid))]
    return [
        Problem(f"{council} has not signed the Local Digital Declaration", section="partners")
        for council in councils
        if not council.is_signatory
    ]


def lead_limit_problems(bid: Bid, *, led_elsewhere: int) -> list[Problem]:
    """The lead council has not already submitted the round's limit of bids as lead."""
    funding_round = bid.funding_round
    if led_elsewhere < funding_round.max_bids_led_per_council:
        return []
    message = (
        f"{bid.lead_council} has already submitted {plural(led_elsewhere, 'bid')} as lead in {funding_round.name}; "
        f"the limit is {funding_round.max_bids_led_per_council}"
    )
    return [Problem(message, section="round")]


# The bid's own rules, in the order a refusal lists them.
SUBMISSION_RULES: tuple[Callable[[Bid, datetime], list[Problem]], ...] = (
    round_open_problems,
    missing_answer_problems,
    planned_start_problems,
    summary_length_problems,
    phase_problems,
    cost_problems,
    partner_count_problems,
    unconfirmed_partner_problems,
    cost_payer_problems,
    signatory_problems,
)


def submission_problems(bid: Bid, at: datetime | None = None) -> list[Problem]:
    """Every rule of the bid's own that it does not yet meet (empty when it may be submitted)."""
    at = at or timezone.now()
    return [problem for rule in SUBMISSION_RULES for problem in rule(bid, at)]


# --- Transition conditions --------------------------------------------------------------------------------


@refusal(submission_problems)
def submission_is_complete(bid: Bid) -> bool:
    return not submission_problems(bid)


@refusal("an assessor has already submitted an assessment of it")
def no_assessment_submitted(bid: Bid) -> bool:
    """Ever: an assessment submitted and then reopened was still submitted, so the assessments' history (which
    reopening does not clear) is read as well as the assessments themselves."""
    return not (
        bid.assessments.filter(submitted_at__isnull=False).exists()
        or bid.assessment_history.filter(transition="submit").exists()
    )


@refusal("the programme team is making its decisions on this round’s bids")
def decisions_not_begun(bid: Bid) -> bool:
    """A lead council may withdraw its bid until the round's decisions begin: the same for every bid of the round,
    so whether one is allowed says nothing a council may not know (a bid's score or unpublished decision)."""
    return bid.funding_round.state not in (RoundState.DECIDING, RoundState.PUBLISHED)


@refusal("its assessments are not all in and moderated")
def scoring_is_complete(bid: Bid) -> bool:
    """The assessment services store the final score once every assessment is in and moderated."""
    return bid.final_score is not None and not bid.needs_moderation


@refusal(
    lambda bid: (
        f"awards and declines are recorded while the round is deciding, and {bid.funding_round.name} is "
        f"{bid.funding_round.get_state_display().lower()}"
    )
)
def round_is_deciding(bid: Bid) -> bool:
    """Decisions are recorded only while the round is deciding (and told to councils when it publishes)."""
    return bid.funding_round.state == RoundState.DECIDING


# --- The eligibility sift: the submission rules again, as a checklist -------------------------------------

# (key, what the check asks, the submission rules that answer it). The lead limit needs the round's other bids:
# `bids.selectors.bid_sift_checklist` adds it as LEAD_LIMIT_CHECK.
SIFT_CHECKS: tuple[tuple[str, str, tuple[Callable[[Bid, datetime], list[Problem]], ...]], ...] = (
    ("signatories", "Every council has signed the Local Digital Declaration", (signatory_problems,)),
    (
        "partners",
        "Enough partner councils have confirmed they take part",
        (partner_count_problems, unconfirmed_partner_problems),
    ),
    ("phase", "The round funds the phase, and the amount is within its cap", (phase_problems,)),
    (
        "costs",
        "The costs add up to the amount requested, each paid by a partner taking part",
        (cost_problems, cost_payer_problems),
    ),
)
LEAD_LIMIT_CHECK = ("lead_limit", "The lead council is within the round's limit of bids it leads")


# --- Conditions of the round state machine ------------------------------------------------------------------


def named_references(references: list[str]) -> str:
    """LDF-R7-0001, LDF-R7-0002 and 3 more."""
    shown = ", ".join(references[:NAMED_REFERENCES])
    extra = len(references) - NAMED_REFERENCES
    return f"{shown} and {extra} more" if extra > 0 else shown


@refusal(lambda funding_round: f"it opens at {govuk_datetime(funding_round.opens_at)}")
def opening_time_reached(funding_round: FundingRound) -> bool:
    return funding_round.opens_at <= timezone.now()


@refusal(lambda funding_round: f"its closing time, {govuk_deadline(funding_round.closes_at)}, has passed")
def closing_time_not_reached(funding_round: FundingRound) -> bool:
    return timezone.now() < funding_round.closes_at


@refusal(
    lambda funding_round: (
        f"it closes at {govuk_deadline(funding_round.closes_at)}; to close it before then, close it early and say why"
    )
)
def closing_time_reached(funding_round: FundingRound) -> bool:
    return funding_round.closes_at <= timezone.now()


def _in_review_references(funding_round: FundingRound, **filters: object) -> list[str]:
    bids = funding_round.bids.filter(state=BidState.IN_REVIEW, **filters).order_by("number")
    return list(bids.values_list("reference", flat=True))


def unsifted_message(funding_round: FundingRound) -> str:
    references = _in_review_references(funding_round, sift__isnull=True)
    verb = "is" if len(references) == 1 else "are"
    return f"{plural(len(references), 'bid')} in review {verb} not sifted yet: {named_references(references)}"


@refusal(unsifted_message)
def every_submitted_bid_sifted(funding_round: FundingRound) -> bool:
    """Assessors are assigned once the round's eligible bids are known: every submitted bid has been sifted."""
    return not funding_round.bids.filter(state=BidState.IN_REVIEW, sift__isnull=True).exists()


def in_review_message(funding_round: FundingRound) -> str:
    references = _in_review_references(funding_round)
    return (
        "every bid must be scored, ineligible or withdrawn first, and "
        f"{plural(len(references), 'bid')} {'is' if len(references) == 1 else 'are'} still in review: "
        f"{named_references(references)}"
    )


@refusal(in_review_message)
def no_bid_in_review(funding_round: FundingRound) -> bool:
    return not funding_round.bids.filter(state=BidState.IN_REVIEW).exists()


def undecided_message(funding_round: FundingRound) -> str:
    references = list(
        funding_round.bids.filter(state=BidState.SCORED).order_by("number").values_list("reference", flat=True)
    )
    return (
        f"{plural(len(references), 'scored bid')} {'has' if len(references) == 1 else 'have'} no decision yet "
        f"(award or decline each): {named_references(references)}"
    )


@refusal(undecided_message)
def every_scored_bid_decided(funding_round: FundingRound) -> bool:
    return not funding_round.bids.filter(state=BidState.SCORED).exists()


def can_be_continued(bid: Bid) -> bool:
    """A funded discovery or alpha whose award is public (its round's decisions are published) may be continued
    into its next phase."""
    return bid.state == BidState.AWARDED and bid.funding_round.state == RoundState.PUBLISHED and bid.phase in NEXT_PHASE
