from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from products import permissions
from products.models import DataProduct


class ProductField(serializers.PrimaryKeyRelatedField):
    """A product reference limited to the products the caller may ``view`` or ``edit``: any other id answers
    "does not exist", exactly like an id nobody holds (no existence oracle, no IDOR)."""

    def __init__(self, *, scope: str = "view", **kwargs):
        if scope not in ("view", "edit"):
            raise ValueError(f"unknown product scope {scope!r}")
        self.scope = scope
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        user = getattr(request, "user", None)
        scope_q = permissions.product_editable_q if self.scope == "edit" else permissions.product_visibility_q
        return DataProduct.objects.filter(scope_q(user))


@extend_schema_field(
    {
        "type": "string",
        "format": "decimal",
        "pattern": r"^(?:100(?:\.0{1,2})?|\d{1,2}(?:\.\d{1,2})?)$",
        "nullable": True,
        "description": "A percentage from 0 to 100, at most two decimals.",
    }
)
class PercentField(serializers.DecimalField):
    """A percentage (0–100, two decimals), as a decimal string; the schema states the range, not only the digits."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 5)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", 100)
        super().__init__(**kwargs)
