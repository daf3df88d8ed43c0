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
