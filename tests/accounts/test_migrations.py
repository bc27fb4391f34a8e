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
