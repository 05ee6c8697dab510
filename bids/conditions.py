"""Conditions of the bid state machine: small functions whose names read as reasons.

`submission_problems` lists every unmet submission rule, in words a council officer understands, each with
the task-list section where it is fixed; the `submit` transition's condition is that the list is empty.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils import timezone

from councils.exceptions import Problem
from councils.formats import govuk_datetime

if TYPE_CHECKING:
    from bids.models import Bid

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


def word_count(text: str) -> int:
    return len(re.findall(r"\S+", text or ""))


def money(amount: Decimal) -> str:
    return f"£{amount:,.2f}"


def round_is_open(bid: Bid, at: datetime | None = None) -> bool:
    return bid.funding_round.is_open(at or timezone.now())


def submission_problems(bid: Bid, at: datetime | None = None) -> list[Problem]:
    """Every rule the bid does not yet meet for submission (empty when it may be submitted)."""
    from bids.choices import BidState, PartnerStatus, Payer

    at = at or timezone.now()
    funding_round = bid.funding_round
    problems: list[Problem] = []

    if not round_is_open(bid, at):
        closes = govuk_datetime(funding_round.closes_at)
        if at < funding_round.opens_at:
            problems.append(Problem(f"{funding_round.name} is not open for bids yet", section="round"))
        else:
            problems.append(Problem(f"{funding_round.name} closed on {closes}", section="round"))

    for field, section, message in REQUIRED_CONTENT:
        value = getattr(bid, field)
        if value is None or (isinstance(value, str) and not value.strip()):
            problems.append(Problem(message, field=field, section=section))

    if bid.summary and word_count(bid.summary) > SUMMARY_WORD_LIMIT:
        problems.append(
            Problem(f"The summary must be {SUMMARY_WORD_LIMIT} words or fewer", field="summary", section="about")
        )

    caps = {round_phase.phase: round_phase.cap for round_phase in funding_round.phases.all()}
    if bid.phase and bid.phase not in caps:
        problems.append(
            Problem(
                f"{funding_round.name} does not fund {bid.get_phase_display().lower()} projects",
                field="phase",
                section="about",
            )
        )
    elif bid.phase and bid.amount_requested is not None and bid.amount_requested > caps[bid.phase]:
        problems.append(
            Problem(
                f"The amount requested ({money(bid.amount_requested)}) is more than the "
                f"{bid.get_phase_display().lower()} limit of {money(caps[bid.phase])}",
                field="amount_requested",
                section="costs",
            )
        )

    cost_lines = list(bid.cost_lines.all())
    if not cost_lines:
        problems.append(Problem("Add at least one cost line", section="costs"))
    elif bid.amount_requested is not None:
        total = sum((line.amount for line in cost_lines), Decimal("0"))
        if total != bid.amount_requested:
            problems.append(
                Problem(
                    f"The cost lines add up to {money(total)} but the amount requested is "
                    f"{money(bid.amount_requested)}",
                    section="costs",
                )
            )

    partners = [partner for partner in bid.partners.all() if partner.status != PartnerStatus.DECLINED]
    confirmed = [partner for partner in partners if partner.status == PartnerStatus.CONFIRMED]
    partner_council_ids = {partner.council_id for partner in confirmed}
    if len(confirmed) < funding_round.min_partner_councils:
        needed = funding_round.min_partner_councils
        problems.append(
            Problem(
                f"You need at least {needed} confirmed partner council{'s' if needed != 1 else ''}; "
                f"you have {len(confirmed)}",
                section="partners",
            )
        )
    for partner in partners:
        if partner.status == PartnerStatus.INVITED:
            problems.append(Problem(f"{partner.council} has not yet confirmed it is a partner", section="partners"))
    for line in cost_lines:
        if line.payer == Payer.PARTNER and line.payer_council_id not in partner_council_ids:
            problems.append(
                Problem(
                    f"The cost line ‘{line.description}’ is paid by a council that is not a confirmed partner",
                    section="costs",
                )
            )

    if not bid.lead_council.is_signatory:
        problems.append(Problem(f"{bid.lead_council} has not signed the Local Digital Declaration", section="partners"))
    problems.extend(
        Problem(f"{partner.council} has not signed the Local Digital Declaration", section="partners")
        for partner in partners
        if not partner.council.is_signatory
    )

    led = (
        type(bid)
        .objects.filter(funding_round_id=bid.funding_round_id, lead_council_id=bid.lead_council_id)
        .exclude(pk=bid.pk)
        .exclude(state__in=[BidState.DRAFT, BidState.WITHDRAWN])
        .count()
    )
    if led >= funding_round.max_bids_led_per_council:
        problems.append(
            Problem(
                f"{bid.lead_council} has already submitted {led} bid{'s' if led != 1 else ''} as lead in "
                f"{funding_round.name}; the limit is {funding_round.max_bids_led_per_council}",
                section="round",
            )
        )
    return problems


def submission_is_complete(bid: Bid) -> bool:
    return not submission_problems(bid)


def no_assessment_submitted(bid: Bid) -> bool:
    return not bid.assessments.filter(submitted_at__isnull=False).exists()


def scoring_is_complete(bid: Bid) -> bool:
    """The assessment services store the final score once every assessment is in and moderated."""
    return bid.final_score is not None and not bid.needs_moderation
