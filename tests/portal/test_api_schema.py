"""The OpenAPI schema tells the truth about null: every serializer field whose source passes through a nullable
model field (a seat without a domain, an undecided request, a team's subscription, an incident without a check)
allows null, and the schema says ``nullable``. Schemathesis then checks real answers against it
(``test_api_fuzz.py``, with fixtures holding each null case)."""

import importlib
from pathlib import Path

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework import serializers

APPS = ("portal", "products", "governance", "glossary")
ROOT = Path(__file__).resolve().parents[2]


def _serializer_modules() -> list[str]:
    """Every ``<app>/**/api/serializers.py`` (and the kernel's API views, which declare serializers too)."""
    modules = ["portal.api.views"]
    for app in APPS:
        for path in sorted((ROOT / app).rglob("api/serializers.py")):
            modules.append(".".join(path.relative_to(ROOT).with_suffix("").parts))
    return modules


def _subclasses(cls):
    for subclass in cls.__subclasses__():
        yield subclass
        yield from _subclasses(subclass)


def _nullable_path(model, source: str) -> bool:
    """Whether following ``source`` (``"port.name"``) from ``model`` crosses a field that may be null."""
    for part in source.split("."):
        try:
            field = model._meta.get_field(part)
        except Exception:  # a property or a method: not a column
            return False
        if not field.concrete:  # a reverse relation: a list, or (one-to-one) an object that may be missing
            return field.one_to_one
        if field.null:
            return True
        if field.is_relation and field.related_model is not None:
            model = field.related_model
    return False


def _fields_over_nullable_columns():
    modules = _serializer_modules()
    assert "products.contracts.api.serializers" in modules and "glossary.api.serializers" in modules
    for module in modules:
        importlib.import_module(module)
    found = []
    for cls in sorted(set(_subclasses(serializers.ModelSerializer)), key=lambda c: (c.__module__, c.__name__)):
        if cls.__module__.split(".")[0] not in APPS:
            continue
        for name, field in cls(context={}).fields.items():
            if isinstance(field, serializers.SerializerMethodField) or field.source in (None, "*"):
                continue
            if _nullable_path(cls.Meta.model, field.source):
                found.append((f"{cls.__module__}.{cls.__name__}.{name}", field))
    return found


def test_every_field_over_a_nullable_column_allows_null():
    fields = _fields_over_nullable_columns()
    assert len(fields) > 10  # the walk found the serializers
    assert [name for name, field in fields if not field.allow_null] == []


@pytest.mark.parametrize(
    ("component", "prop"),
    [
        ("Seat", "domain"),
        ("AccessRequest", "decided_by"),
        ("Subscription", "user"),
        ("Subscription", "team"),
        ("Incident", "check"),
        ("QualityCheck", "port"),
        ("Waiver", "decided_by"),
        ("Term", "author"),
        ("DataProduct", "accountable"),
        ("AccessRequest", "grant"),
    ],
)
def test_the_schema_declares_them_nullable(component, prop):
    schema = SchemaGenerator().get_schema(request=None, public=True)
    properties = schema["components"]["schemas"][component]["properties"]
    assert properties[prop].get("nullable") is True, properties[prop]


@pytest.mark.django_db
def test_operations_taking_a_body_document_the_415_they_give(api_for, owner):
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = [op for item in schema["paths"].values() for method, op in item.items() if "requestBody" in op]
    assert operations and all("415" in operation["responses"] for operation in operations)
    response = api_for(owner).generic("POST", "/api/v1/products/", "name=x", content_type="text/plain")
    assert response.status_code == 415
