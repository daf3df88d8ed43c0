"""``manage.py contract_apply FILE... --user NAME [--dry-run] [--product DOMAIN/SLUG]``: keep ports in step with
the ODCS contracts in a repository. Every file applies in one transaction, as the named user (their permissions,
their name in the audit trail); a refused contract (invalid, a breaking change without a new major version, not
the user's product) applies nothing and exits 1. Applying the same files again changes nothing."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from products.contracts import imports, odcs
from products.models import DataProduct


class Command(BaseCommand):
    help = "Apply ODCS v3 contracts (YAML or JSON files) to the ports of data products."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path)
        parser.add_argument("--user", required=True, help="Who applies the contracts (a member of the team).")
        parser.add_argument("--dry-run", action="store_true", help="Show what would change; save nothing.")
        parser.add_argument("--product", help="domain/slug, for contracts that do not name their product.")

    def handle(self, *args, files, user, dry_run, product, **options):
        actor = get_user_model().objects.filter(username=user, is_active=True).first()
        if actor is None:
            raise CommandError(f"No active user {user!r}.")
        target = None
        if product:
            domain, _, slug = product.partition("/")
            target = DataProduct.objects.visible_to(actor).filter(domain__slug=domain, slug=slug).first()
            if target is None:
                raise CommandError(f"No data product {product!r} that {user} may see.")
        documents, sources = [], []
        for path in files:
            try:
                loaded = odcs.contracts_load(path.read_bytes())
            except OSError as error:
                raise CommandError(f"{path}: {error.strerror}.") from None
            except odcs.ContractError as error:
                raise CommandError(self._errors(error, [str(path)])) from None
            documents.extend(loaded)
            sources.extend(f"{path}" + (f"[{index}]" if len(loaded) > 1 else "") for index in range(len(loaded)))
        try:
            outcomes = imports.contracts_apply(actor=actor, documents=documents, product=target, dry_run=dry_run)
        except odcs.ContractError as error:
            raise CommandError(self._errors(error, sources)) from None
        except PermissionDenied as error:
            raise CommandError(str(error) or "Not allowed.") from None
        for source, outcome in zip(sources, outcomes, strict=True):
            if outcome.unchanged:
                state = "unchanged"
            elif outcome.created:
                state = "would create" if dry_run else "created"
            else:
                state = f"{'would change' if dry_run else 'changed'} ({outcome.level or 'no schema change'})"
            version = (
                f"v{outcome.version_from} → v{outcome.version_to}" if outcome.version_from else f"v{outcome.version_to}"
            )
            self.stdout.write(f"{source}: {outcome.product} / {outcome.port}: {state}, {version}")
            for change in outcome.changes:
                self.stdout.write(f"  [{change['level']}] {change['detail']}")
            for line in outcome.other_changes:
                self.stdout.write(f"  {line}")
            for warning in outcome.warnings:
                self.stdout.write(self.style.WARNING(f"  {warning}"))
        if dry_run:
            self.stdout.write("Dry run: nothing was saved.")

    def _errors(self, error: odcs.ContractError, sources: list[str]) -> str:
        lines = []
        for path, message in error.errors:
            where = path
            if len(sources) > 1 and path.startswith("["):
                index, _, rest = path[1:].partition("]")
                if index.isdigit() and int(index) < len(sources):
                    where = f"{sources[int(index)]}: {rest.lstrip('.') or '(the document)'}"
            elif sources:
                where = f"{sources[0]}: {path or '(the document)'}"
            lines.append(f"{where}: {message}")
        return "The contracts were not applied:\n" + "\n".join(lines)
