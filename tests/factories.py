"""factory_boy factories: the people, teams and invitations tests are written about."""

import secrets
from datetime import timedelta

import factory
from allauth.account.models import EmailAddress
from django.utils import timezone

from accounts.models import (
    INVITATION_LIFETIME,
    Invitation,
    Membership,
    Role,
    Team,
    User,
    XAccount,
    XCredential,
    token_digest,
)

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    name = factory.Faker("name")

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or PASSWORD)
        if create:
            self.save(update_fields=["password"])

    @factory.post_generation
    def verified(self, create, extracted, **kwargs):
        # People in tests have confirmed their address unless a test says otherwise.
        if create and extracted is not False:
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.Sequence(lambda n: f"team-{n}")
    time_zone = "UTC"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    team = factory.SubFactory(TeamFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.MEMBER


class InvitationFactory(factory.django.DjangoModelFactory):
    """The secret token is random unless given, and kept on `.token` (the model stores a digest)."""

    class Meta:
        model = Invitation

    team = factory.SubFactory(TeamFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.com")
    role = Role.MEMBER
    token = factory.LazyFunction(lambda: secrets.token_urlsafe(32))
    token_digest = factory.LazyAttribute(lambda o: token_digest(o.token))
    expires_at = factory.LazyFunction(lambda: timezone.now() + INVITATION_LIFETIME)

    @classmethod
    def _create(cls, model_class, *args, token, **kwargs):
        invitation = super()._create(model_class, *args, **kwargs)
        invitation.token = token
        return invitation


class XAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = XAccount

    team = factory.SubFactory(TeamFactory)
    x_user_id = factory.Sequence(lambda n: str(1_000_000 + n))
    username = factory.Sequence(lambda n: f"brand{n}")
    name = factory.LazyAttribute(lambda o: o.username.title())
    auth_method = XAccount.AuthMethod.OAUTH2


class XCredentialFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = XCredential

    account = factory.SubFactory(XAccountFactory)
    access_token = factory.Sequence(lambda n: f"access-token-{n}-{secrets.token_hex(8)}")
    refresh_token = factory.Sequence(lambda n: f"refresh-token-{n}-{secrets.token_hex(8)}")
    scopes = "tweet.read users.read offline.access"
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=2))
