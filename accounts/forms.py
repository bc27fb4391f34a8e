import zoneinfo

from django import forms

from accounts.models import Role, Team

TIME_ZONE_CHOICES = [(name, name) for name in sorted(zoneinfo.available_timezones())]


class TeamForm(forms.Form):
    # A plain form, not a ModelForm: services.team_update compares old and new values for the log.
    name = forms.CharField(max_length=Team._meta.get_field("name").max_length)
    time_zone = forms.ChoiceField(
        choices=TIME_ZONE_CHOICES,
        initial="UTC",
        help_text="Days in charts and exports start at midnight in this time zone.",
    )
    daily_post_read_budget = forms.IntegerField(
        min_value=0,
        initial=Team._meta.get_field("daily_post_read_budget").default,
        label="Daily Post read budget",
        help_text="X bills each Post read once per UTC day ($0.005 each). When the budget runs "
        "short, refreshes of Posts older than 30 days are skipped first.",
    )


class InvitationForm(forms.Form):
    email = forms.EmailField(label="Email address")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MEMBER)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)
