import re

from django import forms

from portal.errors import DomainError
from portal.forms import JSONInputField, attach_domain_error
from products.models import OutputPort
from products.quality.models import QualityCheck
from products.quality.runner import OPERATORS

PARAM = "param_"
# kind -> the keys of its params, each with a field ``param_<key>`` shown only for that kind.
KIND_PARAMS: dict[str, tuple[str, ...]] = {
    "freshness": ("max_age_minutes",),
    "completeness": ("min_percent",),
    "row_count": ("min_rows", "max_rows"),
    "uniqueness": ("max_duplicates",),
    "accepted_values": ("values",),
    "custom_sql": ("sql", "operator", "threshold"),
    "external": (),
}
KINDS_WITH_COLUMN = ("freshness", "completeness", "uniqueness", "accepted_values")
WHOLE_NUMBERS = ("max_age_minutes", "min_rows", "max_rows", "max_duplicates")


def _number_field(label: str, *, integer: bool, help_text: str = "") -> forms.Field:
    if integer:
        return forms.IntegerField(label=label, required=False, help_text=help_text)
    return forms.FloatField(
        label=label, required=False, help_text=help_text, widget=forms.NumberInput(attrs={"step": "any"})
    )


class QualityCheckForm(forms.Form):
    """A check's fields. Each kind shows its own parameters (``param_<key>``) and the column comes from the
    port's schema; the parameters can still be typed as JSON. The service validates them per kind
    (``products.quality.runner.params_validate``) and a refusal lands on the field it names."""

    name = forms.CharField(max_length=120)
    kind = forms.ChoiceField(choices=QualityCheck.Kind.choices)
    port = forms.ModelChoiceField(queryset=OutputPort.objects.none(), required=False)
    column = forms.CharField(max_length=63, required=False, help_text="A column of the port's schema.")
    param_max_age_minutes = _number_field("Newest row at most this many minutes old", integer=True)
    param_min_percent = _number_field("At least this share of rows filled (%)", integer=False)
    param_min_rows = _number_field("At least this many rows", integer=True)
    param_max_rows = _number_field("At most this many rows", integer=True)
    param_max_duplicates = _number_field("At most this many duplicate values", integer=True, help_text="0: unique.")
    param_values = forms.CharField(
        label="Accepted values",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One per line.",
    )
    param_sql = forms.CharField(
        label="Query",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "class": "mono", "placeholder": "SELECT COUNT(*) FROM {table}"}),
        help_text="One SELECT returning one number; write {table} for the port's table, the only table it may read. "
        "It runs read-only with a time limit.",
    )
    param_operator = forms.ChoiceField(
        label="Passes when the number is", required=False, choices=[("", "---------"), *((op, op) for op in OPERATORS)]
    )
    param_threshold = _number_field("Than", integer=False)
    params = JSONInputField(
        label="Parameters as JSON (instead of the fields above)",
        initial=dict,
        required=False,
        help_text='For example {"min_rows": 1, "max_rows": 100000}',
        widget=forms.Textarea(attrs={"rows": 2, "class": "mono"}),
    )
    severity = forms.ChoiceField(choices=QualityCheck.Severity.choices)
    dimension = forms.ChoiceField(choices=QualityCheck.Dimension.choices)
    enabled = forms.BooleanField(required=False, initial=True)

    def __init__(self, *args, product, **kwargs):
        super().__init__(*args, **kwargs)
        ports = list(OutputPort.objects.filter(product=product).prefetch_related("fields"))
        self.fields["port"].queryset = OutputPort.objects.filter(product=product)
        self.fields["port"].label_from_instance = lambda port: port.name  # the column picker's optgroup label
        self.columns = {port.pk: [field.name for field in port.fields.all()] for port in ports}
        choices = [("", "---------")]
        choices += [(port.name, [(f.name, f"{f.name} ({f.data_type})") for f in port.fields.all()]) for port in ports]
        current = self.initial.get("column") or ""
        if current and not any(current in names for names in self.columns.values()):
            choices.append((current, f"{current} (not in the schema)"))
        self.fields["column"].widget = forms.Select(choices=choices)
        if len(ports) == 1 and not self.initial.get("port"):
            self.initial["port"] = ports[0].pk
        self.initial.update(params_initial(self.initial.get("params")))
        if self.initial.get("params") is not None and any(name.startswith(PARAM) for name in self.initial):
            self.initial["params"] = None  # the kind's fields show them

    def param_groups(self) -> list[tuple[str, list]]:
        return [(kind, [self[PARAM + key] for key in keys]) for kind, keys in KIND_PARAMS.items() if keys]

    def builder_used(self) -> bool:
        kind = self.data.get("kind", "")
        return any(self.data.get(PARAM + key) not in (None, "") for key in KIND_PARAMS.get(kind, ()))

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        column, port = data.get("column"), data.get("port")
        if column and kind in KINDS_WITH_COLUMN:
            known = self.columns.get(port.pk, []) if port else [n for names in self.columns.values() for n in names]
            if known and column not in known:
                where = f"port {port.name}" if port else "this product's ports"
                self.add_error("column", f"{column} is not a column of {where}; choose one from the list.")
        if self.builder_used():
            self.errors.pop("params", None)
            data["params"] = self._params_of(kind, data)
        return data

    def _params_of(self, kind: str, data: dict) -> dict:
        params: dict = {}
        for key in KIND_PARAMS.get(kind, ()):
            value = data.get(PARAM + key)
            if value in (None, ""):
                continue
            if key == "values":
                value = [line.strip() for line in value.splitlines() if line.strip()]
            elif isinstance(value, float) and value.is_integer():
                value = int(value)
            params[key] = value
        return params

    def attach_service_error(self, error: DomainError) -> None:
        """A service refusal on its field: ``params.min_rows`` on the min-rows field when the fields were used."""
        if self.builder_used():
            named = re.match(r"params\.(\w+)", error.message)
            key = named.group(1) if named else ("sql" if error.field == "sql" else None)
            kind_keys = KIND_PARAMS.get(self.data.get("kind", ""), ())
            if key in kind_keys:
                self.add_error(PARAM + key, error.message)
                return
            if error.field == "params" and kind_keys:
                self.add_error(PARAM + kind_keys[0], error.message)
                return
        attach_domain_error(self, error, fallback="params")

    def service_kwargs(self) -> dict:
        data = {name: value for name, value in self.cleaned_data.items() if not name.startswith(PARAM)}
        data["params"] = data.get("params") or {}
        return data


def params_initial(params) -> dict:
    """The kind fields' initial values for stored params (the reverse of the form's ``_params_of``)."""
    if not isinstance(params, dict):
        return {}
    known = {key for keys in KIND_PARAMS.values() for key in keys}
    initial = {}
    for key, value in params.items():
        if key in known:
            initial[PARAM + key] = (
                "\n".join(str(item) for item in value) if key == "values" and isinstance(value, list) else value
            )
    return initial


class IngestTokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="Which pipeline uses it, e.g. “dbt nightly”.")
