from django import forms

from portal.forms import JSONInputField
from products.models import OutputPort
from products.quality.models import QualityCheck


class QualityCheckForm(forms.Form):
    """A check's fields; the service validates ``params`` per kind (see ``products.quality.runner.params_validate``)."""

    name = forms.CharField(max_length=120)
    kind = forms.ChoiceField(choices=QualityCheck.Kind.choices)
    port = forms.ModelChoiceField(queryset=OutputPort.objects.none(), required=False)
    column = forms.CharField(max_length=63, required=False)
    params = JSONInputField(
        initial=dict,
        required=False,
        help_text='e.g. {"max_age_minutes": 60} · {"min_percent": 99} · {"min_rows": 1, "max_rows": 100000} · '
        '{"values": ["DE", "FR"]} · {"sql": "SELECT COUNT(*) FROM {table} WHERE amount < 0", "operator": "=", '
        '"threshold": 0}',
        widget=forms.Textarea(attrs={"rows": 3, "class": "mono"}),
    )
    severity = forms.ChoiceField(choices=QualityCheck.Severity.choices)
    dimension = forms.ChoiceField(choices=QualityCheck.Dimension.choices)
    enabled = forms.BooleanField(required=False, initial=True)

    def __init__(self, *args, product, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["port"].queryset = OutputPort.objects.filter(product=product)

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data["params"] = data.get("params") or {}
        return data


class IngestTokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="Which pipeline uses it, e.g. “dbt nightly”.")
