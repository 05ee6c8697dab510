"""Permission predicates for assessments. Each is also called with obj=None by Django's global check."""

from __future__ import annotations

import rules

from assessments.choices import AssessmentState
from core.rules import is_programme_staff


@rules.predicate
def is_assessment_assessor(user, assessment) -> bool:
    return (
        assessment is not None
        and getattr(user, "is_authenticated", False)
        and user.is_active
        and assessment.assessor_id == user.pk
    )


@rules.predicate
def has_declared_no_conflict(user, assessment) -> bool:
    """Only after declaring no conflict may an assessor read the bid; a conflicted assessor never does."""
    return assessment is not None and assessment.state in (AssessmentState.IN_PROGRESS, AssessmentState.SUBMITTED)


@rules.predicate
def has_submitted(user, assessment) -> bool:
    """Blind scoring: other assessors' scores are hidden until the assessor has submitted their own."""
    return assessment is not None and assessment.state == AssessmentState.SUBMITTED


@rules.predicate
def is_assessor_or_has_assessed(user) -> bool:
    """An assessor, or anyone who has been assigned an assessment (kept after their role changes)."""
    return bool(getattr(user, "is_authenticated", False) and (user.is_assessor or user.assessments.exists()))


rules.add_perm("assessments.view_own_assessments", is_assessor_or_has_assessed)
rules.add_perm("assessments.view_assessment", is_assessment_assessor | is_programme_staff)
rules.add_perm("assessments.declare_assessment", is_assessment_assessor)
rules.add_perm("assessments.score_assessment", is_assessment_assessor)
rules.add_perm("assessments.submit_assessment", is_assessment_assessor)
rules.add_perm("assessments.view_bid_content", (is_assessment_assessor & has_declared_no_conflict) | is_programme_staff)
rules.add_perm("assessments.view_other_scores", (is_assessment_assessor & has_submitted) | is_programme_staff)
rules.add_perm("assessments.reopen_assessment", is_programme_staff)
rules.add_perm("assessments.assign", is_programme_staff)
rules.add_perm("assessments.moderate", is_programme_staff)
