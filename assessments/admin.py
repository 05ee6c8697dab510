from django.contrib import admin

from assessments.models import Assessment


@admin.register(Assessment)
class AssessmentAdmin(admin.ModelAdmin):
    list_display = ["bid", "assessor", "state", "assigned_at", "submitted_at"]
    list_filter = ["state"]
    list_select_related = ["bid", "assessor"]
    readonly_fields = ["state"]
