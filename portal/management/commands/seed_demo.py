import importlib

from django.core.management.base import BaseCommand
from django.db import transaction

from portal.db import analyze
from portal.demo import DEMO_PASSWORD, PERSONAS, seed_users

# Each app that has demo data offers ``<app>.demo.seed(users)``; they run in this order.
DEMO_SEEDERS = [
    "products.demo",
    "products.teams.demo",
    "products.access.demo",
    "products.quality.demo",
    "governance.demo",
    "glossary.demo",
    "governance.enforcement.demo",
    "products.contracts.demo",
]


class Command(BaseCommand):
    help = "Create (or bring up to date) the demo data: a retail company's data mesh. Safe to run again."

    def handle(self, *args, **options):
        with transaction.atomic():
            users = seed_users()
            for module_name in DEMO_SEEDERS:
                importlib.import_module(module_name).seed(users)
        # Fresh statistics: the planner would otherwise take every freshly seeded table for one row.
        analyze(vacuum=True)
        self.stdout.write(
            self.style.SUCCESS(f"Demo data is in place. Log in as any of these (password: {DEMO_PASSWORD}):")
        )
        for username, (_first, _last, role, _superuser) in PERSONAS.items():
            self.stdout.write(f"  {username:8} {role}")
