"""Whoever may see a product sees its quality; the owning team manages checks and runs them; only the team's
owners (and admins) hand out ingest tokens, since a token lets a pipeline write results without a person."""

from portal.permissions import is_signed_in
from products.models import DataProduct
from products.permissions import can_edit_product, can_view_product, team_role


def can_view_quality(user, product: DataProduct) -> bool:
    return can_view_product(user, product)


def can_manage_quality_checks(user, product: DataProduct) -> bool:
    return can_edit_product(user, product)


def can_run_quality_checks(user, product: DataProduct) -> bool:
    return can_edit_product(user, product)


def can_push_quality_results(user, product: DataProduct) -> bool:
    """Signed-in people pushing results (tokens are checked against their product by the API view)."""
    return can_edit_product(user, product)


def can_manage_ingest_tokens(user, product: DataProduct) -> bool:
    if not is_signed_in(user):
        return False
    return user.is_superuser or team_role(user, product.owner_team_id) == "owner"
