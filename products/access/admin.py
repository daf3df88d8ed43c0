from django.contrib import admin

from portal.admin_tools import run_per_row
from portal.services import audit_record
from products.access import services
from products.access.models import AccessApproval, AccessGrant, AccessRequest, Clearance
from products.admin import WarehouseAdmin
from products.models import Warehouse


@admin.register(Clearance)
class ClearanceAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "granted_by", "granted_at", "expires_at"]
    list_filter = ["kind", "expires_at"]
    search_fields = ["user__username", "user__email", "note"]
    autocomplete_fields = ["user"]
    readonly_fields = ["granted_by"]

    def save_model(self, request, obj, form, change):
        obj.granted_by = request.user
        super().save_model(request, obj, form, change)
        audit_record(
            actor=request.user,
            action="clearance.change" if change else "clearance.grant",
            target=obj,
            data={"kind": obj.kind, "expires_at": obj.expires_at.isoformat()},
        )


class AccessApprovalInline(admin.TabularInline):
    model = AccessApproval
    extra = 0
    can_delete = False
    readonly_fields = ["approver", "note", "at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(AccessRequest)
class AccessRequestAdmin(admin.ModelAdmin):
    list_display = ["id", "requester", "port", "status", "duration_days", "wants_unmasked_pii", "created_at"]
    list_filter = ["status", "wants_unmasked_pii", "upgrades", "duration_days", "port__product__domain"]
    search_fields = ["requester__username", "port__name", "port__product__name", "purpose"]
    list_select_related = ["requester", "port", "port__product"]
    readonly_fields = [
        "status",
        "upgrades",
        "approvals_required",
        "decided_at",
        "decided_by",
        "decision_note",
        "reminded_at",
    ]
    autocomplete_fields = ["requester", "port"]
    raw_id_fields = ["renewal_of"]
    inlines = [AccessApprovalInline]
    actions = ["approve_selected", "reject_selected"]

    @admin.action(description="Approve the selected requests (as me)")
    def approve_selected(self, request, queryset):
        run_per_row(
            self,
            request,
            queryset,
            lambda obj: services.access_request_approve(actor=request.user, access_request=obj, note="Via admin."),
            "Approved",
        )

    @admin.action(description="Reject the selected requests (as me)")
    def reject_selected(self, request, queryset):
        run_per_row(
            self,
            request,
            queryset,
            lambda obj: services.access_request_reject(actor=request.user, access_request=obj, note="Via admin."),
            "Rejected",
        )


@admin.register(AccessGrant)
class AccessGrantAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "port", "status", "expires_at", "unmasked_pii", "provisioning_state"]
    list_filter = ["status", "provisioning_state", "unmasked_pii", "port__product__domain"]
    search_fields = ["user__username", "port__name", "port__product__name", "provisioning_error"]
    list_select_related = ["user", "port", "port__product"]
    readonly_fields = [f.name for f in AccessGrant._meta.fields]
    actions = ["revoke_selected", "sync_selected"]

    def has_add_permission(self, request):
        return False  # grants come from approved requests only

    @admin.action(description="Revoke the selected grants (as me)")
    def revoke_selected(self, request, queryset):
        run_per_row(
            self,
            request,
            queryset,
            lambda obj: services.grant_revoke(actor=request.user, grant=obj, reason="Revoked via admin."),
            "Revoked",
        )

    @admin.action(description="Provision / deprovision now")
    def sync_selected(self, request, queryset):
        run_per_row(self, request, queryset, lambda obj: services.grant_provisioning_sync(obj.pk), "Synchronised")


# The catalog registers warehouses; provisioning them is access's business, so the action is added here.
admin.site.unregister(Warehouse)


@admin.register(Warehouse)
class ProvisionedWarehouseAdmin(WarehouseAdmin):
    actions = ["provision_checkers"]

    @admin.action(description="Provision the checker roles of quality checks")
    def provision_checkers(self, request, queryset):
        run_per_row(
            self,
            request,
            queryset,
            lambda warehouse: services.warehouse_checkers_provision(actor=request.user, warehouse=warehouse),
            "Checker roles provisioned",
        )
