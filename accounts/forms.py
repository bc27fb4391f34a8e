import zoneinfo

from django import forms
from django.core.validators import RegexValidator

from accounts.models import Role, Team

TIME_ZONE_CHOICES = [(name, name) for name in sorted(zoneinfo.available_timezones())]


MAX_DAILY_POST_READS = 3_000_000


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
    daily_post_read_budget = forms.IntegerField(
        min_value=0,
        # X caps a pay-per-use project at 3,000,000 Post reads a month: a day cannot use more.
        max_value=MAX_DAILY_POST_READS,
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
