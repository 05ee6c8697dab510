from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from core.admin import ReadOnlyAdmin, RefusesUnknownRows, ServiceAdmin
from councils.models import Council, Membership, PasswordResetRequest, User


@admin.register(Council)
class CouncilAdmin(ServiceAdmin):
    list_display = [
        "official_name",
        "short_name",
        "register_code",
        "gss_code",
        "council_type",
        "region",
        "declaration_signed_on",
    ]
    list_filter = ["council_type", "region"]
    search_fields = ["short_name", "official_name", "register_code", "gss_code"]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["council"]


@admin.register(User)
class UserAdmin(RefusesUnknownRows, BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "role", "is_active"]
    list_filter = ["role", "is_active"]
    search_fields = ["email", "full_name"]
    inlines = [MembershipInline]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Person", {"fields": ["full_name", "role"]}),
        ("Access", {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "full_name", "role", "password1", "password2"]})]
    filter_horizontal = ["groups"]


@admin.register(Membership)
class MembershipAdmin(ServiceAdmin):
    list_display = ["user", "council", "joined_at"]
    autocomplete_fields = ["user", "council"]
    search_fields = ["user__email", "council__official_name", "council__short_name"]


@admin.register(PasswordResetRequest)
class PasswordResetRequestAdmin(ReadOnlyAdmin):
    """Requests a worker has not yet handled (normally none for more than a moment): a queue, not a record.
    The address is not listed: it may be anyone's, account or not."""

    list_display = ["requested_at"]
    fields = ["requested_at"]
