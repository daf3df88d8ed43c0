"""Demo catalog: five domains, their teams, five products with schemas, SLAs, lineage and consumers."""

from products import permissions
from products.models import (
    DataProduct,
    Domain,
    LineageEdge,
    Membership,
    OutputPort,
    SchemaField,
    Subscription,
    Tag,
    Team,
)
from products.search import index_batch

DOMAINS = {
    "crm": ("CRM", "Customers, contacts and consent.", "customer-data", "Customer Data", "carla"),
    "sales": ("Sales", "Orders, bookings and pipeline.", "sales-ops", "Sales Operations", "sam"),
    "finance": (
        "Finance",
        "Revenue, ledger and reporting.",
        "finance-analytics",
        "Finance Analytics",
        "fiona",
    ),
    "inventory": (
        "Inventory",
        "Stock on hand across stores and warehouses.",
        "stock-control",
        "Stock Control",
        "ivan",
    ),
    "supply-chain": (
        "Supply Chain",
        "Replenishment, suppliers and forecasts.",
        "planning",
        "Demand Planning",
        "sofia",
    ),
}

PRODUCTS = [
    {
        "domain": "crm",
        "slug": "customer-360",
        "name": "Customer 360",
        "status": "published",
        "summary": "One row per customer with contact details, consent and lifetime value.",
        "classification": "restricted",
        "tags": ["customer", "gdpr", "daily"],
        "sla": (60, 99.5, 99.9),
        "documentation": (
            "## Business context\nThe single view of every customer across stores and web shop.\n\n"
            "## Calculation\n`lifetime_value` is the sum of net order value since the first order.\n\n"
            "## Caveats\nCustomers who withdrew consent keep their id but lose contact fields.\n\n"
            "## Usage\n```sql\nselect customer_id, lifetime_value from crm.customer_360 where is_active\n```"
        ),
        "ports": [
            (
                "customers",
                "table",
                "warehouse.crm.customer_360",
                "2.1.0",
                [
                    ("customer_id", "bigint", "Stable customer key.", False, ""),
                    ("email", "string", "Primary e-mail address.", True, "pii"),
                    ("full_name", "string", "Name as given at sign-up.", True, "pii"),
                    ("date_of_birth", "date", "For age-restricted products.", True, "pii"),
                    ("country", "string", "ISO 3166 country code.", False, ""),
                    ("lifetime_value", "decimal(12,2)", "Net order value to date, EUR.", False, ""),
                    ("is_active", "boolean", "Ordered in the last 12 months.", False, ""),
                ],
            )
        ],
        "inputs": ["external:CRM database (Salesforce)"],
    },
    {
        "domain": "sales",
        "slug": "bookings",
        "name": "Bookings",
        "status": "published",
        "summary": "Every confirmed order line at the moment of booking, before returns.",
        "classification": "internal",
        "tags": ["orders", "hourly"],
        "sla": (60, 99.0, 99.5),
        "documentation": "## Business context\nBookings are orders confirmed by the customer. They differ from revenue, "
        "which is recognised on delivery.\n",
        "ports": [
            (
                "order_lines",
                "table",
                "warehouse.sales.bookings",
                "1.4.0",
                [
                    ("order_id", "bigint", "Order key.", False, ""),
                    ("customer_id", "bigint", "Customer key (Customer 360).", False, ""),
                    ("sku", "string", "Stock keeping unit.", False, ""),
                    ("quantity", "integer", "Units ordered.", False, ""),
                    ("net_amount", "decimal(12,2)", "Net value, EUR.", False, ""),
                    ("booked_at", "timestamp", "When the order was confirmed.", False, ""),
                ],
            )
        ],
        "inputs": ["crm/customer-360", "external:Web shop orders"],
    },
    {
        "domain": "finance",
        "slug": "revenue",
        "name": "Revenue",
        "status": "published",
        "summary": "Recognised revenue per day, store and product category.",
        "classification": "confidential",
        "tags": ["finance", "daily", "kpi"],
        "sla": (1440, 100, 99.5),
        "documentation": "## Calculation\nRevenue is recognised on delivery, net of returns and VAT.\n",
        "ports": [
            (
                "daily_revenue",
                "table",
                "warehouse.finance.revenue_daily",
                "3.0.0",
                [
                    ("day", "date", "Business day.", False, ""),
                    ("store_id", "integer", "Store key.", False, ""),
                    ("category", "string", "Product category.", False, ""),
                    ("revenue_eur", "decimal(14,2)", "Recognised revenue, EUR.", False, ""),
                ],
            )
        ],
        "inputs": ["sales/bookings", "external:ERP general ledger"],
    },
    {
        "domain": "inventory",
        "slug": "inventory-levels",
        "name": "Inventory Levels",
        "status": "published",
        "summary": "Stock on hand per SKU and location, refreshed every 15 minutes.",
        "classification": "internal",
        "tags": ["stock", "near-real-time"],
        "sla": (15, 99.9, 99.9),
        "documentation": "## Business context\nStock counts from the warehouse management system and store tills.\n",
        "ports": [
            (
                "stock_on_hand",
                "table",
                "warehouse.inventory.stock_levels",
                "1.2.0",
                [
                    ("sku", "string", "Stock keeping unit.", False, ""),
                    ("location_id", "integer", "Store or warehouse.", False, ""),
                    ("on_hand", "integer", "Units on hand.", False, ""),
                    ("measured_at", "timestamp", "When counted.", False, ""),
                ],
            )
        ],
        "inputs": ["external:Warehouse management system"],
    },
    {
        "domain": "supply-chain",
        "slug": "demand-forecast",
        "name": "Demand Forecast",
        "status": "published",
        "summary": "Weekly unit demand forecast per SKU and store for the next 12 weeks.",
        "classification": "internal",
        "tags": ["forecast", "weekly", "ml"],
        "sla": (10080, 98.0, 99.0),
        "documentation": "## Calculation\nGradient-boosted model over bookings, stock and promotions.\n",
        "ports": [
            (
                "forecast",
                "table",
                "warehouse.supply.demand_forecast",
                "0.9.0",
                [
                    ("sku", "string", "Stock keeping unit.", False, ""),
                    ("store_id", "integer", "Store key.", False, ""),
                    ("week", "date", "Forecast week (Monday).", False, ""),
                    ("units", "decimal(10,1)", "Forecast units.", False, ""),
                ],
            )
        ],
        "inputs": ["sales/bookings", "inventory/inventory-levels"],
    },
    {
        "domain": "sales",
        "slug": "bookings-daily-extract",
        "name": "Bookings Daily Extract",
        "status": "published",
        "summary": "The nightly CSV extract of bookings that predates the Bookings product. Being replaced.",
        "classification": "internal",
        "tags": ["orders", "legacy"],
        "sla": (1440, None, None),
        "documentation": "## Being retired\nUse **Bookings** (`order_lines`) instead: hourly, with the same columns.\n",
        "ports": [
            (
                "extract",
                "file",
                "sftp://exports/bookings/daily.csv",
                "1.2.0",
                [
                    ("order_id", "bigint", "Order key.", False, ""),
                    ("booked_on", "date", "Booking date.", False, ""),
                    ("net_amount", "decimal(12,2)", "Net value, EUR.", False, ""),
                ],
            )
        ],
        "inputs": ["sales/bookings"],
    },
    {
        "domain": "crm",
        "slug": "churn-scores",
        "name": "Churn Scores",
        "status": "draft",
        "summary": "Probability that an active customer stops buying in the next 90 days.",
        "classification": "confidential",
        "tags": ["customer", "ml"],
        "sla": (None, None, None),
        "documentation": "Work in progress.",
        "ports": [],
        "inputs": ["crm/customer-360"],
    },
]

MEMBERS = {"customer-data": [("carla", "owner"), ("tom", "member")]}


def seed(users: dict) -> None:
    with index_batch():
        teams = _seed_domains_and_teams(users)
        products = {}
        for spec in PRODUCTS:
            products[f"{spec['domain']}/{spec['slug']}"] = _seed_product(spec, teams, users)
        for spec in PRODUCTS:
            product = products[f"{spec['domain']}/{spec['slug']}"]
            for source in spec["inputs"]:
                if source.startswith("external:"):
                    LineageEdge.objects.get_or_create(product=product, external_source=source.removeprefix("external:"))
                else:
                    LineageEdge.objects.get_or_create(product=product, upstream=products[source])
    Subscription.objects.get_or_create(
        product=products["sales/bookings"],
        team=teams["planning"],
        defaults={"purpose": "Input to the demand forecast."},
    )
    Subscription.objects.get_or_create(
        product=products["finance/revenue"], user=users["ana"], defaults={"purpose": "Weekly trading report."}
    )


def _seed_domains_and_teams(users: dict) -> dict:
    teams = {}
    for slug, (name, description, team_slug, team_name, owner) in DOMAINS.items():
        domain, _ = Domain.objects.update_or_create(slug=slug, defaults={"name": name, "description": description})
        team = Team.objects.filter(slug=team_slug).first() or Team(slug=team_slug)
        team.domain, team.name = domain, team_name
        team.save()
        for username, role in MEMBERS.get(team_slug, [(owner, "owner")]):
            Membership.objects.update_or_create(team=team, user=users[username], defaults={"role": role})
        teams[team_slug] = team
    return teams


def _seed_product(spec: dict, teams: dict, users: dict) -> DataProduct:
    domain = Domain.objects.get(slug=spec["domain"])
    team = next(team for team in teams.values() if team.domain_id == domain.pk)
    freshness, completeness, availability = spec["sla"]
    product, created = DataProduct.objects.update_or_create(
        domain=domain,
        slug=spec["slug"],
        defaults={
            "name": spec["name"],
            "owner_team": team,
            "summary": spec["summary"],
            "documentation": spec["documentation"],
            "classification": spec["classification"],
            "accountable": users[DOMAINS[spec["domain"]][4]],
            "freshness_minutes": freshness,
            "completeness_percent": completeness,
            "availability_percent": availability,
        },
    )
    if created:
        product.status = spec["status"]
        if spec["status"] == DataProduct.Status.PUBLISHED:
            from django.utils import timezone

            product.published_at = timezone.now()
        product.save()
    product.tags.set([Tag.objects.get_or_create(name=name)[0] for name in spec["tags"]])
    permissions.product_permissions_grant(product, team)
    for port_name, kind, location, version, fields in spec["ports"]:
        # A port's schema is its contract: once seeded, it changes only through the port service (new versions).
        port, created = OutputPort.objects.get_or_create(
            product=product, name=port_name, defaults={"kind": kind, "location": location, "version": version}
        )
        if not created:
            continue
        for position, (name, data_type, description, nullable, classification) in enumerate(fields):
            SchemaField.objects.update_or_create(
                port=port,
                name=name,
                defaults={
                    "data_type": data_type,
                    "description": description,
                    "nullable": nullable,
                    "classification": classification,
                    "position": position,
                },
            )
    return product
