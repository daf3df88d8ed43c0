from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils.html import format_html

from portal.admin_tools import ServiceSaveMixin, run_per_row
from products import permissions, services, webhooks
from products.models import (
    SCHEMA_COLUMN_KEYS,
    DataProduct,
    Domain,
    IdentityProviderLink,
    LineageEdge,
    Membership,
    OutboxEvent,
    OutputPort,
    SchemaField,
    Subscription,
    Tag,
    Team,
    TeamClaimMapping,
    Warehouse,
    WebhookEndpoint,
)


@admin.register(Domain)
class DomainAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


class MembershipFormSet(BaseInlineFormSet):
    """The admin follows the team pages' rule: a team that has members keeps at least one owner."""

    def clean(self):
        super().clean()
        kept = [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE") and form.cleaned_data.get("user")
        ]
        if kept and not any(row.get("role") == Membership.Role.OWNER for row in kept):
            raise ValidationError("A team keeps at least one owner.")


class MembershipInline(admin.TabularInline):
    model = Membership
    formset = MembershipFormSet
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "domain", "slug"]
    list_filter = ["domain"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(TeamClaimMapping)
class TeamClaimMappingAdmin(admin.ModelAdmin):
    """Which identity-provider group puts people in which team with which role (applied at each OIDC sign-in)."""

    list_display = ["claim_value", "team", "role"]
    list_filter = ["role", "team__domain"]
    search_fields = ["claim_value", "team__name"]
    autocomplete_fields = ["team"]


@admin.register(IdentityProviderLink)
class IdentityProviderLinkAdmin(admin.ModelAdmin):
    """Which identity-provider subject signs in as which account. Made at a person's first sign-in; an admin may
    delete a link (the next sign-in of that subject then needs a free name), never edit one."""

    list_display = ["user", "issuer", "subject", "linked_at"]
    search_fields = ["user__username", "subject"]
    readonly_fields = ["user", "issuer", "subject", "linked_at"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "team", "role", "from_identity_provider", "joined_at"]
    list_filter = ["role", "team__domain", "team"]
    search_fields = ["user__username", "team__name"]
    autocomplete_fields = ["user", "team"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ["name"]


class OutputPortInline(admin.TabularInline):
    """Ports are listed here; they change on their own page, through the port service."""

    model = OutputPort
    extra = 0
    show_change_link = True
    fields = ["name", "kind", "version", "location"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class SchemaFieldInline(admin.TabularInline):
    model = SchemaField
    extra = 0
    fields = list(SCHEMA_COLUMN_KEYS)


@admin.register(OutputPort)
class OutputPortAdmin(ServiceSaveMixin, admin.ModelAdmin):
    """A port and its columns are saved through ``port_save``, as on every other path: a breaking change needs a
    new major version and a lowered classification waits for review."""

    list_display = ["name", "product", "kind", "version", "location"]
    list_filter = ["kind", "product__domain"]
    search_fields = ["name", "location", "product__name"]
    autocomplete_fields = ["product"]
    inlines = [SchemaFieldInline]
    fields = ["product", "name", "kind", "location", "version", "description", "warehouse", "table"]
    fields += ["successor", "sunset_at", "retired_at", "supersede"]
    readonly_fields = ["successor", "sunset_at", "retired_at", "supersede"]

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    def get_urls(self):
        from django.urls import path

        from products.contracts.admin import port_successor_admin_view

        view = self.admin_site.admin_view(
            lambda request, object_id: port_successor_admin_view(self, request, object_id)
        )
        return [path("<path:object_id>/successor/", view, name="products_outputport_successor"), *super().get_urls()]

    @admin.display(description="Breaking schema at once")
    def supersede(self, obj):
        if obj is None or obj.pk is None or obj.sunset_at:
            return "—"
        url = reverse("admin:products_outputport_successor", args=[obj.pk])
        return format_html('<a href="{}">Publish as a new port</a> (this one stays until its sunset)', url)

    def save_model(self, request, obj, form, change):
        pass  # saved with its columns in save_related, through the service

    def save_related(self, request, form, formsets, change):
        rows = [
            {key: item[key] for key in SCHEMA_COLUMN_KEYS}
            for formset in formsets
            for item in (inline.cleaned_data for inline in formset.forms)
            if item and item.get("name") and not item.get("DELETE")
        ]
        data = {
            name: form.cleaned_data[name] for name in self.fields if name != "product" and name in form.cleaned_data
        }
        port = services.port_save(
            actor=request.user,
            product=form.cleaned_data["product"],
            port=OutputPort.objects.get(pk=form.instance.pk) if change else None,
            fields=rows,
            **data,
        )
        form.instance.pk = port.pk
        if port.schema_deferred:
            messages.info(request, port.schema_deferred["message"])
        for formset in formsets:  # the admin's change message reads these; the service saved the columns
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []


@admin.register(SchemaField)
class SchemaFieldAdmin(admin.ModelAdmin):
    """Columns to look up; they change with their port (the port page or the port admin)."""

    list_display = ["name", "port", "data_type", "nullable", "primary_key", "classification"]
    list_filter = ["classification", "nullable", "data_type"]
    search_fields = ["name", "description", "port__product__name"]
    list_select_related = ["port", "port__product"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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
    run_per_row(
        modeladmin,
        request,
        queryset,
        lambda product: services.product_change_status(actor=request.user, product=product, to_status=to_status),
        f"Now {DataProduct.Status(to_status).label.lower()}",
    )


@admin.register(DataProduct)
class DataProductAdmin(ServiceSaveMixin, admin.ModelAdmin):
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

    def get_readonly_fields(self, request, obj=None):
        # The domain follows the owning team; the address stays once the product exists.
        return [*self.readonly_fields, "domain", *(["slug"] if obj is not None else [])]

    def save_model(self, request, obj, form, change):
        """Through the catalog's services: permission, validation, object permissions and the audit row."""
        data = {name: form.cleaned_data[name] for name in services.PRODUCT_EDITABLE_FIELDS if name in form.cleaned_data}
        tags = [tag.name for tag in form.cleaned_data.get("tags", ())]
        team = form.cleaned_data.get("owner_team")
        if change:
            saved = services.product_update(actor=request.user, product=obj, tags=tags, owner_team=team, **data)
        else:
            saved = services.product_create(actor=request.user, team=team, slug=obj.slug, tags=tags, **data)
        obj.pk, obj.domain_id, obj.urn = saved.pk, saved.domain_id, saved.urn


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


@admin.register(Warehouse)
class WarehouseAdmin(admin.ModelAdmin):
    list_display = ["name", "engine", "dsn_env", "path", "provision_grants"]
    list_filter = ["engine", "provision_grants"]
    search_fields = ["name", "dsn_env", "path"]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    """Each endpoint with its backlog: events waiting, failing and in flight, the oldest waiting, the last delivery;
    the counts link to the events, where "Send again" redelivers."""

    list_display = ["name", "url", "active", "backlog_link", "failing", "in_flight", "oldest_waiting", "last_delivered"]
    list_filter = ["active"]
    search_fields = ["name", "url"]
    fields = ["name", "url", "active", "event_kinds", "secret", "max_concurrency", "timeout_seconds"]

    def get_queryset(self, request):
        return webhooks.endpoints_with_backlog()

    @admin.display(description="backlog", ordering="backlog")
    def backlog_link(self, endpoint):
        url = reverse("admin:products_outboxevent_changelist")
        return format_html(
            '<a href="{}?endpoint__id__exact={}&amp;delivered_at__isempty=1">{}</a>', url, endpoint.pk, endpoint.backlog
        )

    @admin.display(ordering="failing")
    def failing(self, endpoint):
        return endpoint.failing

    @admin.display(ordering="in_flight")
    def in_flight(self, endpoint):
        return endpoint.in_flight

    @admin.display(ordering="oldest_waiting")
    def oldest_waiting(self, endpoint):
        return endpoint.oldest_waiting

    @admin.display(ordering="last_delivered")
    def last_delivered(self, endpoint):
        return endpoint.last_delivered


@admin.register(OutboxEvent)
class OutboxEventAdmin(admin.ModelAdmin):
    list_display = ["event_id", "endpoint", "kind", "attempts", "next_attempt_at", "delivered_at", "last_error"]
    list_filter = [
        "kind",
        "endpoint",
        ("delivered_at", admin.EmptyFieldListFilter),
        ("last_error", admin.EmptyFieldListFilter),
    ]
    search_fields = ["event_id", "kind", "last_error"]
    list_select_related = ["endpoint"]
    readonly_fields = [f.name for f in OutboxEvent._meta.fields]
    actions = ["redeliver"]

    @admin.action(description="Send again (same webhook-id)", permissions=["redeliver"])
    def redeliver(self, request, queryset):
        sent = webhooks.outbox_redeliver(actor=request.user, event_ids=queryset.values_list("pk", flat=True))
        self.message_user(request, f"{sent} event(s) queued to be sent again.")

    def has_redeliver_permission(self, request):
        return permissions.can_redeliver_webhooks(request.user)

    def has_add_permission(self, request):
        return False
