from django import forms


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
