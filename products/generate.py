"""A synthetic mesh shaped like a real one, for benchmarks and load tests (``manage.py generate_catalog --mesh``).

Several domains with several teams each; names, summaries, documentation, field names and tags drawn from a
Zipf-distributed vocabulary (a few words everywhere, most words rare); 5% drafts (so visibility rules run); every
non-draft has a publication date; lineage to earlier products, consumer teams and a little history. Rows go in by
bulk insert, the search index is refreshed per batch, and statistics are refreshed as the load doubles.
"""

import itertools
import random
from datetime import timedelta

from django.contrib.auth.models import Permission
from django.db import transaction
from django.utils import timezone

from portal.bulk import bulk_insert
from portal.db import analyze
from portal.models import AuditEvent
from products.models import (
    DataProduct,
    DataProductGroupObjectPermission,
    Domain,
    LineageEdge,
    OutputPort,
    SchemaField,
    Subscription,
    Tag,
    Team,
)
from products.search import search_index_update

DOMAINS = ["sales", "finance", "inventory", "crm", "logistics", "marketing"]
TEAMS_PER_DOMAIN = 3
SEED_WORDS = [
    "order",
    "customer",
    "store",
    "stock",
    "price",
    "margin",
    "revenue",
    "booking",
    "supplier",
    "shipment",
    "invoice",
    "payment",
    "refund",
    "basket",
    "promotion",
    "campaign",
    "channel",
    "region",
    "country",
    "city",
    "warehouse",
    "pallet",
    "carton",
    "sku",
    "brand",
    "category",
    "season",
    "week",
    "month",
    "quarter",
    "forecast",
    "demand",
    "churn",
    "loyalty",
    "segment",
    "contact",
    "consent",
    "address",
    "email",
    "phone",
    "device",
    "session",
    "visit",
    "click",
]
SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "ta", "vo", "shi", "pra", "den", "gal", "tor", "bel", "quin", "zar", "ul"]


def vocabulary(size: int, rng: random.Random) -> list[str]:
    """``size`` distinct words, real ones first (they get the highest Zipf ranks), then made-up ones."""
    words = list(SEED_WORDS)
    for length in itertools.count(2):
        for combo in itertools.product(SYLLABLES, repeat=length):
            if len(words) >= size:
                return words
            words.append("".join(combo))
    return words


class Zipf:
    """Draws from ``items`` with the k-th item's weight 1/k^s."""

    def __init__(self, items: list, rng: random.Random, s: float = 1.1):
        self.items, self.rng = items, rng
        total, self.cumulative = 0.0, []
        for rank in range(1, len(items) + 1):
            total += 1 / rank**s
            self.cumulative.append(total)

    def __call__(self, k: int = 1) -> list:
        return self.rng.choices(self.items, cum_weights=self.cumulative, k=k)


def mesh_teams() -> list[Team]:
    teams = []
    for slug in DOMAINS:
        domain, _ = Domain.objects.get_or_create(slug=slug, defaults={"name": slug.title()})
        for index in range(1, TEAMS_PER_DOMAIN + 1):
            team = Team.objects.select_related("domain").filter(slug=f"{slug}-{index}").first()
            teams.append(
                team or Team.objects.create(slug=f"{slug}-{index}", name=f"{slug.title()} {index}", domain=domain)
            )
    return teams


def generate_mesh(
    count: int, *, fields_per_product: int = 20, prefix: str = "mesh", seed: int = 11, batch: int = 2000
) -> list[int]:
    """Insert ``count`` products across the mesh's teams; returns their ids."""
    rng = random.Random(seed)
    words = Zipf(vocabulary(3000, rng), rng)
    tag_names = [f"tag-{word}" for word in vocabulary(400, random.Random(seed + 1))]
    tags = {tag.name: tag.pk for tag in Tag.objects.filter(name__in=tag_names)}
    missing = [Tag(name=name) for name in tag_names if name not in tags]
    Tag.objects.bulk_create(missing, ignore_conflicts=True)
    tags = {tag.name: tag.pk for tag in Tag.objects.filter(name__in=tag_names)}
    pick_tags = Zipf(tag_names, rng)
    teams = mesh_teams()
    pick_team = Zipf(teams, rng, s=0.6)
    perms = list(Permission.objects.filter(codename__in=["change_dataproduct", "publish_dataproduct"]))
    now = timezone.now()
    ids: list[int] = []
    next_analyze = batch
    for start in range(0, count, batch):
        with transaction.atomic():
            rows = []
            for i in range(start, min(count, start + batch)):
                team = pick_team()[0]
                draft = rng.random() < 0.05
                rows.append(
                    DataProduct(
                        domain_id=team.domain_id,
                        owner_team=team,
                        slug=f"{prefix}-{i}",
                        urn=f"urn:mesh:{team.domain.slug}:{prefix}-{i}",
                        name=" ".join(words(2)).title() + f" {i}",
                        summary=" ".join(words(12)),
                        documentation=" ".join(words(80)),
                        status=DataProduct.Status.DRAFT if draft else DataProduct.Status.PUBLISHED,
                        published_at=None if draft else now - timedelta(minutes=rng.randrange(1, 525_600)),
                        freshness_minutes=rng.choice([15, 60, 1440]),
                    )
                )
            products = DataProduct.objects.bulk_create(rows)
            if products and not products[0].pk:
                products = list(DataProduct.objects.filter(slug__in=[row.slug for row in rows]).order_by("pk"))
            bulk_insert(
                DataProduct.tags.through,
                [
                    {"dataproduct_id": product.pk, "tag_id": tags[name]}
                    for product in products
                    for name in set(pick_tags(rng.randint(1, 4)))
                ],
            )
            ports = OutputPort.objects.bulk_create(
                [OutputPort(product=product, name="main", location=f"warehouse.{product.slug}") for product in products]
            )
            if ports and not ports[0].pk:
                ports = list(OutputPort.objects.filter(product__in=products))
            bulk_insert(  # two million rows at 100k products: as column arrays, not model instances
                SchemaField,
                [
                    {
                        "port_id": port.pk,
                        "name": f"{'_'.join(words(2))}_{j}",
                        "data_type": rng.choice(["string", "integer", "decimal", "timestamp"]),
                        "position": j,
                        "classification": "pii" if j == 0 and rng.random() < 0.3 else "",
                    }
                    for port in ports
                    for j in range(fields_per_product)
                ],
            )
            bulk_insert(
                DataProductGroupObjectPermission,
                [
                    {"group_id": product.owner_team.group_id, "permission_id": perm.pk, "content_object_id": product.pk}
                    for product in products
                    for perm in perms
                ],
            )
            earlier = ids + [product.pk for product in products]
            LineageEdge.objects.bulk_create(
                [
                    LineageEdge(product=product, upstream_id=upstream)
                    for product in products
                    for upstream in {rng.choice(earlier) for _ in range(rng.randint(0, 3))}
                    if upstream != product.pk
                ],
                ignore_conflicts=True,
            )
            Subscription.objects.bulk_create(
                [
                    Subscription(product=product, team=team, purpose="reporting")
                    for product in products
                    if product.status == DataProduct.Status.PUBLISHED
                    for team in {pick_team()[0] for _ in range(rng.randint(0, 3))}
                    if team.pk != product.owner_team_id
                ],
                ignore_conflicts=True,
            )
            AuditEvent.objects.bulk_create(
                [
                    AuditEvent(
                        action=action,
                        target_type="products.dataproduct",
                        target_id=str(product.pk),
                        target_label=product.name[:200],
                        to_state=state,
                    )
                    for product in products
                    for action, state in (
                        [("product.created", "draft")]
                        + ([("product.published", "published")] if product.status == "published" else [])
                    )
                ]
            )
            batch_ids = [product.pk for product in products]
            search_index_update(batch_ids)
            ids.extend(batch_ids)
        if len(ids) >= next_analyze:
            analyze()
            next_analyze = 2 * len(ids)
    analyze(vacuum=True)
    return ids
