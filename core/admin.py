"""What every app's Django admin shares: history is read, never written, here (each transition writes its own row
through the services), and records that only services may change are shown read-only."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError

HISTORY_FIELDS = ["at", "transition", "source_state", "target_state", "by", "note"]


class RefusesUnknownRows:
    """An action sent with rows that are not rows of the list (a tampered form, or a stale one whose row has
    gone) is refused with a message, and nothing is done: Django's admin would put an id that is not a number
    straight into the query (a server error), and act on the rows that remain of the others."""

    def response_action(self, request, queryset):
        try:
            ids = {self.model._meta.pk.to_python(value) for value in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)}
        except ValidationError:
            ids = None
        if ids is None or queryset.filter(pk__in=ids).count() != len(ids):
            self.message_user(request, "Those rows were not recognised. Choose them again.", messages.ERROR)
            return None  # the changelist is shown again, with the message
        return super().response_action(request, queryset)


class ServiceAdmin(RefusesUnknownRows, admin.ModelAdmin):
    """Every model's admin in this service starts here."""


class NotAddedHereAdmin(ServiceAdmin):
    """A model whose rows only a service creates (with the rules it keeps): never added in admin."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyAdmin(NotAddedHereAdmin):
    """A model every change of which goes through a service (and its rules): shown, never added, changed or
    deleted in admin."""

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


class ReadOnlyInline(admin.TabularInline):
    """Rows under their object that only a service writes: shown, never added or deleted here (set `fields`, or
    `readonly_fields` for every field shown)."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def get_readonly_fields(self, request, obj=None):
        return self.fields or self.readonly_fields


class HistoryInline(ReadOnlyInline):
    """A state machine's history under its object, oldest first, read-only."""

    fields = HISTORY_FIELDS
