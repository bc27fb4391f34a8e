from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts import services
from accounts.models import Membership, Role, User

DEMO_EMAIL = "demo@quartile.local"
DEMO_PASSWORD = "quartile-demo"
DEMO_TEAM = "Demo team"


class Command(BaseCommand):
    help = "Create the demo owner and team (DEMO_MODE only). Safe to run again."

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        if not settings.DEMO_MODE:
            raise CommandError("seed_demo only runs with DEMO_MODE=true.")
        user = User.objects.filter(email=DEMO_EMAIL).first()
        if user is None:
            user = User.objects.create_user(DEMO_EMAIL, DEMO_PASSWORD, name="Demo Owner")
        EmailAddress.objects.update_or_create(
            user=user, email=DEMO_EMAIL, defaults={"verified": True, "primary": True}
        )
        if not Membership.objects.filter(user=user, role=Role.OWNER).exists():
            services.team_create(name=DEMO_TEAM, owner=user, time_zone="Europe/London")
        self.stdout.write(f"Demo owner: {DEMO_EMAIL} / password {DEMO_PASSWORD} (demo mode only)")
