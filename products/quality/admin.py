"""Quality in the admin. Each product's check schedule is a periodic task named "Quality checks: <urn>"
(django-celery-beat admin)."""

from django.contrib import admin

from portal.admin_tools import ServiceSaveMixin
from products.quality import services
from products.quality.models import (
    CheckResult,
    CheckRun,
    Incident,
    ProductIngestToken,
    QualityCheck,
    QualityScoreSnapshot,
)


@admin.register(QualityCheck)
class QualityCheckAdmin(ServiceSaveMixin, admin.ModelAdmin):
    list_display = ["name", "product", "kind", "dimension", "severity", "enabled"]
    list_filter = ["kind", "dimension", "severity", "enabled"]
    search_fields = ["name", "product__name", "column"]
    list_select_related = ["product"]
    raw_id_fields = ["product", "port"]
    actions = ["run_products_now"]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, *(["product"] if obj is not None else [])]

    def save_model(self, request, obj, form, change):
        """Through the quality service: permission, the port's ownership, params per kind and the audit row."""
        data = {name: form.cleaned_data[name] for name in services.QUALITY_CHECK_FIELDS if name in form.cleaned_data}
        saved = services.quality_check_save(
            actor=request.user, product=obj.product, check=obj if change else None, **data
        )
        obj.pk = saved.pk

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
    readonly_fields = ["prefix", "created_by", "created_at", "last_used_at"]

    def has_add_permission(self, request):
        return False  # created by owners on the product's token page, where the secret is shown once
