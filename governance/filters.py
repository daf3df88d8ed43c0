import django_filters

from governance.models import Proposal, Standard, StandardKind


class ProposalFilter(django_filters.FilterSet):
    """Proposal filters, shared by the proposals page and ``GET /api/v1/proposals/``."""

    status = django_filters.ChoiceFilter(choices=Proposal.Status.choices, empty_label="Any status")
    kind = django_filters.ChoiceFilter(choices=Proposal.Kind.choices, empty_label="Any kind")

    class Meta:
        model = Proposal
        fields = ["status", "kind", "council"]


class StandardFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Standard.Status.choices, empty_label="Any status")
    kind = django_filters.ChoiceFilter(choices=StandardKind.choices, empty_label="Any kind")
    code = django_filters.CharFilter(field_name="code")

    class Meta:
        model = Standard
        fields = ["status", "kind", "code", "severity"]


class ViolationFilter(django_filters.FilterSet):
    """``GET /api/v1/violations/`` filters (plain text values: an empty one means no filter)."""

    rule_key = django_filters.CharFilter(help_text="A standard's code (STD-004) or baseline:owner/description/...")
    severity = django_filters.CharFilter(help_text="blocker or warning")
    product = django_filters.NumberFilter(field_name="product_id")


class WaiverFilter(django_filters.FilterSet):
    status = django_filters.CharFilter(help_text="requested, approved, rejected or expired")
    standard_code = django_filters.CharFilter()
    product = django_filters.NumberFilter(field_name="product_id")
