from django import forms

from glossary.models import Term, TermRelation
from products.models import Domain


class TermForm(forms.Form):
    name = forms.CharField(max_length=150)
    domain = forms.ModelChoiceField(
        queryset=Domain.objects.order_by("name"),
        required=False,
        empty_label="Enterprise-wide",
        to_field_name="slug",
        help_text="The domain whose stewards review the term; enterprise-wide terms are reviewed by any steward.",
    )
    definition = forms.CharField(widget=forms.Textarea(attrs={"rows": 8}), help_text="Markdown.")
    synonyms = forms.CharField(required=False, help_text="Comma-separated, e.g. Client, Account holder.")
    abbreviations = forms.CharField(required=False, help_text="Comma-separated, e.g. CID.")
    examples = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, term: Term | None = None, **kwargs):
        if term is not None and "initial" not in kwargs:
            aliases = list(term.aliases.all())
            kwargs["initial"] = {
                "name": term.name,
                "definition": term.definition,
                "examples": term.examples,
                "synonyms": ", ".join(a.name for a in aliases if a.kind == "synonym"),
                "abbreviations": ", ".join(a.name for a in aliases if a.kind == "abbreviation"),
            }
        super().__init__(*args, **kwargs)
        if term is not None:
            self.fields.pop("domain")  # the domain decides who reviews: it does not change after creation


class TransitionForm(forms.Form):
    comment = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
    replaced_by = forms.ModelChoiceField(queryset=Term.objects.filter(status=Term.Status.APPROVED), required=False)


class RelationForm(forms.Form):
    kind = forms.ChoiceField(choices=TermRelation.Kind.choices)
    target = forms.ModelChoiceField(queryset=Term.objects.none(), label="Other term")
    explanation = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required for “differs from”: how the two terms differ.",
    )

    def __init__(self, *args, user, term: Term, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = (
            Term.objects.visible_to(user).exclude(pk=term.pk).select_related("domain").order_by("name", "pk")
        )
        self.fields["target"].label_from_instance = lambda t: f"{t.name} ({t.scope_label})"


class ImportForm(forms.Form):
    file = forms.FileField(help_text="CSV with a header: name, domain, definition, synonyms, abbreviations, examples.")
    good_rows_only = forms.BooleanField(
        required=False,
        label="Import only the good rows",
        help_text="By default the import is all or nothing: one bad row and nothing is imported.",
    )
    submit = forms.BooleanField(
        required=False, label="Submit imported terms for review", help_text="Otherwise they enter as drafts."
    )

    MAX_BYTES = 2 * 1024 * 1024

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError("The file is larger than 2 MB.")
        return upload


class StewardAppointForm(forms.Form):
    username = forms.CharField(max_length=150, label="Person", help_text="Their user name.")
    domain = forms.ModelChoiceField(
        queryset=None, required=False, to_field_name="slug", empty_label="Every domain (admins only)"
    )

    def __init__(self, *args, domains, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["domain"].queryset = domains
