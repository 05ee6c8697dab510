"""Every write to assessments: assignment, declarations, scores, submission, moderation and reopening.

Each service owns its transaction. Anything that can finish a bid's scoring locks the bid row first, so when
the last two assessors submit at the same moment one waits for the other, sees its submission, and the bid is
marked scored exactly once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from assessments import conditions
from assessments.choices import ACTIVE_STATES, AssessmentState, Recommendation
from assessments.models import Assessment, AssessmentTransition, CriterionScore, ModeratedScore
from assessments.scoring import two_places
from assessments.selectors import (
    active_assessors,
    assessor_open_assessments,
    assignment_block_reason,
    assignment_closed_reason,
    bid_aggregate,
    round_workloads,
)
from bids.choices import BidState, PartnerStatus, RoundState, SiftDecision
from bids.models import Bid, Criterion, FundingRound
from bids.services import bid_mark_scored
from core.exceptions import ApplicationError, Problem
from core.formatting import deadline_day, govuk_date, plural
from core.forms import typed_decimal
from core.transitions import NO_PERMISSION, Machine, required_text
from councils.models import Council, User
from councils.selectors import programme_staff
from notifications.choices import Event
from notifications.services import notify

# --- Helpers --------------------------------------------------------------------------------------------


def _lock_bid(bid: Bid) -> Bid:
    """Lock and re-read the bid: serialises everything that counts or finishes the bid's assessments."""
    return (
        Bid.objects.select_for_update(of=("self",))
        .select_related("funding_round", "lead_council", "sift")
        .get(pk=bid.pk)
    )


def _record(assessment: Assessment, transition: str, source: str, by: User | None, note: str = "") -> None:
    AssessmentTransition.objects.create(
        assessment=assessment,
        bid_id=assessment.bid_id,
        assessor_id=assessment.assessor_id,
        transition=transition,
        source_state=source,
        target_state=assessment.state if transition != "unassign" else "",
        unassigned_assessment_id=assessment.pk if transition == "unassign" else None,
        by=by,
        note=note,
    )


ASSESSMENT_MACHINE = Machine(
    noun="assessment",
    past={
        "declare_no_conflict": "started",
        "declare_conflict": "declared a conflict",
        "submit": "submitted",
        "reopen": "reopened",
        "mark_conflicted": "marked as conflicted",
    },
    record=_record,
)


def _forget_prefetched_scores(assessment: Assessment) -> None:
    # A view may have prefetched the scores before this request saved new ones.
    getattr(assessment, "_prefetched_objects_cache", {}).pop("criterion_scores", None)


def assessment_path(assessment: Assessment) -> str:
    return reverse("assessments:detail", kwargs={"pk": assessment.pk})


def _snapshot(bid: Bid) -> dict:
    return {
        "reference": bid.reference,
        "title": bid.title or "Untitled bid",
        "round": bid.funding_round.name,
        "bid_path": reverse("assessments:bid", kwargs={"reference": bid.reference}),
    }


# --- Assignment -----------------------------------------------------------------------------------------


def assessment_assign(*, bid: Bid, assessor: User, by: User) -> Assessment:
    """Assign an assessor to an in-review bid sifted eligible, while its round is assessing, within the round's
    assessors per bid."""
    if not by.has_perm("assessments.assign"):
        raise ApplicationError(NO_PERMISSION)
    with transaction.atomic():
        bid = _lock_bid(bid)
        funding_round = bid.funding_round
        if bid.state != BidState.IN_REVIEW:
            raise ApplicationError(
                f"{bid.reference} is {bid.get_state_display().lower()}, so assessors can no longer be assigned"
            )
        closed = assignment_closed_reason(bid=bid)
        if closed:
            raise ApplicationError(closed)
        if not assessor.is_assessor:
            raise ApplicationError(f"{assessor.full_name} is not an active assessor")
        reason = assignment_block_reason(bid=bid, assessor=assessor)
        if reason:
            raise ApplicationError(reason)
        existing = bid.assessments.filter(assessor=assessor).first()
        if existing is not None:
            if existing.state == AssessmentState.CONFLICTED:
                raise ApplicationError(f"{assessor.full_name} has declared a conflict of interest with {bid.reference}")
            raise ApplicationError(f"{assessor.full_name} is already assessing {bid.reference}")
        active = bid.assessments.filter(state__in=ACTIVE_STATES).count()
        if active >= funding_round.assessors_per_bid:
            raise ApplicationError(
                f"{bid.reference} already has {plural(active, 'assessor')}, the most {funding_round.name} allows"
            )
        assessment = Assessment.objects.create(bid=bid, assessor=assessor, assigned_by=by)
        _record(assessment, "assign", "", by)
        due = funding_round.assessment_deadline
        notify(
            event=Event.ASSESSOR_ASSIGNED,
            recipients=[assessor],
            context={
                **_snapshot(bid),
                "due_date": timezone.localtime(due).isoformat() if due else "",
                "due_date_display": govuk_date(deadline_day(due)) if due else "",
                "assessment_path": assessment_path(assessment),
            },
            key=f"{Event.ASSESSOR_ASSIGNED}:{assessment.pk}",
        )
    return assessment


@dataclass
class BulkAssignment:
    assigned: list[Assessment] = field(default_factory=list)
    # (bid, how many more assessors it needs) where not enough eligible assessors were free.
    short: list[tuple[Bid, int]] = field(default_factory=list)


def assessment_assign_bulk(*, funding_round: FundingRound, by: User) -> BulkAssignment:
    """Fill every in-review bid in the round (all sifted eligible: the round is assessing only once every
    submitted bid is sifted) up to its assessors, each time choosing the eligible assessors with the fewest
    assessments in the round (ties: by name)."""
    if not by.has_perm("assessments.assign"):
        raise ApplicationError(NO_PERMISSION)
    result = BulkAssignment()
    with transaction.atomic():
        locked = FundingRound.objects.select_for_update().get(pk=funding_round.pk)
        if locked.state != RoundState.ASSESSING:
            raise ApplicationError(
                f"Assessors are assigned while the round is assessing, and {locked.name} is "
                f"{locked.get_state_display().lower()}"
            )
        bids = list(
            funding_round.bids.filter(state=BidState.IN_REVIEW, sift__decision=SiftDecision.ELIGIBLE)
            .select_related("funding_round", "lead_council", "sift")
            .prefetch_related("partners__council", "assessments")
            .order_by("number")
        )
        assessors = active_assessors()
        workloads = round_workloads(funding_round=funding_round)
        for bid in bids:
            taken = {assessment.assessor_id for assessment in bid.assessments.all()}
            active = sum(1 for assessment in bid.assessments.all() if assessment.state in ACTIVE_STATES)
            needed = funding_round.assessors_per_bid - active
            if needed <= 0:
                continue
            candidates = sorted(
                (
                    assessor
                    for assessor in assessors
                    if assessor.pk not in taken and not assignment_block_reason(bid=bid, assessor=assessor)
                ),
                key=lambda assessor: (workloads.get(assessor.pk, 0), assessor.full_name, assessor.pk),
            )
            for assessor in candidates[:needed]:
                result.assigned.append(assessment_assign(bid=bid, assessor=assessor, by=by))
                workloads[assessor.pk] = workloads.get(assessor.pk, 0) + 1
            if len(candidates) < needed:
                result.short.append((bid, needed - len(candidates)))
    return result


def assessment_unassign(*, assessment: Assessment, by: User, reason: str) -> None:
    """Take an unsubmitted assessment away from its assessor. Draft scores go; the history keeps the reason."""
    if not by.has_perm("assessments.assign"):
        raise ApplicationError(NO_PERMISSION)
    reason = required_text(reason, "Enter why you are unassigning this assessor", "reason")
    with transaction.atomic():
        bid = _lock_bid(assessment.bid)
        current = Assessment.objects.select_for_update().filter(pk=assessment.pk).first()
        if current is None:
            raise ApplicationError("This assessor has already been unassigned")
        if current.state == AssessmentState.SUBMITTED and bid.state == BidState.IN_REVIEW:
            raise ApplicationError("This assessment has been submitted: reopen it instead of unassigning")
        if current.state == AssessmentState.SUBMITTED:
            # Scored or decided: its assessments are the record of how it was judged (and it cannot be reopened).
            raise ApplicationError(
                f"This assessment has been submitted and {bid.reference} is {bid.get_state_display().lower()}, "
                "so it stays on record"
            )
        if current.state == AssessmentState.CONFLICTED:
            raise ApplicationError("A declared conflict stays on record; assign another assessor instead")
        _record(current, "unassign", current.state, by, reason)
        notify(
            event=Event.ASSESSOR_UNASSIGNED,
            recipients=[current.assessor],
            context={**_snapshot(bid), "assessments_path": reverse("assessments:list")},
            key=f"{Event.ASSESSOR_UNASSIGNED}:{current.pk}",
        )
        current.delete()
        _refresh_bid_scores(bid)


def assessor_remind(*, funding_round: FundingRound, assessor: User, by: User) -> list[int]:
    """Staff remind an assessor of their assessments still to finish in the round: one message listing them,
    at most once a day (the outbox key names the day). Refused when there is nothing to finish or they have
    been reminded today."""
    if not by.has_perm("assessments.assign"):
        raise ApplicationError(NO_PERMISSION)
    open_assessments = assessor_open_assessments(funding_round=funding_round, assessor=assessor)
    if not open_assessments:
        raise ApplicationError(f"{assessor.full_name} has no assessments to finish in {funding_round.name}")
    deadline = funding_round.assessment_deadline
    today = timezone.localdate()
    with transaction.atomic():
        written = notify(
            event=Event.ASSESSMENT_NUDGE,
            recipients=[assessor],
            context={
                "round": funding_round.name,
                "due_date_display": govuk_date(deadline_day(deadline)) if deadline else "",
                "overdue": bool(deadline and deadline < timezone.now()),
                "assessments": [
                    {
                        "reference": assessment.bid.reference,
                        "title": assessment.bid.title or "Untitled bid",
                        "state": assessment.get_state_display(),
                        "assessment_path": assessment_path(assessment),
                    }
                    for assessment in open_assessments
                ],
                "assessments_path": reverse("assessments:list"),
            },
            key=f"{Event.ASSESSMENT_NUDGE}:{funding_round.pk}:{assessor.pk}:{today.isoformat()}",
        )
    if not written:
        raise ApplicationError(f"{assessor.full_name} has already been reminded today")
    return written


# --- The assessor's part --------------------------------------------------------------------------------


def assessment_declare(*, assessment: Assessment, by: User, conflict: bool, details: str = "") -> Assessment:
    """Before reading the bid, the assessor declares no conflict of interest, or a conflict with details."""
    with transaction.atomic():
        if conflict:
            details = required_text(details, "Enter details of your conflict of interest", "details")
            ASSESSMENT_MACHINE.check(assessment, "declare_conflict", by)
            bid = _lock_bid(assessment.bid)
            assessment.bid = bid
            ASSESSMENT_MACHINE.run(assessment, "declare_conflict", by=by, note=details, details=details)
            notify(
                event=Event.CONFLICT_DECLARED,
                recipients=programme_staff(),
                context={**_snapshot(bid), "assessor_name": assessment.assessor.full_name, "details": details},
                key=f"{Event.CONFLICT_DECLARED}:{assessment.pk}",
            )
        else:
            ASSESSMENT_MACHINE.check(assessment, "declare_no_conflict", by)
            assessment.bid = _lock_bid(assessment.bid)
            ASSESSMENT_MACHINE.run(assessment, "declare_no_conflict", by=by)
    return assessment


ScoreInput = Mapping[str, object] | tuple[object, str]


def _parse_score(value: object, criterion: Criterion) -> tuple[int | None, Problem | None]:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    try:
        number = int(str(value).strip())
    except ValueError:
        number = 0
    if not 1 <= number <= 5:
        message = f"The score for {criterion.name.lower()} must be a whole number from 1 (poor) to 5 (strong)"
        return None, Problem(message, field=f"score_{criterion.pk}")
    return number, None


def assessment_save_scores(
    *,
    assessment: Assessment,
    by: User,
    scores: Mapping[int | Criterion, ScoreInput],
    recommendation: str,
    comments: str,
) -> Assessment:
    """Save a draft: any scores given (1–5), justifications, recommendation and comments.

    `scores` maps a criterion (or its id) to {"score": 1–5 or None, "justification": str} or (score, text).
    Blanks are allowed in a draft; submitting checks completeness. Bad values change nothing.
    """
    if not by.has_perm("assessments.score_assessment", assessment):
        raise ApplicationError(NO_PERMISSION)
    conflict = conditions.council_in_bid_message(assessment)
    if conflict:
        raise ApplicationError(conflict)
    if assessment.state != AssessmentState.IN_PROGRESS:
        if assessment.state == AssessmentState.ASSIGNED:
            raise ApplicationError("Declare whether you have a conflict of interest before scoring this bid")
        state = AssessmentState(assessment.state).label.lower()
        raise ApplicationError(f"This assessment is {state}, so its scores can no longer be changed")
    if not conditions.bid_is_in_review(assessment):
        raise ApplicationError(conditions.bid_closed_message(assessment))
    criteria = {criterion.pk: criterion for criterion in assessment.bid.funding_round.criteria.all()}
    problems: list[Problem] = []
    parsed: dict[int, tuple[int | None, str]] = {}
    for key, value in scores.items():
        pk = key.pk if isinstance(key, Criterion) else int(key)
        criterion = criteria.get(pk)
        if criterion is None:
            problems.append(Problem("A score was given for a criterion that is not in this round"))
            continue
        if isinstance(value, Mapping):
            raw_score, justification = value.get("score"), str(value.get("justification") or "")
        else:
            raw_score, justification = value
        number, problem = _parse_score(raw_score, criterion)
        if problem:
            problems.append(problem)
        parsed[pk] = (number, justification.strip())
    recommendation = (recommendation or "").strip()
    if recommendation and recommendation not in Recommendation.values:
        problems.append(Problem("Select fund, fund with conditions or do not fund", field="recommendation"))
    if problems:
        raise ApplicationError(problems[0].message, problems=problems)
    with transaction.atomic():
        locked = Assessment.objects.select_for_update().get(pk=assessment.pk)
        if locked.state != AssessmentState.IN_PROGRESS:
            raise ApplicationError(ASSESSMENT_MACHINE.stale_message)
        existing = {row.criterion_id: row for row in CriterionScore.objects.filter(assessment=assessment)}
        for pk, (number, justification) in parsed.items():
            row = existing.get(pk)
            if row is None:
                CriterionScore.objects.create(
                    assessment=assessment, criterion_id=pk, score=number, justification=justification
                )
            elif (row.score, row.justification) != (number, justification):
                row.score, row.justification = number, justification
                row.save(update_fields=["score", "justification"])
        assessment.recommendation = recommendation
        assessment.comments = (comments or "").strip()
        assessment.save(update_fields=["recommendation", "comments", "updated_at"])
        _forget_prefetched_scores(assessment)
    return assessment


def assessment_submit(
    *,
    assessment: Assessment,
    by: User,
    scores: Mapping[int | Criterion, ScoreInput] | None = None,
    recommendation: str | None = None,
    comments: str | None = None,
) -> Assessment:
    """Submit (optionally saving the form's answers first, in the same transaction: a refusal saves nothing).

    Submission locks the assessment. When it is the bid's last, the bid's scores are aggregated and, with
    nothing to moderate, the bid is marked scored.
    """
    with transaction.atomic():
        if scores is not None:
            assessment_save_scores(
                assessment=assessment,
                by=by,
                scores=scores,
                recommendation=recommendation if recommendation is not None else assessment.recommendation,
                comments=comments if comments is not None else assessment.comments,
            )
        ASSESSMENT_MACHINE.check(assessment, "submit", by)
        bid = _lock_bid(assessment.bid)
        assessment.bid = bid
        _forget_prefetched_scores(assessment)
        problems = conditions.submission_problems(assessment)
        if problems:
            raise ApplicationError("Your assessment is not finished", problems=problems)
        ASSESSMENT_MACHINE.run(assessment, "submit", by=by)
        _refresh_bid_scores(bid)
    return assessment


# --- Conflicts found by the service ----------------------------------------------------------------------


def _mark_conflicted(*, bid: Bid, council: Council, why: Callable[[Bid], str], assessor: User | None = None) -> list:
    """Lock the bid, then mark conflicted — as the service: history `by` empty, the note saying why — every
    assessment of it not yet conflicted whose assessor belongs to `council` (only `assessor`'s, if given); tell
    staff of each and take submitted scores out of the bid's result. Only while the bid is being assessed (in
    review, or returned to draft): a scored or decided bid's assessments are left as they were. The bid is locked
    before its assessments, in the order every other assessment service locks them."""
    with transaction.atomic():
        bid = _lock_bid(bid)
        if bid.state not in (BidState.DRAFT, BidState.IN_REVIEW):
            # Scored or decided: its assessments are the record of how it was judged, which a later membership
            # does not rewrite (nor the score it gave, nor the decision made on it).
            return []
        assessments = Assessment.objects.select_for_update(of=("self",)).filter(
            bid_id=bid.pk, assessor__memberships__council_id=council.pk, state__in=ACTIVE_STATES
        )
        if assessor is not None:
            assessments = assessments.filter(assessor=assessor)
        affected = list(assessments.select_related("assessor").order_by("pk"))
        for assessment in affected:
            assessment.bid = bid
            note = (
                f"Conflict of interest found by the service: {assessment.assessor.full_name} {why(bid)}, "
                "so they can no longer assess it."
            )
            ASSESSMENT_MACHINE.run(assessment, "mark_conflicted", by=None, note=note, details=note)
            notify(
                event=Event.CONFLICT_FOUND,
                recipients=programme_staff(),
                context={
                    **_snapshot(bid),
                    "assessor_name": assessment.assessor.full_name,
                    "council": council.name,
                    "details": note,
                },
                key=f"{Event.CONFLICT_FOUND}:{assessment.pk}",
            )
        if any(a.submitted_at for a in affected) and bid.state == BidState.IN_REVIEW:
            # A submitted assessment no longer counts: the bid waits for another assessor.
            _refresh_bid_scores(bid)
    return affected


def _role_in(bid: Bid, council: Council) -> str:
    return "the lead council" if bid.lead_council_id == council.pk else "a partner"


def assessments_conflict_on_joining(*, bid: Bid, council: Council, by: User | None = None) -> list[Assessment]:
    """A council has become part of `bid` (lead or partner): every assessment of the bid by a member of that
    council that is not already conflicted becomes conflicted and programme staff are told, so they can assign
    someone else. Runs in the caller's transaction (bids send `council_joined_bid` from inside theirs), so the
    partnership and the conflicts are saved together or not at all. `by` made the change (named in the note)."""
    if not Assessment.objects.filter(bid_id=bid.pk, state__in=ACTIVE_STATES).exists():
        return []  # the usual case (a draft nobody has assessed): nothing to lock
    who = f" ({by.full_name} confirmed it)" if by is not None else ""
    return _mark_conflicted(
        bid=bid,
        council=council,
        why=lambda locked: (
            f"is a member of {council}, which became {_role_in(locked, council)} of {locked.reference}{who}"
        ),
    )


def assessments_conflict_on_membership(*, user: User, council: Council) -> list[Assessment]:
    """`user` joined `council`: their assessments of bids the council leads or is a confirmed partner of become
    conflicted, and staff are told. (While the council is only invited, every transition of the assessment is
    refused by `conditions.assessor_council_not_in_bid`; if it confirms, `assessments_conflict_on_joining`
    marks it.)"""
    taking_part = Q(lead_council_id=council.pk) | Q(
        partners__council_id=council.pk, partners__status=PartnerStatus.CONFIRMED
    )
    bids = Bid.objects.filter(
        taking_part, pk__in=Assessment.objects.filter(assessor=user, state__in=ACTIVE_STATES).values("bid_id")
    ).distinct()
    return [
        assessment
        for bid in bids
        for assessment in _mark_conflicted(
            bid=bid,
            council=council,
            assessor=user,
            why=lambda locked: f"joined {council}, which is {_role_in(locked, council)} of {locked.reference}",
        )
    ]


# --- Staff: moderation and reopening --------------------------------------------------------------------


def assessment_reopen(*, assessment: Assessment, by: User, reason: str) -> Assessment:
    """Send a submitted assessment back to its assessor during moderation (the bid waits for it again)."""
    reason = required_text(reason, "Enter why you are reopening this assessment", "reason")
    with transaction.atomic():
        ASSESSMENT_MACHINE.check(assessment, "reopen", by)
        bid = _lock_bid(assessment.bid)
        assessment.bid = bid
        ASSESSMENT_MACHINE.run(assessment, "reopen", by=by, note=reason)
        _refresh_bid_scores(bid)
    return assessment


def moderation_record(*, bid: Bid, criterion: Criterion, score: object, note: str, by: User) -> ModeratedScore:
    """Record staff's score for a criterion on which the assessors diverged; it replaces their mean."""
    if not by.has_perm("assessments.moderate"):
        raise ApplicationError(NO_PERMISSION)
    value = score if isinstance(score, Decimal) else typed_decimal(str(score), places=2)
    if value is None or not value.is_finite() or -value.as_tuple().exponent > 2:
        message = "Enter the moderated score as a number from 1 to 5 with at most two decimal places, like 3 or 3.5"
        raise ApplicationError(message, problems=[Problem(message, field="score")])
    if not Decimal("1") <= value <= Decimal("5"):
        message = "The moderated score must be from 1 (poor) to 5 (strong)"
        raise ApplicationError(message, problems=[Problem(message, field="score")])
    note = required_text(note, "Enter a note explaining the moderated score", "note")
    with transaction.atomic():
        bid = _lock_bid(bid)
        if bid.state != BidState.IN_REVIEW:
            raise ApplicationError(f"{bid.reference} is {bid.get_state_display().lower()}, so it cannot be moderated")
        if criterion.funding_round_id != bid.funding_round_id:
            raise ApplicationError(f"{criterion.name} is not a criterion of {bid.funding_round.name}")
        stored = bid.criterion_scores.get(str(criterion.pk)) or {}
        if not stored.get("divergent"):
            raise ApplicationError(
                f"The assessors' {criterion.name.lower()} scores do not need moderation"
                if stored
                else "Moderation starts once every assessment of this bid is submitted"
            )
        moderated, _created = ModeratedScore.objects.update_or_create(
            bid=bid,
            criterion=criterion,
            defaults={"score": two_places(value), "note": note, "by": by, "at": timezone.now()},
        )
        # The history keeps every moderation (the score row above keeps only the latest).
        AssessmentTransition.objects.create(
            bid=bid,
            transition="moderate",
            by=by,
            at=moderated.at,
            note=f"{criterion.name}: {moderated.score} (the assessors' mean was {stored.get('mean')}). {note}",
        )
        _refresh_bid_scores(bid)
    return moderated


def _refresh_bid_scores(bid: Bid) -> None:
    """Store the bid's result once every assessment is in; mark it scored when nothing is left to moderate.

    Call with the bid row locked (`_lock_bid`) inside the caller's transaction.
    """
    result, assessments, complete = bid_aggregate(bid=bid)
    was_waiting_for_moderation = bid.needs_moderation
    if not complete:
        if bid.final_score is not None or bid.needs_moderation or bid.criterion_scores:
            bid.final_score, bid.needs_moderation, bid.criterion_scores = None, False, {}
            bid.save(update_fields=["final_score", "needs_moderation", "criterion_scores", "updated_at"])
        return
    bid.criterion_scores = result.as_json()
    bid.needs_moderation = result.needs_moderation
    bid.final_score = result.weighted_score
    bid.save(update_fields=["final_score", "needs_moderation", "criterion_scores", "updated_at"])
    if result.needs_moderation:
        # Staff hear once each time the bid's assessments come in divergent, not after each moderated criterion.
        if not was_waiting_for_moderation:
            latest = max(assessment.submitted_at for assessment in assessments)
            notify(
                event=Event.MODERATION_NEEDED,
                recipients=programme_staff(),
                context={**_snapshot(bid), "criteria": [item.criterion.name for item in result.flagged]},
                key=f"{Event.MODERATION_NEEDED}:{bid.pk}:{latest.timestamp()}",
            )
        return
    bid_mark_scored(bid=bid, by=None)


__all__ = [
    "BulkAssignment",
    "assessment_assign",
    "assessment_assign_bulk",
    "assessment_declare",
    "assessment_reopen",
    "assessment_save_scores",
    "assessment_submit",
    "assessment_unassign",
    "assessments_conflict_on_joining",
    "assessments_conflict_on_membership",
    "moderation_record",
]
