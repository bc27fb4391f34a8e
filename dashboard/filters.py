"""The page filters, read from the URL so that every view of the data is a link that can be shared.

    ?range=7|28|90|custom &start=YYYY-MM-DD &end=YYYY-MM-DD &account=<id>… &mode=activity|created
    &posts=all|paid|unpaid

A filter that does not parse falls back to its default and says so; it never fails the page.
"""

from dataclasses import dataclass, field
from datetime import date

from django import forms
from django.http import QueryDict

from accounts.models import Team, XAccount
from metrics.selectors import PRESET_DAYS, Period, PeriodMode, PostKind, Scope, team_today

PRESETS = {str(days): days for days in PRESET_DAYS}
RANGE_CHOICES = [*((k, f"{v} days") for k, v in PRESETS.items()), ("custom", "Custom")]
DEFAULT_PRESET = "28"
MAX_CUSTOM_DAYS = 366
# What a filter that does not parse falls back to, as its error message says.
FALLBACKS = {
    "range": "the default period",
    "account": "all accounts",
    "mode": "activity in the period",
    "posts": "all Posts",
}


class FilterForm(forms.Form):
    range = forms.ChoiceField(
        choices=RANGE_CHOICES,
        required=False,
    )
    start = forms.DateField(required=False)
    end = forms.DateField(required=False)
    account = forms.MultipleChoiceField(required=False)
    mode = forms.ChoiceField(choices=[(m.value, m.label) for m in PeriodMode], required=False)
    posts = forms.ChoiceField(choices=[(k.value, k.label) for k in PostKind], required=False)

    def __init__(self, data, *, accounts: list[XAccount], today: date):
        super().__init__(data)
        self.today = today
        self.fields["account"].choices = [(str(a.pk), f"@{a.username}") for a in accounts]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("range") == "custom":
            start, end = cleaned.get("start"), cleaned.get("end")
            if start is None or end is None:
                raise forms.ValidationError("A custom range needs a start and an end date.")
            if start > end:
                raise forms.ValidationError("The range must start before it ends.")
            if end > self.today:
                raise forms.ValidationError("The range cannot end after today.")
            if (end - start).days + 1 > MAX_CUSTOM_DAYS:
                raise forms.ValidationError(f"A range covers at most {MAX_CUSTOM_DAYS} days.")
        return cleaned


@dataclass(frozen=True)
class Filters:
    """The parsed filters of a page and what the page needs to show them."""

    scope: Scope
    preset: str  # "7", "28", "90" or "custom"
    selected: frozenset[int]  # chosen account ids; empty means all
    errors: list[str] = field(default_factory=list)

    def as_audit_data(self) -> dict:
        return {
            "start": self.scope.period.start.isoformat(),
            "end": self.scope.period.end.isoformat(),
            "mode": self.scope.mode.value,
            "posts": self.scope.posts.value,
            "accounts": sorted(a.username for a in self.scope.accounts) if self.selected else "all",
        }

    def file_stem(self) -> str:
        period = self.scope.period
        stem = f"{period.start.isoformat()}-to-{period.end.isoformat()}-{self.scope.mode.value}"
        return stem if self.scope.all_posts else f"{stem}-{self.scope.posts.value}"


def parse_filters(query: QueryDict, *, team: Team, accounts: list[XAccount]) -> Filters:
    today = team_today(team)
    form = FilterForm(query, accounts=accounts, today=today)
    form.is_valid()
    data = form.cleaned_data  # the fields that parsed; a bad one falls back to its default
    errors = [
        f"{error} Showing {FALLBACKS.get(name, FALLBACKS['range'])} instead."
        for name, errors in form.errors.items()
        for error in errors
    ]
    preset = data.get("range") or DEFAULT_PRESET
    if preset == "custom" and form.non_field_errors():
        preset = DEFAULT_PRESET
    if preset == "custom":
        period = Period(data["start"], data["end"])
    else:
        period = Period.last(PRESETS[preset], today=today)
    selected = frozenset(int(pk) for pk in data.get("account", []))
    chosen = tuple(a for a in accounts if not selected or a.pk in selected)
    mode = PeriodMode(data.get("mode") or PeriodMode.ACTIVITY)
    posts = PostKind(data.get("posts") or PostKind.ALL)
    return Filters(
        scope=Scope(team=team, accounts=chosen, period=period, mode=mode, posts=posts),
        preset=preset,
        selected=selected,
        errors=errors,
    )
