"""States and options for assessments."""

from django.db import models


class AssessmentState(models.TextChoices):
    ASSIGNED = "assigned", "Assigned"
    IN_PROGRESS = "in_progress", "In progress"
    SUBMITTED = "submitted", "Submitted"
    CONFLICTED = "conflicted", "Conflict declared"
