"""Since one address per person (ACCOUNT_MAX_EMAIL_ADDRESSES = 1), a secondary address nobody
confirmed is a squat on someone else's address (it blocks their sign-up and catches their
password resets): removed. Verified or primary addresses stay."""

from django.db import migrations


def forget_unverified_secondary_addresses(apps, schema_editor):
    EmailAddress = apps.get_model("account", "EmailAddress")
    EmailAddress.objects.filter(primary=False, verified=False).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_sync_schedule"),
        ("account", "0009_emailaddress_unique_primary_email"),
    ]

    operations = [
        migrations.RunPython(forget_unverified_secondary_addresses, migrations.RunPython.noop)
    ]
