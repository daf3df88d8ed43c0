from django import forms

from products.models import SchemaField


class VersionPairForm(forms.Form):
    """Which two versions of a port to compare (defaults: the one before the newest, and the newest)."""

    old = forms.TypedChoiceField(coerce=int, label="From")
    new = forms.TypedChoiceField(coerce=int, label="To")

    def __init__(self, *args, versions, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(version.pk, f"v{version.version} · {version.get_status_display().lower()}") for version in versions]
        self.fields["old"].choices = self.fields["new"].choices = choices


class ScheduleForm(forms.Form):
    version = forms.CharField(max_length=64, help_text="The new version; a breaking change needs a new major.")
    summary = forms.CharField(max_length=500, required=False, help_text="What changes and why, for consumers.")


class SuccessorForm(forms.Form):
    """A breaking schema published at once as a new port; the old one stays until its sunset."""

    name = forms.CharField(max_length=100, help_text="The new port's name, e.g. orders_v2.")
    version = forms.CharField(max_length=64, help_text="A new major version.")
    sunset_at = forms.DateField(
        required=False,
        label="Old port's sunset",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Empty: the earliest the notice period allows.",
    )
    location = forms.CharField(max_length=500, required=False)
    table = forms.CharField(max_length=200, required=False, help_text="The new port's table in the warehouse.")
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))


class DeclassificationRequestForm(forms.Form):
    field = forms.ModelChoiceField(queryset=SchemaField.objects.none(), label="Column")
    to_classification = forms.ChoiceField(choices=SchemaField.Classification.choices, label="Lower to", required=False)
    reason = forms.CharField(max_length=500, help_text="Why the column no longer needs its classification.")

    def __init__(self, *args, port, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["field"].queryset = port.fields.exclude(classification="").order_by("position", "pk")


class DecisionForm(forms.Form):
    comment = forms.CharField(max_length=500, required=False)


class ContractUploadForm(forms.Form):
    """An ODCS contract to apply to a product's port: a file from the repository, or its text."""

    file = forms.FileField(required=False, label="Contract file", help_text="An ODCS v3 document (.yaml or .json).")
    text = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 8}), label="Or paste it")

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload is not None:
            from products.contracts.odcs import MAX_CONTRACT_BYTES

            if upload.size > MAX_CONTRACT_BYTES:
                raise forms.ValidationError(f"A contract file may hold at most {MAX_CONTRACT_BYTES // 1000} kB.")
            cleaned["text"] = upload.read()
        if not cleaned.get("text"):
            raise forms.ValidationError("Choose a contract file or paste one.")
        return cleaned
