"""People, teams, roles, invitations and the team audit log."""

import hashlib
import zoneinfo
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.fields import EncryptedSecretField

INVITATION_LIFETIME = timedelta(days=7)


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person; they sign in with their email address."""

    email = models.EmailField(unique=True)
    name = models.CharField(max_length=150, blank=True)
    is_staff = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.email

    @property
    def display_name(self) -> str:
        return self.name or self.email


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a known time zone (e.g. Europe/Paris).")


class Team(models.Model):
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=60, unique=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    # The most the team's syncs and lookups may spend at X in a UTC calendar month, in dollars
    # (xapi.pricing); None: sized to its accounts (metrics.spend.default_monthly_budget).
    monthly_budget = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    MEMBER = "member", "Member"


# Higher rank includes the powers of the lower ones.
ROLE_RANK = {Role.MEMBER: 0, Role.ADMIN: 1, Role.OWNER: 2}


class Membership(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="membership_team_user_unique")
        ]
        ordering = ["team", "created_at"]

    def __str__(self) -> str:
        return f"{self.user} in {self.team} ({self.role})"

    def has_role(self, minimum: Role) -> bool:
        return ROLE_RANK[Role(self.role)] >= ROLE_RANK[minimum]

    @property
    def is_admin(self) -> bool:
        return self.has_role(Role.ADMIN)


def token_digest(token: str) -> str:
    """Invitation tokens are stored as their SHA-256 digest, like a password reset token."""
    return hashlib.sha256(token.encode()).hexdigest()


class InvitationQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(accepted_at=None, revoked_at=None, expires_at__gt=timezone.now())


class Invitation(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invitation of {self.email} to {self.team}"

    @property
    def status(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"


class AuditEvent(models.Model):
    """One change to a team, kept for its admins to read."""

    class Verb(models.TextChoices):
        TEAM_CREATED = "team.created", "created the team"
        TEAM_UPDATED = "team.updated", "changed the team settings"
        INVITATION_SENT = "invitation.sent", "invited"
        INVITATION_REVOKED = "invitation.revoked", "revoked the invitation of"
        INVITATION_ACCEPTED = "invitation.accepted", "accepted an invitation as"
        MEMBER_ROLE_CHANGED = "member.role_changed", "changed the role of"
        MEMBER_REMOVED = "member.removed", "removed"
        MEMBER_LEFT = "member.left", "left the team"
        X_ACCOUNT_CONNECTED = "x_account.connected", "connected the X account"
        X_ACCOUNT_DISCONNECTED = "x_account.disconnected", "disconnected the X account"
        EXPORT_DOWNLOADED = "export.downloaded", "downloaded"
        POST_TRACKED = "post.tracked", "started tracking the Post"

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="audit_events")
    actor = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    actor_email = models.EmailField(blank=True)  # kept when the person is deleted
    verb = models.CharField(max_length=40, choices=Verb.choices)
    target = models.CharField(max_length=255, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["team", "-created_at"], name="audit_team_recent")]

    def __str__(self) -> str:
        return f"{self.actor_email or 'system'} {self.get_verb_display()} {self.target}".strip()


class XAccount(models.Model):
    """An X account connected to a team. Its secrets live only in its `XCredential`."""

    class AuthMethod(models.TextChoices):
        OAUTH2 = "oauth2", "OAuth 2.0"
        OAUTH1 = "oauth1", "OAuth 1.0a"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        NEEDS_REAUTH = "needs_reauth", "Needs reconnecting"
        DISCONNECTED = "disconnected", "Disconnected"

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="x_accounts")
    x_user_id = models.CharField(max_length=20)
    username = models.CharField(max_length=50)
    name = models.CharField(max_length=100, blank=True)
    profile_image_url = models.URLField(max_length=500, blank=True)
    auth_method = models.CharField(max_length=10, choices=AuthMethod.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    connected_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    connected_at = models.DateTimeField(default=timezone.now)
    disconnected_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    post_count = models.PositiveIntegerField(null=True, blank=True)  # X's tweet_count

    # Sync scheduling. The database is the source of truth; the queue only carries hints.
    next_sync_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    backfilled_at = models.DateTimeField(null=True, blank=True)
    # A claim is taken with a compare-and-set and renewed by the running sync (a lease).
    sync_claim = models.CharField(max_length=32, blank=True)
    sync_claimed_until = models.DateTimeField(null=True, blank=True)
    rate_limited_until = models.DateTimeField(null=True, blank=True)
    deferral_reason = models.CharField(max_length=255, blank=True)
    consecutive_failures = models.PositiveSmallIntegerField(default=0)
    # xapi.RateLimitState as JSON: the last x-rate-limit-* headers per endpoint of this token.
    rate_limits = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "x_user_id"], name="xaccount_team_user_unique")
        ]
        ordering = ["username"]

    def __str__(self) -> str:
        return f"@{self.username}"

    @property
    def x_url(self) -> str:
        return f"https://x.com/{self.username}"


class XCredential(models.Model):
    """The tokens of one X account, encrypted at rest. Never shown, logged or exported."""

    account = models.OneToOneField(XAccount, on_delete=models.CASCADE, related_name="credential")
    access_token = EncryptedSecretField()
    # OAuth 2.0: the rotating refresh token. OAuth 1.0a: none.
    refresh_token = EncryptedSecretField(null=True, blank=True)
    # OAuth 1.0a: the token secret. OAuth 2.0: none.
    token_secret = EncryptedSecretField(null=True, blank=True)
    scopes = models.CharField(max_length=255, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)  # OAuth 1.0a tokens do not expire
    # Bumped on every refresh; a refresh writes only over the version it read (compare-and-set).
    version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"credential of {self.account}"

    def __repr__(self) -> str:
        return f"<XCredential account={self.account_id} version={self.version}>"
