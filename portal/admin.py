from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from portal.models import AuditEvent, Notification

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


# Users keep Django's admin; search is needed for the autocomplete fields elsewhere.
admin.site.unregister(User)


@admin.register(User)
class PortalUserAdmin(UserAdmin):
    search_fields = ["username", "first_name", "last_name", "email"]
