from django import forms


class WaiverRequestForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=2000)
    expires_on = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}), help_text="The waiver lapses at the start of this day (UTC)."
    )


class WaiverDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")])
    note = forms.CharField(required=False, max_length=2000)
