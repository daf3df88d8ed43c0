from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from portal.admin_tools import run_per_row
from portal.errors import DomainError
from portal.forms import attach_domain_error
from products import services as catalog
from products.contracts import drift_runs, services, successors
from products.contracts.forms import SuccessorForm
from products.contracts.models import (
    Declassification,
    DriftChunk,
    DriftFinding,
    DriftRun,
    PortContract,
    PortDriftState,
    SchemaVersion,
)
from products.forms import SchemaFieldFormSet, schema_rows


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


@admin.register(PortContract)
class PortContractAdmin(admin.ModelAdmin):
    """The documents last applied to ports: read here; applied through the contract page, the API or
    ``contract_apply`` so that the schema rules hold."""

    list_display = ["contract_id", "port", "api_version", "applied_by", "applied_at"]
    list_filter = ["api_version", "port__product__domain"]
    search_fields = ["contract_id", "port__name", "port__product__name"]
    list_select_related = ["port__product", "applied_by"]
    readonly_fields = [field.name for field in PortContract._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return request.method == "GET" and super().has_change_permission(request, obj)


class DriftChunkInline(admin.TabularInline):
    """Who holds each chunk of ports, its heartbeat and attempts: a stuck check shows here which chunk and why."""

    model = DriftChunk
    fields = ["warehouse_id", "port_ids", "state", "attempts", "lease_owner", "heartbeat_at", "last_error"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(DriftRun)
class DriftRunAdmin(admin.ModelAdmin):
    inlines = [DriftChunkInline]
    list_display = ["pk", "product", "warehouse", "trigger", "status", "completed", "total", "failed", "created_at"]
    list_filter = ["status", "trigger", "warehouse"]
    search_fields = ["product__name", "warehouse__name"]
    list_select_related = ["product", "warehouse"]
    readonly_fields = [field.name for field in DriftRun._meta.fields]
    actions = ["check_again"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Check the selected runs' products or warehouses again (as me)")
    def check_again(self, request, queryset):
        run_per_row(
            self,
            request,
            queryset,
            lambda run: drift_runs.drift_run_start(
                actor=request.user if run.product_id else None, product=run.product, warehouse=run.warehouse
            ),
            "Queued",
        )


@admin.register(PortDriftState)
class PortDriftStateAdmin(admin.ModelAdmin):
    list_display = ["port", "checked_at", "table_found", "error"]
    list_filter = ["table_found"]
    search_fields = ["port__name", "port__product__name"]
    list_select_related = ["port__product"]
    readonly_fields = [field.name for field in PortDriftState._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(DriftFinding)
class DriftFindingAdmin(admin.ModelAdmin):
    """Findings open and resolve with the checks; they are read here, never edited."""

    list_display = ["summary", "port", "kind", "opened_at", "last_seen_at", "resolved_at"]
    list_filter = ["kind", ("resolved_at", admin.EmptyFieldListFilter), "port__product__domain"]
    search_fields = ["summary", "column", "port__name", "port__product__name"]
    list_select_related = ["port__product"]
    readonly_fields = [field.name for field in DriftFinding._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return request.method == "GET" and super().has_change_permission(request, obj)


def port_successor_admin_view(model_admin, request, object_id):
    """The port admin's "Publish as a new port": the same service as the page and the API."""
    port = model_admin.get_queryset(request).filter(pk=object_id).select_related("product").first()
    if port is None:
        raise Http404("No such port.")
    if not model_admin.has_change_permission(request, port):
        raise PermissionDenied
    form = SuccessorForm(request.POST or None, initial=successors.successor_defaults(port))
    formset = SchemaFieldFormSet(request.POST or None, initial=catalog.port_columns(port), prefix="fields")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            successor = successors.port_successor_publish(
                actor=request.user, port=port, fields=schema_rows(formset), **form.cleaned_data
            )
        except (DomainError, PermissionDenied) as error:
            if isinstance(error, DomainError):
                attach_domain_error(form, error)
            else:
                form.add_error(None, "You may not do this to this product.")
        else:
            port.refresh_from_db()
            model_admin.message_user(
                request,
                f"{successor.name} v{successor.version} is published; {port.name} is deprecated until "
                f"{port.sunset_at:%Y-%m-%d} and its consumers have been told.",
                messages.SUCCESS,
            )
            return HttpResponseRedirect(reverse("admin:products_outputport_change", args=[successor.pk]))
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Publish {port.name}'s new schema as a new port",
        "opts": model_admin.model._meta,
        "original": port,
        "form": form,
        "formset": formset,
    }
    return TemplateResponse(request, "admin/products/outputport/successor.html", context)
