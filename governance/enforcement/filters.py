import django_filters
from django import forms
from drf_spectacular.utils import extend_schema_field

# Larger ids than a database integer holds are a 400, not a database error (SQLite refuses them outright).
ID_MAX = 2**63 - 1


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": ID_MAX})
class ProductIdFilter(django_filters.NumberFilter):
    """A product id: a whole number from 1 up; anything else is a 400 naming the parameter."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("field_name", "product_id")
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", ID_MAX)
        super().__init__(*args, **kwargs)


class ViolationFilter(django_filters.FilterSet):
    """``GET /api/v1/violations/`` filters (plain text values: an empty one means no filter)."""

    rule_key = django_filters.CharFilter(help_text="A standard's code (STD-004) or baseline:owner/description/...")
    severity = django_filters.CharFilter(help_text="blocker or warning")
    product = ProductIdFilter()


class WaiverFilter(django_filters.FilterSet):
    status = django_filters.CharFilter(help_text="requested, approved, rejected or expired")
    standard_code = django_filters.CharFilter()
    product = ProductIdFilter()
