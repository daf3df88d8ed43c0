"""Many products fast (bulk inserts, one index refresh), for query-count tests and the benchmark."""

from django.contrib.auth.models import Permission

from products.models import DataProduct, DataProductGroupObjectPermission, OutputPort, SchemaField, Tag
from products.search import search_index_update


def make_products(team, count: int, *, fields_per_product: int = 3, status: str = "published", prefix: str = "bulk"):
    tag, _ = Tag.objects.get_or_create(name="bulk")
    products = DataProduct.objects.bulk_create(
        [
            DataProduct(
                domain=team.domain,
                owner_team=team,
                slug=f"{prefix}-{i}",
                urn=f"urn:mesh:{team.domain.slug}:{prefix}-{i}",
                name=f"{prefix.title()} product {i}",
                summary=f"Generated product number {i} about widgets",
                status=status,
                freshness_minutes=60,
            )
            for i in range(count)
        ]
    )
    if not products[0].pk:  # backends that do not return ids from bulk inserts
        products = list(DataProduct.objects.filter(slug__startswith=f"{prefix}-", domain=team.domain))
    DataProduct.tags.through.objects.bulk_create(
        [DataProduct.tags.through(dataproduct_id=product.pk, tag_id=tag.pk) for product in products]
    )
    ports = OutputPort.objects.bulk_create(
        [OutputPort(product=product, name="main", location=f"warehouse.{product.slug}") for product in products]
    )
    if not ports[0].pk:
        ports = list(OutputPort.objects.filter(product__in=products))
    SchemaField.objects.bulk_create(
        [
            SchemaField(port=port, name=f"column_{j}", position=j, classification="pii" if j == 0 else "")
            for port in ports
            for j in range(fields_per_product)
        ]
    )
    perms = Permission.objects.filter(codename__in=["change_dataproduct", "publish_dataproduct"])
    DataProductGroupObjectPermission.objects.bulk_create(
        [
            DataProductGroupObjectPermission(group=team.group, permission=perm, content_object=product)
            for product in products
            for perm in perms
        ]
    )
    search_index_update([product.pk for product in products])
    return products
