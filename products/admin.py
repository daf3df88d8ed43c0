from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied

from portal.errors import DomainError
from portal.services import audit_record
from products import permissions, services
from products.models import (
    AccessApproval,
    AccessGrant,
    AccessRequest,
    Clearance,
    DataProduct,
    Domain,
    LineageEdge,
    Membership,
    OutboxEvent,
    OutputPort,
    SchemaField,
    Subscription,
    Tag,
    Team,
    Warehouse,
    WebhookEndpoint,
)


@admin.register(Domain)
class DomainAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "domain", "slug"]
    list_filter = ["domain"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "team", "role", "joined_at"]
    list_filter = ["role", "team__domain", "team"]
    search_fields = ["user__username", "team__name"]
    autocomplete_fields = ["user", "team"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ["name"]


class OutputPortInline(admin.StackedInline):
    model = OutputPort
    extra = 0
    show_change_link = True


class SchemaFieldInline(admin.TabularInline):
    model = SchemaField
    extra = 0


@admin.register(OutputPort)
class OutputPortAdmin(admin.ModelAdmin):
    list_display = ["name", "product", "kind", "version", "location"]
    list_filter = ["kind", "product__domain"]
    search_fields = ["name", "location", "product__name"]
    autocomplete_fields = ["product"]
    inlines = [SchemaFieldInline]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(product__in=DataProduct.objects.visible_to(request.user))


@admin.register(SchemaField)
class SchemaFieldAdmin(admin.ModelAdmin):
    list_display = ["name", "port", "data_type", "nullable", "classification"]
    list_filter = ["classification", "nullable", "data_type"]
    search_fields = ["name", "description", "port__product__name"]
    list_select_related = ["port", "port__product"]


@admin.action(description="Publish the selected products")
def publish_products(modeladmin, request, queryset):
    _transition(modeladmin, request, queryset, DataProduct.Status.PUBLISHED)


@admin.action(description="Deprecate the selected products")
def deprecate_products(modeladmin, request, queryset):
    _transition(modeladmin, request, queryset, DataProduct.Status.DEPRECATED)


@admin.action(description="Retire the selected products")
def retire_products(modeladmin, request, queryset):
    _transition(modeladmin, request, queryset, DataProduct.Status.RETIRED)


def _transition(modeladmin, request, queryset, to_status: str) -> None:
    """Admin actions go through the same lifecycle service as the pages and the API, one product at a time."""
    done = 0
    for product in queryset:
        try:
            services.product_change_status(actor=request.user, product=product, to_status=to_status)
        except (DomainError, PermissionDenied) as error:
            modeladmin.message_user(request, f"{product}: {error}", messages.ERROR)
        else:
            done += 1
    if done:
        modeladmin.message_user(request, f"{done} product(s) are now {to_status}.", messages.SUCCESS)


@admin.register(DataProduct)
class DataProductAdmin(admin.ModelAdmin):
    list_display = ["name", "domain", "owner_team", "status", "classification", "updated_at"]
    list_filter = ["status", "classification", "domain", "owner_team", "tags"]
    search_fields = ["name", "slug", "urn", "summary"]
    readonly_fields = ["urn", "status", "published_at", "quality_score", "created_at", "updated_at"]
    autocomplete_fields = ["accountable", "tags"]
    list_select_related = ["domain", "owner_team"]
    inlines = [OutputPortInline]
    actions = [publish_products, deprecate_products, retire_products]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(permissions.product_visibility_q(request.user))

    def has_change_permission(self, request, obj=None):
        if obj is not None and not permissions.can_edit_product(request.user, obj):
            return False
        return super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        previous_team = DataProduct.objects.get(pk=obj.pk).owner_team if change else None
        super().save_model(request, obj, form, change)
        if previous_team is None:
            permissions.product_permissions_grant(obj, obj.owner_team)
        elif previous_team.pk != obj.owner_team_id:
            permissions.product_permissions_revoke(obj, previous_team)
            permissions.product_permissions_grant(obj, obj.owner_team)


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["product", "team", "user", "purpose", "created_at"]
    list_filter = ["product__domain"]
    search_fields = ["product__name", "team__name", "user__username", "purpose"]
    autocomplete_fields = ["product", "team", "user"]


@admin.register(LineageEdge)
class LineageEdgeAdmin(admin.ModelAdmin):
    list_display = ["product", "upstream", "external_source", "description"]
    search_fields = ["product__name", "upstream__name", "external_source"]
    autocomplete_fields = ["product", "upstream"]


# --- Access to data ------------------------------------------------------------------------------------------


def _run_each(modeladmin, request, queryset, call, done: str) -> None:
    """Run a service per selected row; the services check permissions and transitions, as on every other path."""
    succeeded = 0
    for obj in queryset:
        try:
            call(obj)
        except (DomainError, PermissionDenied) as error:
            modeladmin.message_user(request, f"{obj}: {error}", messages.ERROR)
        else:
            succeeded += 1
    if succeeded:
        modeladmin.message_user(request, f"{done}: {succeeded}.", messages.SUCCESS)


@admin.register(Warehouse)
class WarehouseAdmin(admin.ModelAdmin):
    list_display = ["name", "engine", "dsn_env", "path", "provision_grants"]
    list_filter = ["engine", "provision_grants"]
    search_fields = ["name", "dsn_env", "path"]


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
    list_filter = ["status", "wants_unmasked_pii", "duration_days", "port__product__domain"]
    search_fields = ["requester__username", "port__name", "port__product__name", "purpose"]
    list_select_related = ["requester", "port", "port__product"]
    readonly_fields = ["status", "approvals_required", "decided_at", "decided_by", "decision_note", "reminded_at"]
    autocomplete_fields = ["requester", "port"]
    raw_id_fields = ["renewal_of"]
    inlines = [AccessApprovalInline]
    actions = ["approve_selected", "reject_selected"]

    @admin.action(description="Approve the selected requests (as me)")
    def approve_selected(self, request, queryset):
        _run_each(
            self,
            request,
            queryset,
            lambda obj: services.access_request_approve(actor=request.user, access_request=obj, note="Via admin."),
            "Approved",
        )

    @admin.action(description="Reject the selected requests (as me)")
    def reject_selected(self, request, queryset):
        _run_each(
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
        _run_each(
            self,
            request,
            queryset,
            lambda obj: services.grant_revoke(actor=request.user, grant=obj, reason="Revoked via admin."),
            "Revoked",
        )

    @admin.action(description="Provision / deprovision now")
    def sync_selected(self, request, queryset):
        _run_each(self, request, queryset, lambda obj: services.grant_provisioning_sync(obj.pk), "Synchronised")


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ["name", "url", "active"]
    list_filter = ["active"]
    search_fields = ["name", "url"]


@admin.register(OutboxEvent)
class OutboxEventAdmin(admin.ModelAdmin):
    list_display = ["event_id", "endpoint", "kind", "attempts", "next_attempt_at", "delivered_at"]
    list_filter = ["kind", "endpoint", ("delivered_at", admin.EmptyFieldListFilter)]
    search_fields = ["event_id", "kind", "last_error"]
    list_select_related = ["endpoint"]
    readonly_fields = [f.name for f in OutboxEvent._meta.fields]

    def has_add_permission(self, request):
        return False


# --- Quality ------------------------------------------------------------------------------------------------------
# Each product's check schedule is a Periodic task named "Quality checks: <urn>" (django-celery-beat admin).

from products.models import (  # noqa: E402 - appended section
    CheckResult,
    CheckRun,
    Incident,
    ProductIngestToken,
    QualityCheck,
    QualityScoreSnapshot,
)


@admin.register(QualityCheck)
class QualityCheckAdmin(admin.ModelAdmin):
    list_display = ["name", "product", "kind", "dimension", "severity", "enabled"]
    list_filter = ["kind", "dimension", "severity", "enabled"]
    search_fields = ["name", "product__name", "column"]
    list_select_related = ["product"]
    raw_id_fields = ["product", "port"]
    actions = ["run_products_now"]

    def save_model(self, request, obj, form, change):
        from products.quality import params_validate

        obj.params = params_validate(obj.kind, obj.column or "", obj.params or {})
        super().save_model(request, obj, form, change)
        services.quality_schedule_sync(obj.product)

    @admin.action(description="Run the checks of these products now")
    def run_products_now(self, request, queryset):
        products = {check.product for check in queryset.select_related("product")}
        for product in products:
            services.quality_run_start(actor=request.user, product=product)
        self.message_user(request, f"Started runs for {len(products)} product(s).")


@admin.register(CheckRun)
class CheckRunAdmin(admin.ModelAdmin):
    list_display = ["pk", "product", "status", "trigger", "completed", "total", "failed", "created_at"]
    list_filter = ["status", "trigger"]
    search_fields = ["product__name"]
    list_select_related = ["product"]
    readonly_fields = [f.name for f in CheckRun._meta.fields]


@admin.register(CheckResult)
class CheckResultAdmin(admin.ModelAdmin):
    list_display = ["quality_check", "state", "observed_value", "source", "measured_at"]
    list_filter = ["state", "source"]
    search_fields = ["quality_check__name", "product__name", "message"]
    list_select_related = ["quality_check", "quality_check__product"]
    readonly_fields = [f.name for f in CheckResult._meta.fields]
    date_hierarchy = "measured_at"


@admin.register(QualityScoreSnapshot)
class QualityScoreSnapshotAdmin(admin.ModelAdmin):
    list_display = ["product", "score", "measured_at"]
    list_filter = ["measured_at"]
    search_fields = ["product__name"]
    list_select_related = ["product"]
    readonly_fields = [f.name for f in QualityScoreSnapshot._meta.fields]


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ["summary", "product", "kind", "opened_at", "resolved_at"]
    list_filter = ["kind", ("resolved_at", admin.EmptyFieldListFilter)]
    search_fields = ["summary", "product__name"]
    list_select_related = ["product"]
    readonly_fields = [f.name for f in Incident._meta.fields]


@admin.register(ProductIngestToken)
class ProductIngestTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "product", "prefix", "created_by", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix", "product__name"]
    list_select_related = ["product", "created_by"]
    readonly_fields = ["prefix", "token_hash", "created_by", "created_at", "last_used_at"]

    def has_add_permission(self, request):
        return False  # created by owners on the product's token page, where the secret is shown once
