import django_filters

from portal.filters import IdFilter


class ViolationFilter(django_filters.FilterSet):
    """``GET /api/v1/violations/`` filters (plain text values: an empty one means no filter)."""

    rule_key = django_filters.CharFilter(help_text="A standard's code (STD-004) or baseline:owner/description/...")
    severity = django_filters.CharFilter(help_text="blocker or warning")
    product = IdFilter(field_name="product_id")


class WaiverFilter(django_filters.FilterSet):
    status = django_filters.CharFilter(help_text="requested, approved, rejected or expired")
    standard_code = django_filters.CharFilter()
    product = IdFilter(field_name="product_id")
