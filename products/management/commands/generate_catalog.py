"""Generate a large synthetic catalog for load tests and benchmarks: ``manage.py generate_catalog 10000``."""

import random

from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand
from django.db import transaction

from portal.db import analyze
from products.generate import SEED_WORDS, generate_mesh
from products.models import DataProduct, DataProductGroupObjectPermission, Domain, OutputPort, SchemaField, Tag, Team
from products.search import search_index_update

# The mesh generator's seed words, and more, for the simple catalog.
VOCABULARY = [
    *SEED_WORDS,
    "impression",
    "conversion",
    "return",
    "damage",
    "audit",
    "ledger",
    "account",
    "budget",
    "cost",
    "tax",
    "discount",
    "coupon",
    "delivery",
    "route",
    "carrier",
    "driver",
    "vehicle",
    "fuel",
    "energy",
    "waste",
    "quality",
    "defect",
    "batch",
    "lot",
    "expiry",
    "temperature",
]
COMMON_WORD = "catalogue"  # in every generated product: the benchmark's very common search term


def generate_products(
    team: Team,
    count: int,
    *,
    fields_per_product: int = 3,
    prefix: str = "bulk",
    status: str = "published",
    seed: int = 7,
    batch: int = 2000,
) -> list[int]:
    """Insert ``count`` products with one port and ``fields_per_product`` fields each, in bulk, and index them."""
    rng = random.Random(seed)
    tag, _ = Tag.objects.get_or_create(name="generated")
    perms = list(Permission.objects.filter(codename__in=["change_dataproduct", "publish_dataproduct"]))
    ids: list[int] = []
    next_analyze = batch
    for start in range(0, count, batch):
        with transaction.atomic():
            products = DataProduct.objects.bulk_create(
                [
                    DataProduct(
                        domain_id=team.domain_id,
                        owner_team=team,
                        slug=f"{prefix}-{i}",
                        urn=f"urn:mesh:{team.domain.slug}:{prefix}-{i}",
                        name=f"{rng.choice(VOCABULARY).title()} {rng.choice(VOCABULARY)} {i}",
                        summary=" ".join([COMMON_WORD, *rng.sample(VOCABULARY, 10)]),
                        documentation=" ".join(rng.choices(VOCABULARY, k=60)),
                        status=status,
                        freshness_minutes=60,
                    )
                    for i in range(start, min(count, start + batch))
                ]
            )
            if products and not products[0].pk:
                slugs = [product.slug for product in products]
                products = list(DataProduct.objects.filter(domain_id=team.domain_id, slug__in=slugs))
            DataProduct.tags.through.objects.bulk_create(
                [DataProduct.tags.through(dataproduct_id=product.pk, tag_id=tag.pk) for product in products]
            )
            ports = OutputPort.objects.bulk_create(
                [OutputPort(product=product, name="main", location=f"warehouse.{product.slug}") for product in products]
            )
            if ports and not ports[0].pk:
                ports = list(OutputPort.objects.filter(product__in=products))
            SchemaField.objects.bulk_create(
                [
                    SchemaField(
                        port=port,
                        name=f"{rng.choice(VOCABULARY)}_{rng.choice(VOCABULARY)}_{j}",
                        position=j,
                        classification="pii" if j == 0 else "",
                    )
                    for port in ports
                    for j in range(fields_per_product)
                ]
            )
            DataProductGroupObjectPermission.objects.bulk_create(
                [
                    DataProductGroupObjectPermission(group=team.group, permission=perm, content_object=product)
                    for product in products
                    for perm in perms
                ]
            )
            batch_ids = [product.pk for product in products]
            search_index_update(batch_ids)
            ids.extend(batch_ids)
        if len(ids) >= next_analyze:
            # Statistics that follow the load: planned for a near-empty table, each batch's look-ups would scan.
            analyze(DataProduct, OutputPort, SchemaField, DataProductGroupObjectPermission, DataProduct.tags.through)
            next_analyze = 2 * len(ids)
    return ids


class Command(BaseCommand):
    help = "Add N synthetic published products (with fields) to a team, for load tests and benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("count", type=int)
        parser.add_argument("--fields", type=int, default=20, help="fields per product (default 20)")
        parser.add_argument("--team", default="bench", help="team slug; created in domain 'bench' if missing")
        parser.add_argument("--prefix", default="gen")
        parser.add_argument(
            "--mesh",
            action="store_true",
            help="a realistic mesh: six domains of three teams, Zipf vocabulary and tags, 5%% drafts, lineage, "
            "consumers and history",
        )

    def handle(self, *args, count, fields, team, prefix, mesh, **options):
        if mesh:
            ids = generate_mesh(count, fields_per_product=fields, prefix=prefix)
            self.stdout.write(self.style.SUCCESS(f"{len(ids)} products generated across the mesh's teams."))
            return
        domain, _ = Domain.objects.get_or_create(slug="bench", defaults={"name": "Benchmark"})
        owner_team = Team.objects.filter(slug=team).first() or Team.objects.create(slug=team, name=team, domain=domain)
        ids = generate_products(owner_team, count, fields_per_product=fields, prefix=prefix)
        analyze(vacuum=True)  # fresh statistics, as autovacuum would gather after a bulk load
        self.stdout.write(self.style.SUCCESS(f"{len(ids)} products generated for team {owner_team.slug}."))
