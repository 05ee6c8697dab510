"""Assignments of assessors to bids, their scores, and moderation."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django_fsm import ConcurrentTransitionMixin, FSMField, FSMModelMixin

from assessments.choices import AssessmentState
from bids.models import Bid


class Assessment(ConcurrentTransitionMixin, FSMModelMixin, models.Model):
    bid = models.ForeignKey(Bid, on_delete=models.CASCADE, related_name="assessments")
    assessor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assessments")
    state = FSMField(choices=AssessmentState.choices, default=AssessmentState.ASSIGNED, protected=True, db_index=True)
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    assigned_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["bid", "assigned_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["bid", "assessor"], name="unique_assessor_per_bid")]

    def __str__(self) -> str:
        return f"{self.assessor} on {self.bid.reference}"
