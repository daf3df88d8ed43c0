import copy
import re

import django_filters
from django import forms
from django.db import models
from django_filters import rest_framework as drf_filters
from drf_spectacular.utils import extend_schema_field


@extend_schema_field({"type": "string", "enum": ["true", "false"]})
class StrictBooleanFilter(django_filters.TypedChoiceFilter):
    """``true`` or ``false``, nothing else: any other value is a 400 naming the parameter, not a silent no-op."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", [("true", "true"), ("false", "false")])
        kwargs.setdefault("coerce", lambda value: value == "true")
        super().__init__(*args, **kwargs)


# Larger ids than a database integer holds are a 400, not a database error (SQLite refuses them outright).
ID_MAX = 2**63 - 1


class _WholeNumberField(forms.IntegerField):
    re_decimal = re.compile(r"(?!)")  # "12.0" is not an id: Django's IntegerField would drop the ".0"


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": ID_MAX})
class IdFilter(django_filters.NumberFilter):
    """An object id: a whole number from 1 up; anything else is a 400 naming the parameter."""

    field_class = _WholeNumberField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", ID_MAX)
        super().__init__(*args, **kwargs)


class _NoMatch:
    """The cleaned value of a filter naming a row that does not exist: it matches nothing."""

    def __repr__(self) -> str:
        return "NO_MATCH"


NO_MATCH = _NoMatch()


class _UnknownChoiceMatchesNothing:
    def clean(self, value):
        try:
            return super().clean(value)
        except forms.ValidationError as error:
            if getattr(error, "code", None) != "invalid_choice":
                raise
            return NO_MATCH


class _RowValuesIterator(forms.models.ModelChoiceIterator):
    """A row filter's choices read as (value, label) pairs in one ``values_list``: no model instance per option (a
    catalog's tag filter holds hundreds)."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        yield from self.queryset.values_list(self.field.to_field_name, self.field.label_field)


class _ModelChoiceField(_UnknownChoiceMatchesNothing, django_filters.fields.ModelChoiceField):
    def __init__(self, *args, label_field: str | None = None, **kwargs):
        self.label_field = label_field
        super().__init__(*args, **kwargs)
        if label_field and self.to_field_name:
            self.iterator = _RowValuesIterator


class _ChoiceField(_UnknownChoiceMatchesNothing, django_filters.fields.ChoiceField):
    pass


@extend_schema_field({"type": "string"})
class RowFilter(django_filters.ModelChoiceFilter):
    """A related row named by its slug, name or id: a name that matches no row (or a row the caller may not see)
    gives an empty list, as a filter does, where django-filter's choice filter would answer a 400 and so tell
    "missing" from "hidden". With ``label_field`` the form's options are read as plain values (the field the
    row's ``__str__`` shows)."""

    field_class = _ModelChoiceField

    def filter(self, qs, value):
        return qs.none() if value is NO_MATCH else super().filter(qs, value)


@extend_schema_field({"type": "string"})
class RowChoiceFilter(django_filters.ChoiceFilter):
    """``RowFilter`` for choices built from rows at request time: an unknown choice is ``NO_MATCH``, which the
    filter's method answers with nothing."""

    field_class = _ChoiceField

    def filter(self, qs, value):
        return qs.none() if value is NO_MATCH else super().filter(qs, value)


class ScopedFilterSet(drf_filters.FilterSet):
    """Filters a relation by id without looking the object up: ``?product=`` naming a product the caller may not see
    answers exactly like one that does not exist (an empty list from the already visibility-scoped queryset), where
    django-filter's default choice filter would tell the two apart (200 versus "select a valid choice")."""

    FILTER_DEFAULTS = copy.deepcopy(drf_filters.FilterSet.FILTER_DEFAULTS)
    FILTER_DEFAULTS.update(
        {models.ForeignKey: {"filter_class": IdFilter}, models.OneToOneField: {"filter_class": IdFilter}}
    )


class FilterBackend(drf_filters.DjangoFilterBackend):
    """The API's filter backend: ``filterset_fields`` are built on ``ScopedFilterSet``."""

    filterset_base = ScopedFilterSet
