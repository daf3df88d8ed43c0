import json

from django import forms

from governance import permissions, selectors
from governance.models import Proposal, Seat, Vote
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


class ProposalForm(forms.ModelForm):
    """Drafting and editing a proposal. The rule is checked here for quick feedback and again by the service."""

    class Meta:
        model = Proposal
        fields = PROPOSAL_FIELDS
        labels = {
            "target_standard": "Standard to amend or retire",
            "standard_kind": "Standard kind",
            "standard_title": "Standard title",
            "standard_text": "Standard text",
            "rule": "Machine-checkable rule (JSON)",
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
        self.fields["rule"].help_text = "Examples: " + "; ".join(
            f"{kind}: {json.dumps(rule)}" for kind, rule in EXAMPLES.items()
        )
        if self.instance.pk:
            self.fields.pop("council")

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
        if kind in Proposal.STANDARD_KINDS:
            standard_kind = data.get("standard_kind") or getattr(data.get("target_standard"), "kind", "")
            if standard_kind:
                try:
                    rule_validate(standard_kind, data.get("rule") if data.get("rule") is not None else {})
                except DomainError as error:
                    self.add_error("rule", error.message)
        return data

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
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
