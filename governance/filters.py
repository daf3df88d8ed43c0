import django_filters

from governance.models import Council, Proposal, Standard, StandardKind
from portal.filters import RowFilter


class ProposalFilter(django_filters.FilterSet):
    """Proposal filters, shared by the proposals page and ``GET /api/v1/proposals/``."""

    status = django_filters.ChoiceFilter(choices=Proposal.Status.choices, empty_label="Any status")
    kind = django_filters.ChoiceFilter(choices=Proposal.Kind.choices, empty_label="Any kind")
    council = RowFilter(queryset=Council.objects.all(), empty_label="Any council")

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
