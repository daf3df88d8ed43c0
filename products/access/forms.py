from django import forms

from products.access.models import Clearance


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


class ClearanceForm(forms.Form):
    user = forms.CharField(max_length=150, label="User name")
    kind = forms.ChoiceField(choices=Clearance.Kind.choices)
    expires_at = forms.DateTimeField(
        label="Valid until", widget=forms.DateInput(attrs={"type": "date"}), help_text="At most three years ahead."
    )
    note = forms.CharField(max_length=300, required=False, help_text="e.g. the training and its certificate.")


class GrantUpgradeForm(forms.Form):
    purpose = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text="Why you need the classified columns in clear. The product's approvers decide again.",
    )
