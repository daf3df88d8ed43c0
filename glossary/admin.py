from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied

from glossary import services
from glossary.models import (
    ConflictFinding,
    FormerTermLink,
    Steward,
    Term,
    TermAlias,
    TermLink,
    TermRelation,
    TermRevision,
)
from portal.errors import DomainError


@admin.register(Steward)
class StewardAdmin(admin.ModelAdmin):
    list_display = ["user", "domain", "created_at"]
    list_filter = ["domain"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "domain__name"]
    autocomplete_fields = ["user"]
    list_select_related = ["user", "domain"]


class TermAliasInline(admin.TabularInline):
    model = TermAlias
    extra = 0


@admin.register(Term)
class TermAdmin(admin.ModelAdmin):
    """Status moves go through the services (review rules hold here too); the admin edits text and aliases."""

    list_display = ["name", "domain", "status", "author", "approved_at", "updated_at"]
    list_filter = ["status", "domain"]
    search_fields = ["name", "definition", "aliases__name"]
    readonly_fields = [
        "slug",
        "status",
        "replaced_by",
        "approved_by",
        "approved_at",
        "review_comment",
        "council_proposal_id",
    ]
    list_select_related = ["domain", "author"]
    raw_id_fields = ["author"]
    inlines = [TermAliasInline]
    actions = ["approve_selected"]

    @admin.action(description="Approve selected terms in review (not your own)")
    def approve_selected(self, request, queryset):
        approved = 0
        for term in queryset.filter(status=Term.Status.IN_REVIEW):
            try:
                services.term_approve(actor=request.user, term=term)
                approved += 1
            except (DomainError, PermissionDenied) as error:
                self.message_user(request, f"{term}: {error}", messages.WARNING)
        self.message_user(request, f"Approved {approved} term(s).")


@admin.register(TermAlias)
class TermAliasAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "term"]
    list_filter = ["kind"]
    search_fields = ["name", "term__name"]
    raw_id_fields = ["term"]


@admin.register(TermRevision)
class TermRevisionAdmin(admin.ModelAdmin):
    list_display = ["term", "status", "author", "reviewer", "created_at", "decided_at"]
    list_filter = ["status"]
    search_fields = ["term__name", "name", "definition"]
    raw_id_fields = ["term", "author"]
    list_select_related = ["term", "author", "reviewer"]


@admin.register(TermRelation)
class TermRelationAdmin(admin.ModelAdmin):
    list_display = ["source", "kind", "target", "created_at"]
    list_filter = ["kind"]
    search_fields = ["source__name", "target__name", "explanation"]
    raw_id_fields = ["source", "target", "created_by"]
    list_select_related = ["source", "target"]


@admin.register(TermLink)
class TermLinkAdmin(admin.ModelAdmin):
    list_display = ["term", "field", "product", "created_at"]
    list_filter = ["term__status"]
    search_fields = ["term__name", "field__name", "product__name"]
    raw_id_fields = ["term", "field", "product", "created_by"]
    list_select_related = ["term", "field", "product"]


@admin.register(ConflictFinding)
class ConflictFindingAdmin(admin.ModelAdmin):
    list_display = ["kind", "description", "first_seen", "last_seen", "resolved_at"]
    list_filter = ["kind", ("resolved_at", admin.EmptyFieldListFilter)]
    search_fields = ["key", "description"]
    readonly_fields = ["kind", "key", "description", "terms", "field", "first_seen", "last_seen", "resolved_at"]

    def has_add_permission(self, request):
        return False


@admin.register(FormerTermLink)
class FormerTermLinkAdmin(admin.ModelAdmin):
    """Links to columns a schema change removed: the record of what a term once described."""

    list_display = ["term", "port", "column", "last_version", "removed_at", "removed_by"]
    search_fields = ["term__name", "column", "port__name", "port__product__name"]
    list_select_related = ["term", "port__product", "removed_by"]
    readonly_fields = ["term", "port", "column", "last_version", "removed_at", "removed_by"]

    def has_add_permission(self, request):
        return False
