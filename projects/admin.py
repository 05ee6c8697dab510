"""Django admin for projects: read-only, because every change goes through the services (and their rules)."""

from __future__ import annotations

from django.contrib import admin

from core.admin import HistoryInline, ReadOnlyAdmin
from projects.models import (
    BudgetLine,
    Milestone,
    MonitoringReport,
    Payment,
    Project,
    ProjectCertifier,
    ProjectOutput,
    ProjectTransition,
    ReportTransition,
    Reuse,
    Variation,
)


class ProjectTransitionInline(HistoryInline):
    model = ProjectTransition


@admin.register(Project)
class ProjectAdmin(ReadOnlyAdmin):
    list_display = ["reference", "title", "lead_council", "state", "award_amount", "accepted_at"]
    list_filter = ["state", "bid__funding_round"]
    list_select_related = ["lead_council"]
    search_fields = ["reference", "title", "lead_council__official_name"]
    inlines = [ProjectTransitionInline]


@admin.register(MonitoringReport)
class MonitoringReportAdmin(ReadOnlyAdmin):
    list_display = ["project", "due_date", "kind", "state", "rag"]
    list_filter = ["state", "kind", "rag"]
    list_select_related = ["project"]


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["project", "milestone", "amount", "status", "proposed_by", "approved_by", "paid_on"]
    list_filter = ["status"]
    list_select_related = ["project", "milestone", "proposed_by", "approved_by"]


@admin.register(BudgetLine)
class BudgetLineAdmin(ReadOnlyAdmin):
    list_display = ["project", "description", "payer", "amount"]
    list_select_related = ["project"]


for model in (Milestone, ProjectCertifier, ProjectOutput, ProjectTransition, ReportTransition, Reuse, Variation):
    admin.site.register(model, ReadOnlyAdmin)
