"""Assignments of assessors to bids, their scores, moderation, and the assessment state machine."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django_fsm import ConcurrentTransitionMixin, FSMField, FSMModelMixin, transition

from assessments import conditions
from assessments.choices import TRANSITION_LABELS, AssessmentState, Recommendation, Score
from bids.models import Bid, Criterion
from core.models import TransitionRecord


class Assessment(ConcurrentTransitionMixin, FSMModelMixin, models.Model):
    bid = models.ForeignKey(Bid, on_delete=models.CASCADE, related_name="assessments")
    assessor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assessments")
    state = FSMField(choices=AssessmentState.choices, default=AssessmentState.ASSIGNED, protected=True, db_index=True)
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    assigned_at = models.DateTimeField(default=timezone.now)
    declared_at = models.DateTimeField(
        null=True, blank=True, help_text="When the assessor declared a conflict of interest, or that they had none"
    )
    conflict_details = models.TextField(blank=True)
    recommendation = models.CharField(max_length=30, choices=Recommendation.choices, blank=True)
    comments = models.TextField(blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["bid", "assigned_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["bid", "assessor"], name="unique_assessor_per_bid")]

    def __str__(self) -> str:
        return f"{self.assessor} on {self.bid.reference}"

    # --- The state machine. Transitions only change this row's fields; services save and record history.

    @transition(
        field=state,
        source=AssessmentState.ASSIGNED,
        target=AssessmentState.IN_PROGRESS,
        conditions=[conditions.bid_is_in_review, conditions.assessor_council_not_in_bid],
        permission="assessments.declare_assessment",
    )
    def declare_no_conflict(self) -> None:
        self.declared_at = timezone.now()

    @transition(
        field=state,
        source=AssessmentState.ASSIGNED,
        target=AssessmentState.CONFLICTED,
        permission="assessments.declare_assessment",
    )
    def declare_conflict(self, *, details: str) -> None:
        self.declared_at = timezone.now()
        self.conflict_details = details

    @transition(
        field=state,
        source=AssessmentState.IN_PROGRESS,
        target=AssessmentState.SUBMITTED,
        conditions=[
            conditions.bid_is_in_review,
            conditions.assessor_council_not_in_bid,
            conditions.scores_are_complete,
        ],
        permission="assessments.submit_assessment",
    )
    def submit(self) -> None:
        self.submitted_at = timezone.now()

    @transition(
        field=state,
        source=AssessmentState.SUBMITTED,
        target=AssessmentState.IN_PROGRESS,
        conditions=[conditions.bid_is_in_review, conditions.assessor_council_not_in_bid],
        permission="assessments.reopen_assessment",
    )
    def reopen(self) -> None:
        self.submitted_at = None

    @transition(
        field=state,
        source=[AssessmentState.ASSIGNED, AssessmentState.IN_PROGRESS, AssessmentState.SUBMITTED],
        target=AssessmentState.CONFLICTED,
        permission=lambda assessment, user: False,  # the service itself, never a person (run with by=None)
    )
    def mark_conflicted(self, *, details: str) -> None:
        """The assessor's council joined the bid after they were assigned: the service records the conflict."""
        self.conflict_details = details


class CriterionScore(models.Model):
    """One assessor's score for one criterion, with the justification the scale demands."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="criterion_scores")
    criterion = models.ForeignKey(Criterion, on_delete=models.CASCADE, related_name="+")
    # Empty while the assessment is a draft; the submit condition requires it.
    score = models.PositiveSmallIntegerField(choices=Score.choices, null=True, blank=True)
    justification = models.TextField(blank=True)

    class Meta:
        ordering = ["assessment", "criterion__position", "criterion_id"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "criterion"], name="unique_score_per_criterion"),
            models.CheckConstraint(
                condition=models.Q(score__isnull=True) | models.Q(score__gte=1, score__lte=5),
                name="score_between_1_and_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.criterion.name}: {self.score}"


class ModeratedScore(models.Model):
    """Programme staff's score for a criterion where assessors diverged; it replaces the assessors' mean."""

    bid = models.ForeignKey(Bid, on_delete=models.CASCADE, related_name="moderated_scores")
    criterion = models.ForeignKey(Criterion, on_delete=models.CASCADE, related_name="+")
    score = models.DecimalField(
        max_digits=3,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("1")), MaxValueValidator(Decimal("5"))],
    )
    note = models.TextField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["bid", "criterion__position", "criterion_id"]
        constraints = [
            models.UniqueConstraint(fields=["bid", "criterion"], name="unique_moderation_per_criterion"),
            models.CheckConstraint(condition=models.Q(score__gte=1, score__lte=5), name="moderated_between_1_and_5"),
        ]

    def __str__(self) -> str:
        return f"{self.bid_id} {self.criterion.name}: {self.score} (moderated)"


class AssessmentTransition(TransitionRecord):
    """One row per assessment state change, written in the same transaction as the change.

    Unassignment deletes the assessment (its draft scores go with it) but leaves a row here, keyed by bid and
    assessor, so the history survives. Moderation belongs to the bid, not to one assessor: its rows have no
    assessor or assessment.
    """

    assessment = models.ForeignKey(Assessment, on_delete=models.SET_NULL, null=True, blank=True, related_name="history")
    bid = models.ForeignKey(Bid, on_delete=models.CASCADE, related_name="assessment_history")
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    source_state = models.CharField(max_length=20, choices=AssessmentState.choices, blank=True)
    target_state = models.CharField(max_length=20, choices=AssessmentState.choices, blank=True)
    # On an unassignment, the id the deleted assessment had: its pages tell the assessor it was taken away.
    unassigned_assessment_id = models.PositiveBigIntegerField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["bid", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.bid_id}/{self.assessor_id}: {self.transition}"

    @property
    def label(self) -> str:
        return TRANSITION_LABELS.get(self.transition, self.transition)
