"""Data migrations of people's accounts do what they say, on real rows."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("accounts", "0003_sync_schedule")]
AFTER = [("accounts", "0004_forget_unverified_secondary_addresses")]


def _migrate(targets):
    """Every other app at its newest migration, `accounts` at the target."""
    executor = MigrationExecutor(connection)
    others = [leaf for leaf in executor.loader.graph.leaf_nodes() if leaf[0] != "accounts"]
    executor.migrate([*others, *targets])
    executor.loader.build_graph()
    return executor.loader.project_state([*others, *targets]).apps


def test_unverified_secondary_addresses_are_forgotten_and_the_rest_stay():
    apps = _migrate(BEFORE)
    User = apps.get_model("accounts", "User")
    EmailAddress = apps.get_model("account", "EmailAddress")
    squatter = User.objects.create(email="squatter@example.com")
    EmailAddress.objects.create(
        user=squatter, email="squatter@example.com", primary=True, verified=True
    )
    EmailAddress.objects.create(
        user=squatter, email="victim@example.com", primary=False, verified=False
    )
    EmailAddress.objects.create(
        user=squatter, email="old@example.com", primary=False, verified=True
    )
    newcomer = User.objects.create(email="new@example.com")
    EmailAddress.objects.create(
        user=newcomer, email="new@example.com", primary=True, verified=False
    )

    apps = _migrate(AFTER)

    left = apps.get_model("account", "EmailAddress").objects.values_list("email", flat=True)
    assert sorted(left) == ["new@example.com", "old@example.com", "squatter@example.com"]


def test_a_chosen_daily_read_budget_becomes_the_dollars_it_allowed_over_a_month():
    apps = _migrate([("accounts", "0005_audit_post_tracked")])
    Team = apps.get_model("accounts", "Team")
    Team.objects.create(name="Kept the default", slug="default", daily_post_read_budget=10_000)
    Team.objects.create(name="Chose 2,000 a day", slug="chosen", daily_post_read_budget=2_000)

    apps = _migrate([("accounts", "0006_monthly_budget")])

    budgets = dict(apps.get_model("accounts", "Team").objects.values_list("slug", "monthly_budget"))
    # 2,000 reads a day x 30 days x $0.005; the default becomes the budget sized to the accounts.
    assert budgets == {"default": None, "chosen": 300}
