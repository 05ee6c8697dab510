from django.contrib import admin

from collaboration.models import BidTextIndex, JoinRequest, PartnerCall
from core.admin import NotAddedHereAdmin, ReadOnlyAdmin, ReadOnlyInline, ServiceAdmin


class JoinRequestInline(ReadOnlyInline):
    model = JoinRequest
    fields = ["council", "by", "status", "created_at", "decided_by", "decided_at", "reason"]


@admin.register(PartnerCall)
class PartnerCallAdmin(ServiceAdmin):
    list_display = ["bid", "title", "status", "join_by", "opened_at", "closed_reason"]
    list_filter = ["status", "closed_reason"]
    search_fields = ["bid__reference", "title"]
    readonly_fields = ["bid", "opened_by", "opened_at", "closed_at", "closed_by", "closed_reason", "version", "stale"]
    exclude = ["vector", "terms", "marked_at"]
    inlines = [JoinRequestInline]


@admin.register(BidTextIndex)
class BidTextIndexAdmin(NotAddedHereAdmin):
    list_display = ["bid", "stale", "indexed_at", "overlap_count"]
    list_filter = ["stale"]
    search_fields = ["bid__reference"]
    fields = ["bid", "stale", "marked_at", "indexed_at", "overlaps", "overlap_count", "text_hash", "version"]
    readonly_fields = fields


@admin.register(JoinRequest)
class JoinRequestAdmin(ReadOnlyAdmin):
    """Councils' requests to join a bid: made and decided in the service (the lead council decides)."""

    list_display = ["call", "council", "status", "created_at", "decided_at"]
    list_filter = ["status"]
    list_select_related = ["call__bid", "council"]
    search_fields = ["call__bid__reference", "council__official_name"]
