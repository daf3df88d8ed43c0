"""Django admin for the council. Admins manage councils and seats freely; proposals move only through the
services (admin actions call them), and a proposal's rule is validated on save like on the page and the API.
Enforcement's models are registered by ``governance.enforcement.admin``, imported here."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError

from governance import services
from governance.enforcement import admin as enforcement_admin  # noqa: F401 - registers enforcement's models
from governance.models import Comment, Council, Proposal, Seat, Standard, Vote
from portal.errors import DomainError


class SeatInline(admin.TabularInline):
    model = Seat
    extra = 1
    autocomplete_fields = ["holder", "domain"]


@admin.register(Council)
class CouncilAdmin(admin.ModelAdmin):
    list_display = ["name", "quorum_percent", "majority", "default_vote_days"]
    list_filter = ["majority"]
    search_fields = ["name"]
    inlines = [SeatInline]


@admin.register(Seat)
class SeatAdmin(admin.ModelAdmin):
    list_display = ["__str__", "council", "holder", "is_chair", "since"]
    list_filter = ["council", "is_chair", "domain"]
    search_fields = ["holder__username", "domain__name", "council__name"]
    autocomplete_fields = ["holder", "domain"]


class VoteInline(admin.TabularInline):
    model = Vote
    extra = 0
    can_delete = False
    readonly_fields = ["seat", "choice", "rationale", "cast_by", "updated_at"]

    def has_add_permission(self, request, obj=None):
        return False


class CommentInline(admin.TabularInline):
    model = Comment
    extra = 0
    readonly_fields = ["author", "created_at"]


@admin.register(Proposal)
class ProposalAdmin(admin.ModelAdmin):
    list_display = ["title", "council", "kind", "status", "author", "deadline", "closed_at"]
    list_filter = ["status", "kind", "council", "standard_kind"]
    search_fields = ["title", "motivation", "author__username"]
    date_hierarchy = "created_at"
    autocomplete_fields = ["author"]
    raw_id_fields = ["target_standard"]
    readonly_fields = ["status", "opened_at", "deadline", "closed_at", "result", "created_at"]
    inlines = [VoteInline, CommentInline]
    actions = ["close_now"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)

        class ValidatedForm(form):
            def clean(self):
                data = super().clean()
                # The same content rules as the page and the API, on a copy so the form keeps what was typed.
                candidate = Proposal(pk=self.instance.pk, status=self.instance.status)
                for name, value in data.items():
                    setattr(candidate, name, value)
                try:
                    if candidate.council_id and candidate.author_id:
                        services.proposal_validate(candidate)
                except DomainError as error:
                    field = error.field if error.field in self.fields else None
                    self.add_error(field, error.message)
                except ValidationError as error:
                    self.add_error(None, error)
                return data

        return ValidatedForm

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.status != Proposal.Status.DRAFT:
            fields += [f.name for f in Proposal._meta.fields if f.editable and f.name not in fields]
        return fields

    @admin.action(description="Close the selected proposals if due (or every seat voted)")
    def close_now(self, request, queryset):
        closed = 0
        for proposal in queryset.filter(status=Proposal.Status.OPEN):
            try:
                result = services.proposal_close(proposal.pk, actor=request.user)
            except (DomainError, PermissionDenied) as error:
                self.message_user(request, f"{proposal}: {error}", messages.WARNING)
                continue
            closed += result.is_closed
        self.message_user(request, f"{closed} proposal(s) closed.")


@admin.register(Vote)
class VoteAdmin(admin.ModelAdmin):
    list_display = ["proposal", "seat", "choice", "cast_by", "updated_at"]
    list_filter = ["choice", "proposal__council", "proposal__status"]
    search_fields = ["proposal__title", "cast_by__username"]
    readonly_fields = ["proposal", "seat", "choice", "rationale", "cast_by", "created_at", "updated_at"]

    def has_add_permission(self, request):
        return False  # votes are cast by seat holders, through the service that checks the deadline

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["proposal", "author", "created_at"]
    list_filter = ["proposal__council"]
    search_fields = ["body", "author__username", "proposal__title"]
    raw_id_fields = ["proposal", "author"]


@admin.register(Standard)
class StandardAdmin(admin.ModelAdmin):
    list_display = ["code", "version", "title", "kind", "severity", "status", "effective_from", "grace_days"]
    list_filter = ["status", "kind", "severity", "council"]
    search_fields = ["code", "title", "text"]
    readonly_fields = ["adopted_by", "created_at", "retired_at"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)

        class RuleCheckedForm(form):
            def clean(self):
                data = super().clean()
                from governance.rules import rule_validate

                if data.get("kind") and data.get("rule") is not None:
                    try:
                        rule_validate(data["kind"], data["rule"])
                    except DomainError as error:
                        self.add_error("rule", error.message)
                return data

        return RuleCheckedForm
