"""What every app's Django admin shares: history is read, never written, here (each transition writes its own row
through the services), and records that only services may change are shown read-only."""

from __future__ import annotations

from django.contrib import admin

HISTORY_FIELDS = ["at", "transition", "source_state", "target_state", "by", "note"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """A model every change of which goes through a service (and its rules): shown, never added, changed or
    deleted in admin."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class HistoryAdmin(ReadOnlyAdmin):
    """A state machine's history (a `core.models.TransitionRecord`): set `list_display`'s first column (the
    object) with `subject`."""

    subject = ""
    list_filter = ["transition", "target_state"]

    def get_list_display(self, request):
        return [self.subject, "transition", "source_state", "target_state", "by", "at"]


class HistoryInline(admin.TabularInline):
    """A state machine's history under its object, oldest first, read-only."""

    extra = 0
    can_delete = False
    fields = HISTORY_FIELDS
    readonly_fields = HISTORY_FIELDS

    def has_add_permission(self, request, obj=None) -> bool:
        return False
