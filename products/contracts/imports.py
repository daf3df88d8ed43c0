"""Applying ODCS contracts: a page upload, ``POST /api/v1/contracts/apply/`` and ``manage.py contract_apply`` all
call ``contracts_apply``.

Each document is validated against the official JSON schema, read (``odcs.contract_read``), matched to its product
(the page's, or the one its ``domain`` and ``dataProduct`` name, or the one already holding its ``id``) and its port
(the one holding its ``id``, else the one named like its schema object, else a new one), then saved through the
catalog's own ``port_save`` and ``product_update``: breaking changes need a new major version, lowered
classifications wait for review, versions are recorded and consumers told, exactly as for a change made in the
portal. The document itself is kept (``PortContract``) so what the portal does not model is exported again.

All documents apply in one transaction: one refusal and nothing is saved. A dry run does everything and rolls it
back, so it shows exactly what applying would do. Applying the same document twice changes nothing the second time.
"""

import hashlib
import json
from dataclasses import asdict, dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from portal.db import analyze
from portal.errors import DomainError, require
from portal.services import audit_record
from products import services as catalog
from products.contracts import odcs, permissions
from products.contracts.changes import change_level, schema_diff, schema_normalise, version_parse
from products.contracts.export import portal_definition
from products.contracts.models import PortContract, SchemaVersion
from products.models import DataProduct, OutputPort, SchemaField

_DOMAIN_FIELDS = {"version": "version", "name": "schema[0].name", "port": "schema[0].name"}
_DOMAIN_FIELDS |= {"fields": "schema[0].properties", "kind": "schema[0].physicalType"}
_DOMAIN_FIELDS |= {"description": "schema[0].description", "location": "customProperties"}


@dataclass
class ContractOutcome:
    """What applying one document did (or, in a dry run, would do)."""

    product: str
    port: str
    port_id: int | None
    contract_id: str
    created: bool
    unchanged: bool
    version_from: str | None
    version_to: str
    level: str | None
    changes: list[dict] = field(default_factory=list)
    other_changes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


class _DryRun(Exception):
    def __init__(self, outcomes):
        self.outcomes = outcomes


def _prefixed(errors, prefix: str) -> list[tuple[str, str]]:
    return [(f"{prefix}.{path}" if prefix and path else prefix or path, message) for path, message in errors]


def contract_digest(document: dict) -> str:
    return hashlib.sha256(json.dumps(document, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def contracts_read(text: str | bytes | None = None, *, documents: list | None = None) -> list[odcs.ContractSpec]:
    """Load and validate every document (``ContractError`` naming the paths of all problems found)."""
    if documents is None:
        documents = odcs.contracts_load(text or "")
    specs, errors = [], []
    for index, document in enumerate(documents):
        prefix = f"[{index}]" if len(documents) > 1 else ""
        if not isinstance(document, dict):
            errors.append((prefix, "A contract is a mapping of keys (apiVersion, kind, id, …) to values."))
            continue
        try:
            odcs.document_plain_check(document, prefix)
        except odcs.ContractError as error:
            errors.extend(error.errors)
            continue
        problems = odcs.contract_problems(document)
        if problems:
            errors.extend(_prefixed(problems, prefix))
            continue
        try:
            specs.append(odcs.contract_read(document, portal_definition=portal_definition))
        except odcs.ContractError as error:
            errors.extend(_prefixed(error.errors, prefix))
    if errors:
        raise odcs.ContractError(errors[: odcs.MAX_ERRORS])
    return specs


BULK_IMPORT = 50  # contracts in one import from which the planner's statistics are refreshed afterwards


def contracts_apply(
    *, actor, text: str | bytes | None = None, documents: list | None = None, product=None, dry_run: bool = False
) -> list[ContractOutcome]:
    """Apply the contracts in ``text`` (or ``documents``) as ``actor``; ``product`` when applied from its page.
    Refusals: ``ContractError`` (a 400 naming each path), ``PermissionDenied`` (not the product's team)."""
    specs = contracts_read(text, documents=documents)
    try:
        with transaction.atomic():
            outcomes, targets = [], {}
            for index, spec in enumerate(specs):
                prefix = f"[{index}]" if len(specs) > 1 else ""
                try:
                    outcome = _apply_one(actor, spec, product)
                except odcs.ContractError as error:
                    raise odcs.ContractError(_prefixed(error.errors, prefix), missing=error.missing) from None
                except DomainError as error:
                    path = _DOMAIN_FIELDS.get(error.field or "", "")
                    raise odcs.ContractError(_prefixed([(path, error.message)], prefix)) from None
                except ValidationError as error:
                    messages = [(_DOMAIN_FIELDS.get(key, ""), " ".join(texts)) for key, texts in _error_dict(error)]
                    raise odcs.ContractError(_prefixed(messages, prefix)) from None
                key = (outcome.product, outcome.port)
                if key in targets:
                    raise odcs.ContractError([(f"{prefix}.id", f"describes the same port as [{targets[key]}].")])
                targets[key] = index
                outcomes.append(outcome)
            if dry_run:
                for outcome in outcomes:
                    if outcome.created:
                        outcome.port_id = None  # rolled back with everything else
                raise _DryRun(outcomes)
    except _DryRun as done:
        return done.outcomes
    if len(specs) >= BULK_IMPORT:
        analyze(DataProduct, OutputPort, SchemaField)
    return outcomes


def _error_dict(error: ValidationError):
    if hasattr(error, "error_dict"):
        return [
            (key, [message for item in items for message in item.messages]) for key, items in error.error_dict.items()
        ]
    return [("", error.messages)]


def _target_product(actor, spec: odcs.ContractSpec, given: DataProduct | None) -> DataProduct:
    if given is not None:
        if spec.data_product is not None and not odcs.same_name(spec.data_product, given.slug, given.name):
            raise odcs.ContractError([("dataProduct", f"{spec.data_product!r} is not {given.name}.")])
        if spec.domain is not None and not odcs.same_name(spec.domain, given.domain.slug, given.domain.name):
            raise odcs.ContractError([("domain", f"{spec.domain!r} is not {given.domain.name}.")])
        return given
    visible = DataProduct.objects.visible_to(actor).select_related("domain")
    if spec.data_product:
        candidates = visible.filter(Q(slug__iexact=spec.data_product) | Q(name__iexact=spec.data_product))
        if spec.domain:
            candidates = candidates.filter(Q(domain__slug__iexact=spec.domain) | Q(domain__name__iexact=spec.domain))
        found = list(candidates[:2])
        if len(found) == 1:
            return found[0]
        if found:
            raise odcs.ContractError(
                [("domain", f"Several products are called {spec.data_product!r}: name the domain.")]
            )
        raise odcs.ContractError(
            [("dataProduct", f"No data product {spec.data_product!r} that you may see.")], missing=True
        )
    held = PortContract.objects.filter(contract_id=spec.contract_id, port__product__in=visible).first()
    if held is not None:
        return visible.get(pk=held.port.product_id)
    raise odcs.ContractError(
        [("dataProduct", "Name the data product (dataProduct, and domain), or apply the contract from its page.")]
    )


def _apply_one(actor, spec: odcs.ContractSpec, given: DataProduct | None) -> ContractOutcome:
    product = _target_product(actor, spec, given)
    require(permissions.can_apply_contract(actor, product), "Only the product's team applies its contracts.")
    held = PortContract.objects.filter(contract_id=spec.contract_id).select_related("port").first()
    if held is not None and held.port.product_id != product.pk:
        raise odcs.ContractError([("id", "Another port's contract has this id; give this contract its own.")])
    port = held.port if held is not None else product.ports.filter(name=spec.port_name).first()
    creating = port is None
    before = None if creating else catalog.port_columns(port)
    after = schema_normalise(spec.columns)
    changes = [] if creating else schema_diff(before, after)
    version, warnings = spec.version, []
    if not creating and not changes and version_parse(spec.version) < version_parse(port.version):
        warnings.append(f"version: the port is at {port.version} already; the contract's {spec.version} is kept back.")
        version = port.version
    data = {"name": spec.port_name, "description": spec.description, "version": version}
    if spec.kind:
        data["kind"] = spec.kind
    if spec.location is not None:
        data["location"] = spec.location
    other = [
        f"{key}: {getattr(port, key)!r} → {value!r}"
        for key, value in data.items()
        if not creating and key != "version" and getattr(port, key) != value
    ]
    sla = {key: value for key, value in spec.sla.items() if getattr(product, key) != value}
    other += [f"{key}: {getattr(product, key)} → {value}" for key, value in sla.items()]
    digest = contract_digest(spec.document)
    stored = None if creating else PortContract.objects.filter(port=port).first()
    version_from = None if creating else port.version
    if not creating and not changes and not other and version == port.version and stored and stored.digest == digest:
        return _outcome(product, port, spec, False, True, version_from, [], [], warnings)
    waiting = None if creating else port.schema_versions.filter(status=SchemaVersion.Status.SCHEDULED).first()
    if waiting and waiting.version == version and waiting.schema == after and not other:
        warnings.append(_waiting_warning(waiting.version, waiting.effective_at))
        return _outcome(product, port, spec, False, True, version_from, [], [], warnings)
    if creating or changes or other or version != port.version:
        port = catalog.port_save(actor=actor, product=product, port=port, fields=after, **data)
        if port.schema_deferred:
            deferred = port.schema_deferred
            warnings.append(_waiting_warning(deferred["version"], deferred["effective_at"]))
    if sla:
        product = catalog.product_update(actor=actor, product=product, **sla)
    stored_now = {column["name"]: column for column in catalog.port_columns(port)}
    for column in after:
        kept = stored_now.get(column["name"], {}).get("classification", "")
        if kept != column["classification"]:
            warnings.append(
                f"{column['name']}: stays {kept or 'unclassified'} until a reviewer approves the lower classification."
            )
    if spec.status and spec.status not in odcs.STATUS_SAME.get(product.status, set()):
        warnings.append(
            f"status: the contract says {spec.status!r}; the product is {product.get_status_display().lower()} "
            "(lifecycle moves are made on the product's page)."
        )
    PortContract.objects.update_or_create(
        port=port,
        defaults={
            "contract_id": spec.contract_id[:200],
            "api_version": str(spec.document.get("apiVersion", ""))[:16],
            "document": spec.document,
            "digest": digest,
            "applied_by": actor if getattr(actor, "is_authenticated", False) else None,
            "applied_at": timezone.now(),
        },
    )
    audit_record(
        actor=actor,
        action="contract.apply",
        target=product,
        from_state=version_from or "",
        to_state=port.version,
        data={"port": port.name, "contract": spec.contract_id[:200], "changes": len(changes)},
    )
    return _outcome(product, port, spec, creating, False, version_from, changes, other, warnings)


def _waiting_warning(version: str, effective_at) -> str:
    return (
        f"version: the port has consumers, so the breaking change to v{version} waits for the notice period; it "
        f"takes effect on {effective_at:%Y-%m-%d}."
    )


def _outcome(product, port, spec, created, unchanged, version_from, changes, other, warnings) -> ContractOutcome:
    level = "initial" if created else change_level(changes)
    return ContractOutcome(
        product=f"{product.domain.slug}/{product.slug}",
        port=port.name,
        port_id=port.pk,
        contract_id=spec.contract_id,
        created=created,
        unchanged=unchanged,
        version_from=version_from,
        version_to=port.version,
        level=level,
        changes=[change.as_dict() for change in changes],
        other_changes=other,
        warnings=warnings,
    )
