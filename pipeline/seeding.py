"""Bulk building of a realistic programme at scale: rounds, bids in every state, partners, costs, history,
assessments and scores — inserted with `bulk_create`, never through the services one bid at a time.

Used by `manage.py seed_scale`, the benchmark, and tests that need thousands of bids quickly. The rows are
what the services would have written (states with their dates, history rows per transition, final scores
stored on the bid), but no notifications are recorded: a seeded programme has no one to tell.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from assessments.choices import AssessmentState
from assessments.models import Assessment, CriterionScore
from bids.choices import BidState, CriterionCode, PartnerStatus, Payer, Phase, RoundState
from bids.models import Bid, BidPartner, BidTransition, CostLine, Criterion, FundingRound, RoundPhase
from councils.choices import Role
from councils.models import Council, User

# Share of bids in each state (a mature programme: most rounds decided, the latest still in assessment).
STATE_MIX = [
    (BidState.DRAFT, 0.14),
    (BidState.IN_REVIEW, 0.18),
    (BidState.SCORED, 0.14),
    (BidState.AWARDED, 0.22),
    (BidState.NOT_FUNDED, 0.16),
    (BidState.INELIGIBLE, 0.08),
    (BidState.WITHDRAWN, 0.08),
]
PHASE_CAPS = {Phase.DISCOVERY: Decimal("80000"), Phase.ALPHA: Decimal("250000"), Phase.BETA: Decimal("350000")}
CRITERIA = [
    (CriterionCode.STRATEGIC_FIT, "Strategic fit", Decimal("33.34")),
    (CriterionCode.DELIVERABILITY, "Deliverability", Decimal("33.33")),
    (CriterionCode.VALUE_FOR_MONEY, "Value for money", Decimal("33.33")),
]
TOPICS = [
    "housing repairs",
    "school admissions appeals",
    "planning applications",
    "Blue Badge renewals",
    "council tax discounts",
    "pest control bookings",
    "garden waste subscriptions",
    "adult social care assessments",
    "parking permits",
    "bin collection reporting",
    "library memberships",
    "licensing applications",
    "special educational needs transport",
    "homelessness prevention referrals",
    "business rates relief",
]
KINDS = ["reusable service for", "shared platform for", "open data standard for", "digital front door for"]
PARAGRAPH = (
    "Residents struggle with the current service: it is paper-based, slow and costly to run, and each council "
    "has built its own version. We will work in the open, publish our research and code, and share what we "
    "learn through the Local Digital community so that any council can reuse it."
)
BATCH = 2000


@dataclass
class SeedResult:
    rounds: list[FundingRound]
    bids: int = 0
    partners: int = 0
    cost_lines: int = 0
    history: int = 0
    assessments: int = 0
    scores: int = 0
    staff: User | None = None
    counts: dict = field(default_factory=dict)


def _ensure_councils() -> list[Council]:
    councils = list(Council.objects.order_by("pk"))
    if len(councils) < 20:
        call_command("load_councils", verbosity=0)
        councils = list(Council.objects.order_by("pk"))
    unsigned = [c.pk for c in councils if c.declaration_signed_on is None]
    if unsigned:
        # Only signatories bid; the scale dataset treats every council as having signed.
        Council.objects.filter(pk__in=unsigned).update(declaration_signed_on=date(2018, 7, 4))
        for council in councils:
            council.declaration_signed_on = council.declaration_signed_on or date(2018, 7, 4)
    return councils


def _people(tag: str, assessor_count: int) -> tuple[User, list[User]]:
    password = make_password("localdigital-scale")
    staff, _ = User.objects.get_or_create(
        email=f"staff-{tag.strip('-').lower()}@scale.localdigital.test",
        defaults={"full_name": "Scale Staff", "role": Role.PROGRAMME_STAFF, "password": password},
    )
    assessors = [
        User(
            email=f"assessor{n}-{tag.strip('-').lower()}@scale.localdigital.test",
            full_name=f"Assessor {n} ({tag})",
            role=Role.ASSESSOR,
            password=password,
        )
        for n in range(1, assessor_count + 1)
    ]
    User.objects.bulk_create(assessors, ignore_conflicts=True)
    assessors = list(User.objects.filter(email__in=[a.email for a in assessors]).order_by("pk"))
    return staff, assessors


def _rounds(tag: str, count: int, now) -> list[FundingRound]:
    rounds = []
    for index in range(count):
        # The newest round is still in assessment (deadline ahead); older ones closed months apart and have
        # published their decisions (so the public pages have their awards). Written in bulk with their states,
        # as the rest of the scale data is: the bench measures pages, not the lifecycle.
        age = timedelta(days=120 * (count - 1 - index))
        closes = now - age - timedelta(days=5)
        newest = index == count - 1
        rounds.append(
            FundingRound(
                name=f"Scale round {index + 1} ({tag})",
                code=f"{tag}{index + 1:02d}"[:10],
                opens_at=closes - timedelta(days=60),
                closes_at=closes,
                assessment_deadline=closes + timedelta(days=45 if newest else 30),
                budget=Decimal("20000000"),
                assessors_per_bid=3,
                state=RoundState.ASSESSING if newest else RoundState.PUBLISHED,
                opened_at=closes - timedelta(days=60),
                closed_at=closes,
                decisions_published_at=None if newest else closes + timedelta(days=60),
            )
        )
    FundingRound.objects.bulk_create(rounds)
    RoundPhase.objects.bulk_create(
        RoundPhase(funding_round=r, phase=phase, cap=cap) for r in rounds for phase, cap in PHASE_CAPS.items()
    )
    Criterion.objects.bulk_create(
        Criterion(funding_round=r, code=code, name=name, weight=weight, position=position)
        for r in rounds
        for position, (code, name, weight) in enumerate(CRITERIA)
    )
    return rounds


def _batched(objects: Iterable, size: int = BATCH):
    batch = []
    for obj in objects:
        batch.append(obj)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _path(state: str, rng: random.Random) -> list[tuple[str, str, str]]:
    """The transitions (name, source, target) that brought a bid to `state`."""
    submit = ("submit", BidState.DRAFT, BidState.IN_REVIEW)
    scored = ("mark_scored", BidState.IN_REVIEW, BidState.SCORED)
    if state == BidState.DRAFT:
        # Some drafts were returned for changes once.
        return [submit, ("return_for_changes", BidState.IN_REVIEW, BidState.DRAFT)] if rng.random() < 0.15 else []
    if state == BidState.IN_REVIEW:
        return [submit]
    if state == BidState.SCORED:
        return [submit, scored]
    if state == BidState.AWARDED:
        return [submit, scored, ("award", BidState.SCORED, BidState.AWARDED)]
    if state == BidState.NOT_FUNDED:
        return [submit, scored, ("decline", BidState.SCORED, BidState.NOT_FUNDED)]
    if state == BidState.INELIGIBLE:
        return [submit, ("mark_ineligible", BidState.IN_REVIEW, BidState.INELIGIBLE)]
    if rng.random() < 0.5:
        return [("withdraw", BidState.DRAFT, BidState.WITHDRAWN)]
    return [submit, ("withdraw", BidState.IN_REVIEW, BidState.WITHDRAWN)]


def seed_programme(
    *,
    bids: int,
    rounds: int = 10,
    tag: str = "SC",
    assessors: int = 60,
    only_state: str | None = None,
    seed: int = 1,
    progress: Callable[[int], None] | None = None,
    with_scores: bool = True,
) -> SeedResult:
    """Insert `bids` bids spread over `rounds` new rounds (codes `<tag>01`…) and all their related rows."""
    rng = random.Random(seed)  # noqa: S311 - repeatable demo data, not security
    now = timezone.now()
    progress = progress or (lambda n: None)
    with transaction.atomic():
        councils = _ensure_councils()
        staff, assessor_users = _people(tag, max(assessors, 4))  # up to four assessors per bid
        round_rows = _rounds(tag, rounds, now)
        criteria = {r.pk: list(Criterion.objects.filter(funding_round=r).order_by("position")) for r in round_rows}
        states = [s for s, _ in STATE_MIX]
        weights = [w for _, w in STATE_MIX]
        latest = round_rows[-1]
        result = SeedResult(rounds=round_rows, staff=staff)
        numbers = dict.fromkeys((r.pk for r in round_rows), 0)
        phases = list(PHASE_CAPS)

        for chunk in _batched(range(bids)):
            bid_rows, plans = [], []
            for index in chunk:
                # Rounds one after another, as a round's bids are written while it is open.
                funding_round = round_rows[index * len(round_rows) // bids]
                numbers[funding_round.pk] += 1
                number = numbers[funding_round.pk]
                state = only_state or rng.choices(states, weights)[0]
                # The newest round has no decisions yet; its bids are still drafts or in assessment.
                if (
                    funding_round.pk == latest.pk
                    and not only_state
                    and state not in (BidState.DRAFT, BidState.WITHDRAWN)
                ):
                    state = BidState.IN_REVIEW if rng.random() < 0.7 else BidState.SCORED
                # An older round has published its decisions, which it does only once every bid it assessed is
                # decided: none of its bids is still in review or scored (drafts never sent stay drafts).
                elif not only_state and state in (BidState.IN_REVIEW, BidState.SCORED):
                    state = BidState.NOT_FUNDED
                lead = councils[rng.randrange(len(councils))]
                phase = phases[rng.randrange(3)]
                amount = Decimal(rng.randrange(20, int(PHASE_CAPS[phase] / 1000) + 1) * 1000)
                created = funding_round.opens_at + timedelta(days=rng.randrange(0, 50), minutes=rng.randrange(1440))
                path = _path(state, rng)
                submitted = created + timedelta(days=rng.randrange(1, 9)) if path and path[0][0] == "submit" else None
                decided = None
                hours = timedelta(hours=rng.randrange(24))
                if state in (BidState.AWARDED, BidState.NOT_FUNDED):  # decided after assessment, before publishing
                    decided = funding_round.closes_at + timedelta(days=rng.randrange(35, 55)) + hours
                elif state == BidState.INELIGIBLE:  # at the sift, once the round has closed
                    decided = min(funding_round.closes_at + timedelta(days=rng.randrange(1, 5)) + hours, now)
                elif state == BidState.WITHDRAWN:
                    decided = min((submitted or created) + timedelta(days=rng.randrange(1, 10)) + hours, now)
                scored = state in (BidState.SCORED, BidState.AWARDED, BidState.NOT_FUNDED)
                in_review = state == BidState.IN_REVIEW
                # Each criterion's mean on the 1–5 scale; the final score is its 0–100 equivalent.
                criterion_mean = Decimal(rng.randrange(150, 500)) / 100 if scored else None
                final_score = ((criterion_mean - 1) * 25).quantize(Decimal("0.01")) if scored else None
                topic = TOPICS[rng.randrange(len(TOPICS))]
                bid_rows.append(
                    Bid(
                        funding_round=funding_round,
                        number=number,
                        reference=Bid.reference_for(funding_round.code, number),
                        lead_council=lead,
                        created_at=created,
                        state=state,
                        title=f"{KINDS[rng.randrange(len(KINDS))].capitalize()} {topic}",
                        summary=f"{lead} and partners will build a {topic} service any council can reuse.",
                        problem=PARAGRAPH,
                        user_needs=PARAGRAPH,
                        approach=PARAGRAPH,
                        outputs_and_reuse=PARAGRAPH,
                        working_in_the_open=PARAGRAPH,
                        phase=phase,
                        amount_requested=amount,
                        planned_start=(funding_round.closes_at + timedelta(days=60)).date(),
                        duration_months=rng.choice([3, 6, 9, 12]),
                        lead_contact_name="Lead Contact",
                        lead_contact_email=f"lead@{lead.register_code.lower()}.example.test",
                        submitted_at=submitted,
                        decided_at=decided,
                        status_note="Seeded decision note" if decided else "",
                        award_amount=amount if state == BidState.AWARDED else None,
                        award_conditions="Publish weeknotes" if state == BidState.AWARDED else "",
                        final_score=final_score,
                        needs_moderation=in_review and rng.random() < 0.12,
                        criterion_scores=(
                            {
                                str(c.pk): {"name": c.name, "code": c.code, "score": str(criterion_mean)}
                                for c in criteria[funding_round.pk]
                            }
                            if scored
                            else {}
                        ),
                    )
                )
                plans.append((path, created, submitted, decided, scored, in_review))
            Bid.objects.bulk_create(bid_rows, batch_size=BATCH)
            partner_rows, cost_rows, history_rows, assessment_rows = [], [], [], []
            for bid, (path, created, submitted, decided, scored, in_review) in zip(bid_rows, plans, strict=True):
                chosen = set()
                while len(chosen) < 2:
                    council = councils[rng.randrange(len(councils))]
                    if council.pk != bid.lead_council_id:
                        chosen.add(council.pk)
                for council_id in chosen:
                    confirmed = bid.state != BidState.DRAFT or rng.random() < 0.7
                    partner_rows.append(
                        BidPartner(
                            bid=bid,
                            council_id=council_id,
                            status=PartnerStatus.CONFIRMED if confirmed else PartnerStatus.INVITED,
                            invited_at=created,
                            responded_at=created + timedelta(hours=6) if confirmed else None,
                        )
                    )
                half = (bid.amount_requested / 2).quantize(Decimal("0.01"))
                cost_rows += [
                    CostLine(bid=bid, payer=Payer.LEAD, description="Council staff time", amount=half),
                    CostLine(bid=bid, payer=Payer.SUPPLIER, description="Supplier", amount=bid.amount_requested - half),
                ]
                at = submitted or created + timedelta(days=3)
                for step, (name, source, target) in enumerate(path):
                    if name in ("award", "decline", "mark_ineligible", "withdraw") and decided:
                        at = decided
                    elif step:
                        at = at + timedelta(days=rng.randrange(5, 30))
                    history_rows.append(
                        BidTransition(
                            bid=bid,
                            transition=name,
                            source_state=source,
                            target_state=target,
                            by=staff if name not in ("submit", "withdraw") else None,
                            at=at,
                            note="Seeded" if name != "submit" else "",
                        )
                    )
                if scored or in_review:
                    # Scored bids had three assessments in, sometimes after a fourth assessor declared a conflict.
                    count = (4 if rng.random() < 0.6 else 3) if scored else rng.randrange(2, 5)
                    picked = rng.sample(assessor_users, count)
                    for position, assessor in enumerate(picked):
                        conflicted = scored and position == 3
                        done = (scored and not conflicted) or (in_review and position == 0)
                        assessment_rows.append(
                            Assessment(
                                bid=bid,
                                assessor=assessor,
                                assigned_by=staff,
                                assigned_at=(submitted or created) + timedelta(days=2),
                                state=(
                                    AssessmentState.CONFLICTED
                                    if conflicted
                                    else AssessmentState.SUBMITTED
                                    if done
                                    else AssessmentState.IN_PROGRESS
                                ),
                                conflict_details="Worked with the lead council last year" if conflicted else "",
                                declared_at=(submitted or created) + timedelta(days=3),
                                submitted_at=(submitted or created) + timedelta(days=12) if done else None,
                            )
                        )
            BidPartner.objects.bulk_create(partner_rows, batch_size=BATCH)
            CostLine.objects.bulk_create(cost_rows, batch_size=BATCH)
            BidTransition.objects.bulk_create(history_rows, batch_size=BATCH)
            Assessment.objects.bulk_create(assessment_rows, batch_size=BATCH)
            if with_scores:
                score_rows = [
                    CriterionScore(
                        assessment=assessment,
                        criterion=criterion,
                        score=rng.randrange(1, 6),
                        justification="Seeded justification",
                    )
                    for assessment in assessment_rows
                    if assessment.state == AssessmentState.SUBMITTED
                    for criterion in criteria[assessment.bid.funding_round_id]
                ]
                CriterionScore.objects.bulk_create(score_rows, batch_size=BATCH)
                result.scores += len(score_rows)
            result.bids += len(bid_rows)
            result.partners += len(partner_rows)
            result.cost_lines += len(cost_rows)
            result.history += len(history_rows)
            result.assessments += len(assessment_rows)
            progress(len(bid_rows))
    return result
