from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from portal.admin_tools import run_per_row
from portal.models import ApiToken, AuditEvent, Notification
from portal.services import api_token_revoke

User = get_user_model()


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "actor", "action", "target_type", "target_label", "from_state", "to_state"]
    list_filter = ["action", "target_type"]
    search_fields = ["target_label", "target_id", "actor__username", "comment"]
    date_hierarchy = "at"
    list_select_related = ["actor"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "recipient", "kind", "title", "read_at", "emailed_at"]
    list_filter = ["kind", "read_at"]
    search_fields = ["title", "recipient__username"]
    list_select_related = ["recipient"]
    raw_id_fields = ["recipient"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Who holds which API token, and revoking one (a leaked token, someone who left). Never a key or a digest:
    keys are not stored, and tokens are made by their owners only, on their page or through the API."""

    list_display = ["name", "user", "token_key", "read_only", "created", "expiry", "last_used_at"]
    list_filter = ["read_only", ("expiry", admin.EmptyFieldListFilter)]
    search_fields = ["name", "token_key", "user__username"]
    list_select_related = ["user"]
    fields = readonly_fields = ["name", "user", "token_key", "read_only", "created", "expiry", "last_used_at"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # revoking goes through the service (the "revoke" action), which writes the audit row

    def has_revoke_permission(self, request):
        return request.user.has_perm("portal.delete_apitoken")

    @admin.action(description="Revoke the selected API tokens", permissions=["revoke"])
    def revoke(self, request, queryset):
        run_per_row(self, request, queryset, lambda token: api_token_revoke(actor=request.user, token=token), "Revoked")


# Users keep Django's admin; search is needed for the autocomplete fields elsewhere.
admin.site.unregister(User)


@admin.register(User)
class PortalUserAdmin(UserAdmin):
    search_fields = ["username", "first_name", "last_name", "email"]
