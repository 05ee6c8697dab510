from django.contrib import admin

from collaboration.models import BidTextIndex, JoinRequest, PartnerCall


class JoinRequestInline(admin.TabularInline):
    model = JoinRequest
    extra = 0
    fields = ["council", "by", "status", "created_at", "decided_by", "decided_at", "reason"]
    readonly_fields = fields
    can_delete = False


@admin.register(PartnerCall)
class PartnerCallAdmin(admin.ModelAdmin):
    list_display = ["bid", "title", "status", "join_by", "opened_at", "closed_reason"]
    list_filter = ["status", "closed_reason"]
    search_fields = ["bid__reference", "title"]
    readonly_fields = ["bid", "opened_by", "opened_at", "closed_at", "closed_by", "closed_reason", "version", "stale"]
    exclude = ["vector", "terms", "marked_at"]
    inlines = [JoinRequestInline]


@admin.register(BidTextIndex)
class BidTextIndexAdmin(admin.ModelAdmin):
    list_display = ["bid", "stale", "indexed_at", "overlap_count"]
    list_filter = ["stale"]
    search_fields = ["bid__reference"]
    fields = ["bid", "stale", "marked_at", "indexed_at", "overlaps", "overlap_count", "text_hash", "version"]
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False
