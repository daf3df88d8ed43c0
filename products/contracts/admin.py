from django.contrib import admin

from portal.admin_tools import run_per_row
from products.contracts import services
from products.contracts.models import Declassification, SchemaVersion


@admin.register(SchemaVersion)
class SchemaVersionAdmin(admin.ModelAdmin):
    """Versions are the record of what consumers were promised: read-only here; a scheduled one may be cancelled."""

    list_display = ["port", "version", "level", "status", "author", "created_at", "effective_at"]
    list_filter = ["status", "level", "port__product__domain"]
    search_fields = ["port__name", "port__product__name", "version"]
    list_select_related = ["port__product", "author"]
    readonly_fields = [field.name for field in SchemaVersion._meta.fields]
    actions = ["cancel_selected"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return request.method == "GET" and super().has_change_permission(request, obj)

    @admin.action(description="Cancel the selected scheduled changes (as me)")
    def cancel_selected(self, request, queryset):
        run_per_row(
            self,
            request,
            queryset,
            lambda obj: services.schema_change_cancel(actor=request.user, version=obj),
            "Cancelled",
        )


@admin.register(Declassification)
class DeclassificationAdmin(admin.ModelAdmin):
    list_display = ["field", "from_classification", "to_classification", "status", "requested_by", "decided_by"]
    list_filter = ["status", "to_classification"]
    search_fields = ["field__name", "field__port__name", "field__port__product__name"]
    list_select_related = ["field__port__product", "requested_by", "decided_by"]
    readonly_fields = [field.name for field in Declassification._meta.fields]
    actions = ["approve_selected", "reject_selected"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Approve the selected declassifications (as me; never your own)")
    def approve_selected(self, request, queryset):
        run_per_row(
            self,
            request,
            queryset,
            lambda obj: services.declassification_decide(actor=request.user, declassification=obj, approve=True),
            "Approved",
        )

    @admin.action(description="Reject the selected declassifications (as me)")
    def reject_selected(self, request, queryset):
        run_per_row(
            self,
            request,
            queryset,
            lambda obj: services.declassification_decide(actor=request.user, declassification=obj, approve=False),
            "Rejected",
        )
