"""Read-only admin views of what the syncs stored: the data comes from X, not from people."""

from django.contrib import admin

from metrics.models import (
    AccountDaily,
    AccountMediaDaily,
    AccountSyncDay,
    KeptRead,
    Media,
    MediaDaily,
    MediaMetrics,
    MediaSnapshot,
    Post,
    PostDaily,
    PostLookup,
    PostMedia,
    PostMetrics,
    PostSnapshot,
    SyncRun,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Post)
class PostAdmin(ReadOnlyAdmin):
    list_display = ["x_post_id", "account", "created_at", "text", "promoted", "deleted_at"]
    list_filter = ["promoted", "is_reply"]
    search_fields = ["x_post_id", "text", "account__username"]
    list_select_related = ["account"]


@admin.register(Media)
class MediaAdmin(ReadOnlyAdmin):
    list_display = ["media_key", "account", "type", "duration_ms"]
    list_filter = ["type"]
    search_fields = ["media_key", "account__username"]
    list_select_related = ["account"]


@admin.register(SyncRun)
class SyncRunAdmin(ReadOnlyAdmin):
    list_display = [
        "account", "started_at", "finished_at", "outcome", "pages_done", "pages_planned",
        "billed_post_reads", "estimated_dollars", "error",
    ]  # fmt: skip
    list_filter = ["outcome"]
    search_fields = ["account__username"]
    list_select_related = ["account"]


@admin.register(PostLookup)
class PostLookupAdmin(ReadOnlyAdmin):
    list_display = [
        "account", "x_post_id", "requested_at", "billed_post_reads", "estimated_dollars",
    ]  # fmt: skip
    search_fields = ["account__username"]
    list_select_related = ["account"]


for model in (
    PostMedia,
    PostMetrics,
    PostSnapshot,
    PostDaily,
    MediaMetrics,
    MediaSnapshot,
    MediaDaily,
    AccountDaily,
    AccountMediaDaily,
    AccountSyncDay,
    KeptRead,
):
    admin.site.register(model, ReadOnlyAdmin)
