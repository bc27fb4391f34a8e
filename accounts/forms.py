import zoneinfo

from django import forms
from django.core.validators import RegexValidator

from accounts.models import Role, Team
from xapi import pricing

TIME_ZONE_CHOICES = [(name, name) for name in sorted(zoneinfo.available_timezones())]

# X caps a pay-per-use Project at 3,000,000 Post reads a month: $15,000 at full price.
MAX_MONTHLY_BUDGET = pricing.post_reads_cost(pricing.MONTHLY_POST_READ_CAP).quantize(pricing.CENT)


class TeamForm(forms.Form):
    # A plain form, not a ModelForm: services.team_update compares old and new values for the log.
    name = forms.CharField(
        max_length=Team._meta.get_field("name").max_length,
        # It heads e-mail subjects, where a line break is refused.
        validators=[RegexValidator(r"^[^\x00-\x1f\x7f]*\Z", "A team name is one line of text.")],
    )
    time_zone = forms.ChoiceField(
        choices=TIME_ZONE_CHOICES,
        initial="UTC",
        help_text="Days in charts and exports start at midnight in this time zone.",
    )
    monthly_budget = forms.DecimalField(
        required=False,
        min_value=0,
        max_value=MAX_MONTHLY_BUDGET,
        max_digits=Team._meta.get_field("monthly_budget").max_digits,
        decimal_places=Team._meta.get_field("monthly_budget").decimal_places,
        label="Monthly X budget (US dollars)",
        help_text="The most the team's syncs may spend at X in a calendar month (UTC): X bills "
        f"each Post read ${pricing.POST_READ}, once per UTC day. Spent evenly over the month's "
        "days; when a day's share runs short, Posts younger than 30 days are read first. Leave "
        "it empty for a budget sized to the team's accounts (the X accounts page shows it).",
    )


class InvitationForm(forms.Form):
    email = forms.EmailField(label="Email address")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MEMBER)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)
