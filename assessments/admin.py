"""Django admin for assessments: read-mostly, because every change of state goes through the services."""

from django.contrib import admin

from assessments.models import Assessment, AssessmentTransition, CriterionScore, ModeratedScore
from core.admin import HistoryAdmin, HistoryInline


class CriterionScoreInline(admin.TabularInline):
    model = CriterionScore
    extra = 0
    can_delete = False
    readonly_fields = ["criterion", "score", "justification"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class AssessmentTransitionInline(HistoryInline):
    model = AssessmentTransition


@admin.register(Assessment)
class AssessmentAdmin(admin.ModelAdmin):
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

    def has_add_permission(self, request) -> bool:
        # Assignment checks own-council conflicts and the per-bid limit: use the staff pages.
        return False


@admin.register(ModeratedScore)
class ModeratedScoreAdmin(admin.ModelAdmin):
    list_display = ["bid", "criterion", "score", "by", "at"]
    list_select_related = ["bid", "criterion", "by"]
    readonly_fields = ["bid", "criterion", "score", "note", "by", "at"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(CriterionScore)
class CriterionScoreAdmin(admin.ModelAdmin):
    list_display = ["assessment", "criterion", "score"]
    list_select_related = ["assessment__bid", "assessment__assessor", "criterion"]
    readonly_fields = ["assessment", "criterion", "score", "justification"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(AssessmentTransition)
class AssessmentTransitionAdmin(HistoryAdmin):
    subject = "assessment"
    list_select_related = ["assessment__bid", "assessment__assessor", "by"]
