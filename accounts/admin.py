from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts.models import AuditEvent, Invitation, Membership, Team, User, XAccount, XCredential


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "name", "is_staff", "is_active", "date_joined"]
    search_fields = ["email", "name"]
    fieldsets = [
        (None, {"fields": ["email", "password", "name"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "time_zone", "created_at"]
    search_fields = ["name", "slug"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "team", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__email", "team__name"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    # The token digest is deliberately not shown.
    list_display = ["email", "team", "role", "status", "created_at", "expires_at"]
    search_fields = ["email", "team__name"]
    exclude = ["token_digest"]
    readonly_fields = ["accepted_at", "accepted_by"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "team", "actor_email", "verb", "target"]
    list_filter = ["verb"]
    search_fields = ["actor_email", "target", "team__name"]

    # An audit log is append-only: no one edits, adds or deletes events by hand.
    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(XAccount)
class XAccountAdmin(admin.ModelAdmin):
    list_display = ["username", "team", "auth_method", "status", "connected_at"]
    list_filter = ["status", "auth_method"]
    search_fields = ["username", "x_user_id", "team__name"]


@admin.register(XCredential)
class XCredentialAdmin(admin.ModelAdmin):
    # Tokens are never shown, not even masked; only their metadata.
    list_display = ["account", "scopes", "expires_at", "version", "updated_at"]
    fields = ["account", "scopes", "expires_at", "version", "updated_at"]
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
