"""Django admin for enforcement (imported by ``governance.admin``). Runs, violations and compliance are written by
the engine; waivers are asked and decided through the services; the auto-action is saved through its service."""

from django.contrib import admin
from django.core.exceptions import ValidationError

from governance.enforcement import services
from governance.enforcement.models import (
    ComplianceSnapshot,
    EnforcementChunk,
    EnforcementRun,
    ProductCompliance,
    StandardEnforcement,
    Violation,
    Waiver,
)
from governance.models import Standard


class EnforcementChunkInline(admin.TabularInline):
    """Who holds each chunk, its heartbeat and attempts: a stuck run shows here which chunk and why."""

    model = EnforcementChunk
    fields = ["index", "state", "attempts", "lease_owner", "heartbeat_at", "lease_expires_at", "last_error"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(EnforcementRun)
class EnforcementRunAdmin(admin.ModelAdmin):
    list_display = ["pk", "status", "trigger", "started_at", "finished_at", "products_checked", "violations_opened"]
    list_filter = ["status", "trigger"]
    search_fields = ["=id"]
    readonly_fields = [field.name for field in EnforcementRun._meta.fields]
    inlines = [EnforcementChunkInline]

    def has_add_permission(self, request):
        return False


@admin.register(Violation)
class ViolationAdmin(admin.ModelAdmin):
    list_display = ["product", "rule_key", "severity", "opened_at", "last_seen_at", "resolved_at"]
    list_filter = ["severity", "rule_key", ("resolved_at", admin.EmptyFieldListFilter)]
    search_fields = ["product__name", "product__slug", "rule_key", "message"]
    raw_id_fields = ["product", "standard", "opened_by_run"]
    readonly_fields = ["message_key", "opened_at", "last_seen_at", "resolved_at", "notified_open", "notified_grace"]


@admin.register(Waiver)
class WaiverAdmin(admin.ModelAdmin):
    list_display = ["product", "standard_code", "status", "requested_by", "expires_at", "decided_by"]
    list_filter = ["status", "standard_code"]
    search_fields = ["product__name", "standard_code", "reason", "requested_by__username"]
    raw_id_fields = ["product", "requested_by", "decided_by"]
    readonly_fields = ["status", "decided_by", "decided_at"]


@admin.register(ProductCompliance)
class ProductComplianceAdmin(admin.ModelAdmin):
    list_display = ["product", "score", "rules_failed", "blockers_failed", "non_compliant", "evaluated_at"]
    list_filter = ["non_compliant", "product__domain"]
    search_fields = ["product__name", "product__slug"]
    raw_id_fields = ["product"]


@admin.register(ComplianceSnapshot)
class ComplianceSnapshotAdmin(admin.ModelAdmin):
    list_display = ["taken_at", "domain", "product", "score", "products", "run"]
    list_filter = ["domain"]
    search_fields = ["product__name", "domain__name"]
    raw_id_fields = ["run", "product", "domain"]


@admin.register(StandardEnforcement)
class StandardEnforcementAdmin(admin.ModelAdmin):
    """The auto-action per standard; saving goes through the service, which audits the change."""

    list_display = ["code", "auto_action", "updated_by", "updated_at"]
    list_filter = ["auto_action"]
    search_fields = ["code"]
    readonly_fields = ["updated_by", "updated_at"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)

        class CodeCheckedForm(form):
            def clean_code(self):
                code = self.cleaned_data["code"]
                if not Standard.objects.filter(code=code).exists():
                    raise ValidationError(f"No standard {code}.")
                return code

        return CodeCheckedForm

    def save_model(self, request, obj, form, change):
        saved = services.standard_auto_action_set(actor=request.user, code=obj.code, auto_action=obj.auto_action)
        obj.pk = saved.pk
