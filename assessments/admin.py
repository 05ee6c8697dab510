"""Django admin for assessments: read-mostly, because every change of state goes through the services."""

from django.contrib import admin

from assessments.models import Assessment, AssessmentTransition, CriterionScore, ModeratedScore
from core.admin import HistoryAdmin, HistoryInline, NotAddedHereAdmin, ReadOnlyAdmin, ReadOnlyInline


class CriterionScoreInline(ReadOnlyInline):
    model = CriterionScore
    fields = ["criterion", "score", "justification"]


class AssessmentTransitionInline(HistoryInline):
    model = AssessmentTransition


@admin.register(Assessment)
class AssessmentAdmin(NotAddedHereAdmin):
    """Assignment checks own-council conflicts and the per-bid limit: assessors are assigned on the staff pages."""

    list_display = ["bid", "assessor", "state", "assigned_at", "submitted_at"]
    list_filter = ["state", "bid__funding_round"]
    list_select_related = ["bid", "assessor"]
    search_fields = ["bid__reference", "assessor__email", "assessor__full_name"]
    readonly_fields = [
        "bid",
        "assessor",
        "state",
        "assigned_by",
        "assigned_at",
        "declared_at",
        "conflict_details",
        "recommendation",
        "comments",
        "submitted_at",
    ]
    inlines = [CriterionScoreInline, AssessmentTransitionInline]


@admin.register(ModeratedScore)
class ModeratedScoreAdmin(ReadOnlyAdmin):
    list_display = ["bid", "criterion", "score", "by", "at"]
    list_select_related = ["bid", "criterion", "by"]


@admin.register(CriterionScore)
class CriterionScoreAdmin(ReadOnlyAdmin):
    list_display = ["assessment", "criterion", "score"]
    list_select_related = ["assessment__bid", "assessment__assessor", "criterion"]


@admin.register(AssessmentTransition)
class AssessmentTransitionAdmin(HistoryAdmin):
    subject = "assessment"
    list_select_related = ["assessment__bid", "assessment__assessor", "by"]
