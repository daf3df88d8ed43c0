from django import forms
from django.forms import formset_factory
from django.utils.text import slugify

from products.models import SCHEMA_COLUMN_KEYS, DataProduct, OutputPort, SchemaField
from products.permissions import teams_user_may_own_for


def person_label(user) -> str:
    """A person as people know them: "Carla Ruiz (carla)", or the user name alone when no name is recorded."""
    full_name = user.get_full_name()
    return f"{full_name} ({user.username})" if full_name else user.username


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
            "retention_days",
        ]
        labels = {
            "owner_team": "Owning team",
            "accountable": "Accountable person",
            "freshness_minutes": "Freshness SLA (minutes)",
            "completeness_percent": "Completeness SLA (%)",
            "availability_percent": "Availability SLA (%)",
            "retention_days": "Retention (days)",
        }
        widgets = {"documentation": forms.Textarea(attrs={"rows": 14})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        teams = teams_user_may_own_for(user).select_related("domain")
        self.fields["owner_team"].queryset = teams
        self.fields["owner_team"].label_from_instance = lambda team: f"{team.name} ({team.domain})"
        accountable = self.fields["accountable"]
        accountable.queryset = accountable.queryset.filter(is_active=True).order_by(
            "first_name", "last_name", "username"
        )
        accountable.label_from_instance = person_label
        accountable.required = False
        if self.instance.pk:
            self.fields.pop("slug")
            self.fields.pop("owner_team")  # a product changes hands on its hand-over page, with that page's rules
            self.fields["tags_text"].initial = ", ".join(tag.name for tag in self.instance.tags.all())
        else:
            self.fields["slug"].required = False
            self.fields["slug"].help_text = "Part of the product's address; empty: made from the name."
            self.fields["slug"].widget.attrs["data-slug-from"] = "id_name"
            own_teams = list(teams.filter(group__user=user)[:2])  # an admin's own team before all the others
            if len(own_teams) == 1:
                self.initial.setdefault("owner_team", own_teams[0].pk)
            self.initial.setdefault("accountable", user.pk)

    def clean_slug(self) -> str:
        slug = self.cleaned_data.get("slug") or slugify(self.data.get("name", ""))[:80].strip("-")
        if not slug:
            raise forms.ValidationError("Give the product a name or a slug of letters, digits and hyphens.")
        return slug

    def clean_tags_text(self) -> list[str]:
        return [part.strip() for part in self.cleaned_data["tags_text"].split(",") if part.strip()]

    def validate_unique(self):
        # The service checks the slug per domain and reports it on the slug field.
        pass

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data["tags"] = data.pop("tags_text")
        if not self.instance.pk:
            data["team"] = data.pop("owner_team")
        return data


class OutputPortForm(forms.ModelForm):
    class Meta:
        model = OutputPort
        fields = ["name", "kind", "location", "version", "description", "warehouse", "table"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "warehouse": "Registered by the portal's administrators; its credentials stay in the environment.",
            "table": "The portal checks the table exists and is readable; an empty schema is filled from its columns.",
        }

    def validate_unique(self):
        pass


class SchemaFieldForm(forms.ModelForm):
    """One schema row. A row without a name is skipped, so spare empty rows never block a save."""

    class Meta:
        model = SchemaField
        fields = list(SCHEMA_COLUMN_KEYS)

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


SchemaFieldFormSet = formset_factory(SchemaFieldForm, extra=1, can_delete=True)
# A new port starts with two empty rows; the editor's "Add a field" button adds more without a reload.
NewSchemaFieldFormSet = formset_factory(SchemaFieldForm, extra=2, can_delete=True)


def schema_formset(data, *, initial: list[dict]):
    """The port editor's schema rows: the port's columns plus one spare row, or two empty rows for a new port."""
    formset_class = SchemaFieldFormSet if initial else NewSchemaFieldFormSet
    return formset_class(data, initial=initial, prefix="fields")


def schema_rows(formset) -> list[dict]:
    """The schema as the port editor submitted it, in order, without rows left blank or marked for deletion."""
    rows = []
    for form in formset.forms:
        data = form.cleaned_data
        if not data or data.get("DELETE") or not data.get("name"):
            continue
        rows.append({key: data[key] for key in SCHEMA_COLUMN_KEYS})
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
        # The product page shows no list to choose from (the picker searches as one types): only a submitted form
        # needs the products the user may name, to check the one they chose.
        self.fields["upstream"].queryset = (
            DataProduct.objects.visible_to(user).exclude(pk=product.pk).select_related("domain").order_by("name")
            if self.is_bound
            else DataProduct.objects.none()
        )


class TransitionForm(forms.Form):
    comment = forms.CharField(max_length=1000, required=False)
    sunset_at = forms.DateField(
        required=False,
        label="Sunset",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Deprecating: the last day consumers can rely on the product (empty: the end of the notice period).",
    )
