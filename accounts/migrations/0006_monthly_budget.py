from decimal import Decimal

from django.db import migrations, models

# The daily read budget's default: teams that kept it get the budget sized to their accounts.
OLD_DEFAULT = 10_000
POST_READ = Decimal("0.005")  # xapi.pricing.POST_READ when this migration was written


def daily_reads_to_monthly_dollars(apps, schema_editor):
    """A team that chose a daily read budget keeps what it allowed over a 30-day month."""
    Team = apps.get_model("accounts", "Team")
    for team in Team.objects.exclude(daily_post_read_budget=OLD_DEFAULT):
        team.monthly_budget = team.daily_post_read_budget * 30 * POST_READ
        team.save(update_fields=["monthly_budget"])


def monthly_dollars_to_daily_reads(apps, schema_editor):
    Team = apps.get_model("accounts", "Team")
    for team in Team.objects.exclude(monthly_budget=None):
        team.daily_post_read_budget = int(team.monthly_budget / 30 / POST_READ)
        team.save(update_fields=["daily_post_read_budget"])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0005_audit_post_tracked")]

    operations = [
        migrations.AddField(
            model_name="team",
            name="monthly_budget",
            field=models.DecimalField(blank=True, decimal_places=2, max_digits=9, null=True),
        ),
        migrations.RunPython(daily_reads_to_monthly_dollars, monthly_dollars_to_daily_reads),
        migrations.RemoveField(model_name="team", name="daily_post_read_budget"),
    ]
