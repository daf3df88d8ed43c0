import django_filters

from portal.filters import RowFilter
from products.models import Classification, DataProduct, Domain, Tag, Team
from products.search import search_filter


class ProductFilter(django_filters.FilterSet):
    """Catalog filters, shared by the catalog page and ``GET /api/v1/products/``."""

    q = django_filters.CharFilter(method="filter_search", label="Search")
    domain = RowFilter(
        queryset=Domain.objects.all(), to_field_name="slug", label_field="name", empty_label="All domains"
    )
    team = RowFilter(
        queryset=Team.objects.all(),
        to_field_name="slug",
        label_field="name",
        field_name="owner_team",
        empty_label="All teams",
    )
    status = django_filters.ChoiceFilter(choices=DataProduct.Status.choices, empty_label="Any status")
    tag = RowFilter(
        queryset=Tag.objects.all(), to_field_name="name", label_field="name", field_name="tags", empty_label="Any tag"
    )
    classification = django_filters.ChoiceFilter(choices=Classification.choices, empty_label="Any classification")
    urn = django_filters.CharFilter(field_name="urn")

    class Meta:
        model = DataProduct
        fields = ["q", "domain", "team", "status", "tag", "classification", "urn"]

    def filter_search(self, queryset, name, value):
        return search_filter(queryset, value)

    def filter_queryset(self, queryset):
        # Search goes last so its relevance ordering is the one that stands.
        search = self.form.cleaned_data.pop("q", "")
        queryset = super().filter_queryset(queryset)
        return search_filter(queryset, search) if search else queryset
