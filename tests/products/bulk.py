"""Many products fast, for query-count tests (the same generator the benchmark uses)."""

from products.management.commands.generate_catalog import generate_products


def make_products(team, count: int, *, fields_per_product: int = 3, prefix: str = "bulk"):
    return generate_products(team, count, fields_per_product=fields_per_product, prefix=prefix)
