import django_filters
from drf_spectacular.utils import extend_schema_field

from glossary.models import Term
from glossary.search import search_filter
from portal.filters import NO_MATCH, RowChoiceFilter
from products.models import Domain

ENTERPRISE = "enterprise"


class TermFilter(django_filters.FilterSet):
    """Glossary filters, shared by the A–Z page and ``GET /api/v1/glossary/terms/``.

    ``domain`` takes a domain slug, or ``enterprise`` for enterprise-wide terms; ``letter`` is the A–Z index
    (``#`` for names that do not start with a letter); ``q`` searches names, synonyms and definitions.
    """

    q = django_filters.CharFilter(method="filter_search", label="Search")
    domain = RowChoiceFilter(method="filter_domain", label="Domain", empty_label="All domains")
    status = django_filters.ChoiceFilter(choices=Term.Status.choices, empty_label="Any status")
    letter = django_filters.CharFilter(method="filter_letter", label="Letter", max_length=1)

    class Meta:
        model = Term
        fields = ["q", "domain", "status", "letter"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["domain"].extra["choices"] = [
            (ENTERPRISE, "Enterprise-wide"),
            *Domain.objects.order_by("name").values_list("slug", "name"),
        ]

    def filter_search(self, queryset, name, value):
        return queryset  # applied last in filter_queryset, so its relevance order stands

    def filter_domain(self, queryset, name, value):
        if value is NO_MATCH:
            return queryset.none()
        if value == ENTERPRISE:
            return queryset.filter(domain__isnull=True)
        return queryset.filter(domain__slug=value)

    @extend_schema_field({"type": "string", "maxLength": 1, "description": "A letter, or # for the rest."})
    def filter_letter(self, queryset, name, value):
        value = value.upper()
        if value == "#":
            return queryset.exclude(name__regex=r"^[A-Za-z]")
        if not value.isalpha():
            return queryset.none()
        return queryset.filter(name__istartswith=value)

    def filter_queryset(self, queryset):
        search = self.form.cleaned_data.get("q", "")
        queryset = super().filter_queryset(queryset)
        return search_filter(queryset, search) if search else queryset
