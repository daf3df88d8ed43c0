from django import forms

from products.models import Membership, Team


class MemberAddForm(forms.Form):
    username = forms.CharField(
        max_length=150,
        label="Person",
        help_text="Their user name, as shown on their profile.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    role = forms.ChoiceField(choices=Membership.Role.choices, initial=Membership.Role.MEMBER)


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(choices=Membership.Role.choices)


class ProductTransferForm(forms.Form):
    team = forms.ModelChoiceField(queryset=Team.objects.none(), label="New owning team", to_field_name="slug")
    comment = forms.CharField(max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, targets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = targets
