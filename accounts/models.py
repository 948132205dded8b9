import uuid
from datetime import time

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower

from accounts.validators import (
    validate_date_of_birth,
    validate_full_name,
    validate_phone,
    validate_timezone,
)


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)

    def create_user(self, email=None, password=None, **fields):
        if not email and not fields.get("phone"):
            raise ValueError("an email or a phone number is required")
        email = self.normalize_email(email).lower() if email else None
        user = self.model(email=email, **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **fields):
        if not email:
            raise ValueError("email is required")
        fields.setdefault("full_name", "Administrator")
        fields.update(is_staff=True, is_superuser=True, is_verified=True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Optional only for accounts registered with a phone number alone; stored lower-case.
    email = models.EmailField(max_length=254, unique=True, null=True, blank=True)
    phone = models.CharField(
        max_length=16, null=True, blank=True, unique=True, validators=[validate_phone]
    )
    full_name = models.CharField(max_length=100, validators=[validate_full_name])
    birth_name = models.CharField(max_length=100, blank=True, default="")
    date_of_birth = models.DateField(null=True, blank=True, validators=[validate_date_of_birth])
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    is_verified = models.BooleanField(default=False)
    is_premium = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # Access tokens issued before this instant are refused (password reset, "log out everywhere").
    tokens_valid_after = models.DateTimeField(null=True, blank=True, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
            models.CheckConstraint(
                condition=models.Q(email__isnull=False) | models.Q(phone__isnull=False),
                name="accounts_user_email_or_phone",
            ),
        ]

    def __str__(self) -> str:
        return self.email or self.phone or str(self.pk)

    @property
    def numerology_name(self) -> str:
        return self.birth_name or self.full_name


class RefreshToken(models.Model):
    """One issued refresh token. A login starts a family; each rotation adds one to it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="refresh_tokens")
    jti = models.CharField(max_length=64, unique=True)
    family_id = models.UUIDField(db_index=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    replaced_by = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replaces"
    )

    class Meta:
        indexes = [models.Index(fields=["user", "revoked_at"], name="accounts_rt_user_revoked")]

    def __str__(self) -> str:
        return f"refresh {self.jti[:8]}… of {self.user_id}"


class OneTimeCode(models.Model):
    """The current one-time code of a user for one purpose (one row per user and purpose)."""

    class Purpose(models.TextChoices):
        VERIFY = "verify", "Verify contact"
        PASSWORD_RESET = "password_reset", "Password reset"

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        SMS = "sms", "SMS"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="one_time_codes")
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    destination = models.CharField(max_length=254)
    # HMAC-SHA256 of the code keyed with SECRET_KEY; empty once used up or locked.
    code_hash = models.CharField(max_length=128, blank=True, default="")
    sent_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "purpose"], name="accounts_otp_user_purpose_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.purpose} code for {self.user_id} via {self.channel}"


# --- mobile pushes ----------------------------------------------------------------------------
class Device(models.Model):
    """A device registered for pushes: its FCM registration token (unique across users)."""

    class Platform(models.TextChoices):
        IOS = "ios", "iOS"
        ANDROID = "android", "Android"
        WEB = "web", "Web"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="devices")
    token = models.CharField(max_length=512, unique=True)
    platform = models.CharField(max_length=8, choices=Platform.choices)
    app_version = models.CharField(max_length=32, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["user", "last_seen"], name="accounts_device_user_seen")]

    def __str__(self) -> str:
        # Never the whole token: it is a credential for pushing to this device.
        return f"{self.platform} device …{self.token[-6:]} of {self.user_id}"


class NotificationSettings(models.Model):
    """What the user is pushed and when; a user without a row has the defaults."""

    user = models.OneToOneField(
        User, on_delete=models.CASCADE, primary_key=True, related_name="notification_settings"
    )
    daily_reading_enabled = models.BooleanField(default=True)
    # Local wall-clock time (the user's time zone) the daily reading is generated and pushed.
    delivery_time = models.TimeField(default=time(7, 0))
    quiet_hours_start = models.TimeField(null=True, blank=True)
    quiet_hours_end = models.TimeField(null=True, blank=True)
    chat_reply_enabled = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "notification settings"

    def __str__(self) -> str:
        return f"notification settings of {self.user_id}"


class PushDelivery(models.Model):
    """One push to all devices of a user: the outbox row that makes sending idempotent.

    Unique per (user, kind, key) — e.g. ("reading.daily", "2026-11-27") — so a reading handed
    over twice, or a task run twice, notifies once. The content is stored with it, so the
    sending task takes only ids; `pending_device_ids` lists the devices a transient error left
    to retry.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        RETRY = "retry", "Waiting to retry"
        SENT = "sent", "Sent"
        SKIPPED = "skipped", "Skipped"
        FAILED = "failed", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="push_deliveries")
    kind = models.CharField(max_length=32)
    key = models.CharField(max_length=64)
    title = models.CharField(max_length=200)
    body = models.CharField(max_length=1000)
    data = models.JSONField(default=dict)
    collapse_key = models.CharField(max_length=64, blank=True, default="")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField(max_length=32, blank=True, default="")
    pending_device_ids = models.JSONField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_count = models.PositiveSmallIntegerField(default=0)
    removed_count = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "push deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "key"], name="accounts_push_user_kind_key_unique"
            )
        ]
        indexes = [models.Index(fields=["created_at"], name="accounts_push_created")]

    def __str__(self) -> str:
        return f"{self.kind} {self.key} to {self.user_id}: {self.status}"
