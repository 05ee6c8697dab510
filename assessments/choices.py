"""States and options for assessments."""

from django.db import models

from core.choices import TaggedChoices


class AssessmentState(TaggedChoices):
    ASSIGNED = "assigned", "Assigned", "grey"
    IN_PROGRESS = "in_progress", "In progress", "light-blue"
    SUBMITTED = "submitted", "Submitted", "green"
    CONFLICTED = "conflicted", "Conflict declared", "red"


# Assessments that count towards a bid's assessors (a declared conflict frees the place for someone else).
ACTIVE_STATES = (AssessmentState.ASSIGNED, AssessmentState.IN_PROGRESS, AssessmentState.SUBMITTED)
# Assessments whose assessor has declared no conflict, so may read the bid.
DECLARED_STATES = (AssessmentState.IN_PROGRESS, AssessmentState.SUBMITTED)


class Score(models.IntegerChoices):
    """The MHCLG scale: every score needs a written justification."""

    STRONG = 5, "Strong"
    GOOD = 4, "Good"
    SATISFACTORY = 3, "Satisfactory"
    PARTIAL = 2, "Partial"
    POOR = 1, "Poor"


SCORE_MEANINGS = {
    Score.STRONG: "Fully meets the criterion with convincing evidence; no weaknesses of note",
    Score.GOOD: "Meets the criterion well; minor weaknesses",
    Score.SATISFACTORY: "Meets the criterion adequately; some weaknesses",
    Score.PARTIAL: "Partly meets the criterion; significant weaknesses or gaps in evidence",
    Score.POOR: "Does not meet the criterion, or gives little or no evidence",
}


class Recommendation(models.TextChoices):
    FUND = "fund", "Fund"
    FUND_WITH_CONDITIONS = "fund_with_conditions", "Fund with conditions"
    DO_NOT_FUND = "do_not_fund", "Do not fund"


# How each recorded change reads in the history.
TRANSITION_LABELS = {
    "assign": "Assigned",
    "unassign": "Unassigned",
    "declare_no_conflict": "Declared no conflict of interest",
    "declare_conflict": "Declared a conflict of interest",
    "mark_conflicted": "Conflict of interest found by the service",
    "submit": "Submitted",
    "reopen": "Reopened",
    "moderate": "Moderated score recorded",
}
