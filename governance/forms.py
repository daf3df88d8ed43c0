import json

from django import forms

from governance import permissions, selectors
from governance.models import Proposal, Seat, Vote
from governance.rule_builder import (
    KIND_KEYS,
    PREFIX,
    builder_field_of,
    builder_fields,
    builder_initial,
    builder_used,
    rule_from_builder,
)
from governance.rules import EXAMPLES, rule_validate
from portal.errors import DomainError
from portal.forms import JSONInputField

PROPOSAL_FIELDS = [
    "council",
    "kind",
    "title",
    "motivation",
    "target_standard",
    "standard_kind",
    "standard_title",
    "standard_text",
    "rule",
    "severity",
    "grace_days",
    "effective_from",
    "payload",
]


class StandardSelect(forms.Select):
    """Each standard's option carries its kind (``data-kind``), so the rule builder shows that kind's fields."""

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        instance = getattr(value, "instance", None)
        if instance is not None:
            option["attrs"]["data-kind"] = instance.kind
        return option


class ProposalForm(forms.ModelForm):
    """Drafting and editing a proposal. The rule is built from one field per key of the chosen standard kind
    (``governance.rule_builder``), or typed as JSON; it is checked here for quick feedback and again by the
    service. Each problem is shown once, on the field at fault."""

    class Meta:
        model = Proposal
        fields = PROPOSAL_FIELDS
        labels = {
            "target_standard": "Standard to amend or retire",
            "standard_kind": "Standard kind",
            "standard_title": "Standard title",
            "standard_text": "Standard text",
            "rule": "The rule as JSON (instead of the fields above)",
            "grace_days": "Grace period (days)",
            "effective_from": "Effective from",
            "payload": "Payload (JSON, for other kinds)",
        }
        widgets = {
            "motivation": forms.Textarea(attrs={"rows": 8}),
            "standard_text": forms.Textarea(attrs={"rows": 6}),
            "rule": forms.Textarea(attrs={"rows": 3, "class": "mono"}),
            "payload": forms.Textarea(attrs={"rows": 2, "class": "mono"}),
            "effective_from": forms.DateInput(attrs={"type": "date"}),
            "target_standard": StandardSelect,
        }
        field_classes = {"rule": JSONInputField, "payload": JSONInputField}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        councils = permissions.councils_user_may_propose_in(user)
        self.fields["council"].queryset = councils
        self.fields["council"].empty_label = None
        self.fields["target_standard"].queryset = selectors.standard_choices(user=user)
        self.fields["target_standard"].required = False
        self.fields["rule"].required = False
        self.fields["payload"].required = False
        self.fields["severity"].required = False
        self.fields["grace_days"].required = False
        self.fields["rule"].help_text = "For example " + "; ".join(
            f"{kind}: {json.dumps(rule)}" for kind, rule in list(EXAMPLES.items())[:2]
        )
        self.fields.update(builder_fields())
        if self.instance.pk:
            self.fields.pop("council")
            self.initial.update(builder_initial(self.instance.rule))
            self.initial["rule"] = None  # the builder shows the stored rule

    def builder_groups(self) -> list[tuple[str, list]]:
        """(kind, bound fields) for the template: each kind's fieldset."""
        return [(kind, [self[PREFIX + key] for key in keys]) for kind, keys in KIND_KEYS.items()]

    def regular_fields(self) -> list:
        return [self[name] for name in self.fields if not name.startswith(PREFIX)]

    def clean_rule(self):
        return self.cleaned_data.get("rule") or {}

    def clean_severity(self):
        return self.cleaned_data.get("severity") or Proposal._meta.get_field("severity").default

    def clean_grace_days(self):
        value = self.cleaned_data.get("grace_days")
        return Proposal._meta.get_field("grace_days").default if value is None else value

    def clean_payload(self):
        return self.cleaned_data.get("payload") or {}

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind not in Proposal.STANDARD_KINDS:
            return data
        standard_kind = data.get("standard_kind") or getattr(data.get("target_standard"), "kind", "")
        if not standard_kind:
            return data
        typed_json = bool(data.get("rule")) or "rule" in self.errors
        if builder_used(standard_kind, self.data) or not typed_json:
            if any(PREFIX + key in self.errors for key in KIND_KEYS.get(standard_kind, ())):
                return data  # a field already says what is wrong
            data["rule"] = rule_from_builder(standard_kind, data)
            self.errors.pop("rule", None)
            try:
                rule_validate(standard_kind, data["rule"])
            except DomainError as error:
                field, message = builder_field_of(error.message)
                if field not in self.fields:
                    field = PREFIX + KIND_KEYS[standard_kind][0] if standard_kind in KIND_KEYS else "rule"
                self.add_error(field, message)
        elif "rule" not in self.errors:
            try:
                rule_validate(standard_kind, data.get("rule") or {})
            except DomainError as error:
                self.add_error("rule", error.message)
        return data

    def service_kwargs(self) -> dict:
        data = {name: value for name, value in self.cleaned_data.items() if not name.startswith(PREFIX)}
        data.pop("council", None)
        data["rule"] = data.get("rule") or {}
        data["payload"] = data.get("payload") or {}
        data["standard_kind"] = data.get("standard_kind") or ""
        return data


class OpenForm(forms.Form):
    deadline = forms.DateTimeField(
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="Empty: the council's default voting period.",
    )


class VoteForm(forms.Form):
    choice = forms.ChoiceField(choices=Vote.Choice.choices, widget=forms.RadioSelect)
    rationale = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    seat = forms.ModelChoiceField(queryset=Seat.objects.none(), required=False)

    def __init__(self, *args, seats=None, **kwargs):
        super().__init__(*args, **kwargs)
        seats = list(seats or [])
        self.fields["seat"].queryset = Seat.objects.filter(pk__in=[seat.pk for seat in seats])
        if len(seats) <= 1:
            self.fields["seat"].widget = forms.HiddenInput()


class CommentForm(forms.Form):
    body = forms.CharField(label="Comment", widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)


class SeatAssignForm(forms.Form):
    username = forms.CharField(max_length=150, label="Person", help_text="Their user name.")


class SeatDelegateForm(forms.Form):
    username = forms.CharField(max_length=150, label="Substitute", help_text="Their user name.")
    until = forms.DateField(label="Until", widget=forms.DateInput(attrs={"type": "date"}), help_text="The last day.")
