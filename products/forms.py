from django import forms
from django.forms import formset_factory

from products.models import DataProduct, OutputPort, SchemaField
from products.permissions import teams_user_may_own_for


class ProductForm(forms.ModelForm):
    tags_text = forms.CharField(label="Tags", required=False, help_text="Comma-separated, e.g. customer, gdpr, daily.")

    class Meta:
        model = DataProduct
        fields = [
            "name",
            "slug",
            "owner_team",
            "accountable",
            "summary",
            "classification",
            "documentation",
            "freshness_minutes",
            "completeness_percent",
            "availability_percent",
        ]
        labels = {
            "owner_team": "Owning team",
            "accountable": "Accountable person",
            "freshness_minutes": "Freshness SLA (minutes)",
            "completeness_percent": "Completeness SLA (%)",
            "availability_percent": "Availability SLA (%)",
        }
        widgets = {"documentation": forms.Textarea(attrs={"rows": 14})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner_team"].queryset = teams_user_may_own_for(user).select_related("domain")
        self.fields["owner_team"].label_from_instance = lambda team: f"{team.name} ({team.domain})"
        if self.instance.pk:
            self.fields.pop("slug")
            self.fields["tags_text"].initial = ", ".join(tag.name for tag in self.instance.tags.all())
        self.fields["accountable"].required = False

    def clean_tags_text(self) -> list[str]:
        return [part.strip() for part in self.cleaned_data["tags_text"].split(",") if part.strip()]

    def validate_unique(self):
        # The service checks the slug per domain and reports it on the slug field.
        pass

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data["tags"] = data.pop("tags_text")
        data["team" if not self.instance.pk else "owner_team"] = data.pop("owner_team")
        return data


class OutputPortForm(forms.ModelForm):
    class Meta:
        model = OutputPort
        fields = ["name", "kind", "location", "version", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def validate_unique(self):
        pass


class SchemaFieldForm(forms.ModelForm):
    """One schema row. A row without a name is skipped, so spare empty rows never block a save."""

    class Meta:
        model = SchemaField
        fields = ["name", "data_type", "description", "nullable", "classification"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("name") and not cleaned.get("data_type"):
            cleaned["data_type"] = "string"
        return cleaned

    def _post_clean(self):
        if self.cleaned_data.get("name"):
            super()._post_clean()

    def validate_unique(self):
        pass


SchemaFieldFormSet = formset_factory(SchemaFieldForm, extra=3, can_delete=True)


def schema_rows(formset) -> list[dict]:
    """The schema as the port editor submitted it, in order, without rows left blank or marked for deletion."""
    rows = []
    for form in formset.forms:
        data = form.cleaned_data
        if not data or data.get("DELETE") or not data.get("name"):
            continue
        rows.append({key: data[key] for key in ("name", "data_type", "description", "nullable", "classification")})
    return rows


class SubscribeForm(forms.Form):
    purpose = forms.CharField(max_length=300, help_text="What you use the product for.")
    team = forms.ModelChoiceField(queryset=None, required=False, empty_label="Just me")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams_user_may_own_for(user)


class LineageForm(forms.Form):
    upstream = forms.ModelChoiceField(queryset=None, required=False, label="Upstream product")
    external_source = forms.CharField(max_length=200, required=False, help_text="Or a source outside the mesh.")
    description = forms.CharField(max_length=300, required=False)

    def __init__(self, *args, user, product, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["upstream"].queryset = (
            DataProduct.objects.visible_to(user).exclude(pk=product.pk).select_related("domain").order_by("name")
        )


class TransitionForm(forms.Form):
    comment = forms.CharField(max_length=1000, required=False)


# --- Access to data ------------------------------------------------------------------------------------------


class AccessRequestForm(forms.Form):
    purpose = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), max_length=2000, help_text="What you will use the data for."
    )
    duration_days = forms.TypedChoiceField(coerce=int, label="Duration")
    wants_unmasked_pii = forms.BooleanField(
        required=False,
        label="I need classified columns unmasked",
        help_text="Only honoured if you hold a valid clearance (e.g. GDPR training) when the request is approved.",
    )

    def __init__(self, *args, durations: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["duration_days"].choices = [(days, f"{days} days") for days in durations]
        self.fields["duration_days"].initial = 90 if 90 in durations else durations[0]


class AccessDecisionForm(forms.Form):
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2000, required=False)


class GrantRevokeForm(forms.Form):
    reason = forms.CharField(max_length=300, required=False)


# --- Quality checks -----------------------------------------------------------------------------------------------

from products.models import QualityCheck  # noqa: E402 - appended section


class QualityCheckForm(forms.Form):
    """A check's fields; the service validates ``params`` per kind (see ``products.quality.params_validate``)."""

    name = forms.CharField(max_length=120)
    kind = forms.ChoiceField(choices=QualityCheck.Kind.choices)
    port = forms.ModelChoiceField(queryset=OutputPort.objects.none(), required=False)
    column = forms.CharField(max_length=63, required=False)
    params = forms.JSONField(
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
