"""Writes of the accounts app: registration, one-time codes, sessions (JWT), profile, deletion.

Services raise `numerai.errors` exceptions; deliveries (email, SMS) and the
`user_birth_data_changed` signal run only after the transaction commits.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import re
import secrets
import time
import uuid
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.crypto import salted_hmac

from accounts.models import (
    Device,
    NotificationSettings,
    OneTimeCode,
    PushDelivery,
    RefreshToken,
    User,
)
from accounts.push import (
    PushJob,
    PushMessage,
    PushOutcome,
    PushResult,
    get_push_backend,
    mask_token,
)
from accounts.selectors import (
    PUSH_KIND_SETTINGS,
    device_get_for_user,
    push_user_ids_accepting,
    quiet_hours_contain,
    user_get_by_contact,
)
from accounts.signals import user_birth_data_changed
from accounts.sms import get_sms_backend
from accounts.tokens import (
    TokenError,
    access_token_encode,
    refresh_token_decode,
    refresh_token_encode,
)
from accounts.validators import phone_normalize
from numerai.errors import Conflict, DomainError, InvalidInput, NotAuthenticated, RateLimited

logger = logging.getLogger(__name__)

OTP_DIGITS = 6
OTP_TTL = timedelta(minutes=10)
OTP_MAX_ATTEMPTS = 3
OTP_RESEND_COOLDOWN = timedelta(seconds=60)

Purpose = OneTimeCode.Purpose
Channel = OneTimeCode.Channel

PROFILE_FIELDS = ("email", "phone", "full_name", "birth_name", "date_of_birth", "timezone")


# --- helpers ----------------------------------------------------------------------------------
def _invalid(errors: dict[str, list[str]]) -> InvalidInput:
    field, messages = next(iter(errors.items()))
    exc = InvalidInput(field, messages[0])
    exc.details = {key: list(value) for key, value in errors.items()}
    return exc


def _email_normalize(email: str | None) -> str | None:
    email = (email or "").strip().lower()
    return email or None


def _phone_normalize(phone: str | None, *, field: str = "phone") -> str | None:
    phone = (phone or "").strip()
    if not phone:
        return None
    try:
        return phone_normalize(phone)
    except ValidationError as exc:
        raise InvalidInput(field, exc.messages[0]) from exc


def _password_validate(password: str, *, user: User, field: str) -> None:
    try:
        password_validation.validate_password(password, user=user)
    except ValidationError as exc:
        raise _invalid({field: exc.messages}) from exc


def _model_validate(user: User) -> None:
    try:
        user.full_clean(exclude=["password"], validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise _invalid(exc.message_dict) from exc


def _contact_taken_check(*, email: str | None, phone: str | None, exclude_pk=None) -> None:
    users = User.objects.exclude(pk=exclude_pk) if exclude_pk else User.objects.all()
    if email and users.filter(email__iexact=email).exists():
        message = "An account with this email address already exists."
        raise Conflict(message, details={"email": [message]})
    if phone and users.filter(phone=phone).exists():
        message = "An account with this phone number already exists."
        raise Conflict(message, details={"phone": [message]})


# --- one-time codes ---------------------------------------------------------------------------
def _otp_hash(*, user_id, purpose: str, code: str) -> str:
    value = f"{user_id}:{purpose}:{code}"
    return salted_hmac("accounts.otp", value, algorithm="sha256").hexdigest()


def _otp_generate() -> str:
    return f"{secrets.randbelow(10**OTP_DIGITS):0{OTP_DIGITS}d}"


_OTP_TEXT = {
    Purpose.VERIFY: ("Your NumerAI verification code", "Your NumerAI verification code is {code}."),
    Purpose.PASSWORD_RESET: (
        "Your NumerAI password reset code",
        "Your NumerAI password reset code is {code}. If you did not ask to reset your "
        "password, ignore this message.",
    ),
}


def _otp_deliver(*, channel: str, destination: str, purpose: str, code: str) -> None:
    subject, text = _OTP_TEXT[purpose]
    minutes = int(OTP_TTL.total_seconds() // 60)
    body = f"{text.format(code=code)} It expires in {minutes} minutes."
    try:
        if channel == Channel.EMAIL:
            send_mail(subject, body, None, [destination])
        else:
            get_sms_backend().send(to=destination, body=body)
    except Exception:
        # The code is never part of the log line; the user can ask for another one.
        logger.exception("one-time code delivery failed", extra={"channel": channel})


def otp_send(
    *, user: User, purpose: str, channel: str, enforce_cooldown: bool = True
) -> OneTimeCode:
    """Issue a new code (replacing the previous one) and deliver it after commit.

    Raises `RateLimited` inside the resend cooldown.
    """
    destination = user.email if channel == Channel.EMAIL else user.phone
    if not destination:
        field = "email" if channel == Channel.EMAIL else "phone"
        raise InvalidInput(field, f"This account has no {field} to send a code to.")
    code = _otp_generate()
    now = timezone.now()
    try:
        with transaction.atomic():
            otp = OneTimeCode.objects.select_for_update().filter(user=user, purpose=purpose).first()
            if otp is not None and enforce_cooldown:
                wait = (otp.sent_at + OTP_RESEND_COOLDOWN - now).total_seconds()
                if wait > 0:
                    raise RateLimited(
                        math.ceil(wait), "Please wait before requesting another code."
                    )
            otp = otp or OneTimeCode(user=user, purpose=purpose)
            otp.channel = channel
            otp.destination = destination
            otp.code_hash = _otp_hash(user_id=user.pk, purpose=purpose, code=code)
            otp.sent_at = now
            otp.expires_at = now + OTP_TTL
            otp.attempts = 0
            otp.save()
            transaction.on_commit(
                partial(
                    _otp_deliver,
                    channel=channel,
                    destination=destination,
                    purpose=purpose,
                    code=code,
                )
            )
    except IntegrityError as exc:  # a concurrent request issued the first code
        raise RateLimited(
            int(OTP_RESEND_COOLDOWN.total_seconds()), "Please wait before requesting another code."
        ) from exc
    logger.info("one-time code sent", extra={"purpose": purpose, "channel": channel})
    return otp


@dataclass(frozen=True)
class OtpResult:
    outcome: str  # ok | invalid | expired | locked
    attempts_remaining: int = 0

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"

    def raise_for_failure(self) -> None:
        if self.outcome == "ok":
            return
        if self.outcome == "expired":
            raise DomainError("This code has expired; request a new one.", code="OTP_EXPIRED")
        if self.outcome == "locked":
            raise DomainError(
                "Too many wrong attempts; request a new code.", code="OTP_ATTEMPTS_EXCEEDED"
            )
        remaining = self.attempts_remaining
        details = {"attempts_remaining": remaining} if remaining else None
        raise DomainError("The code is invalid.", code="OTP_INVALID", details=details)


_NO_CODE_HASH = "0" * 64


def _otp_consume(*, user: User | None, purpose: str, code: str) -> OtpResult:
    """Check `code` in constant time; counts a wrong attempt, consumes a right one.

    Must run inside the caller's transaction; the caller raises *after* it commits, so a wrong
    attempt is recorded.
    """
    candidate = _otp_hash(user_id=user.pk if user else "-", purpose=purpose, code=code)
    otp = None
    if user is not None:
        otp = OneTimeCode.objects.select_for_update().filter(user=user, purpose=purpose).first()
    stored = otp.code_hash if otp is not None and otp.code_hash else _NO_CODE_HASH
    matches = hmac.compare_digest(stored, candidate)
    if otp is None:
        return OtpResult("invalid")
    if not otp.code_hash:
        return OtpResult("locked" if otp.attempts >= OTP_MAX_ATTEMPTS else "invalid")
    if otp.expires_at <= timezone.now():
        return OtpResult("expired")
    if otp.destination not in {user.email, user.phone}:
        return OtpResult("invalid")  # the contact changed since the code was sent
    if matches:
        otp.delete()
        return OtpResult("ok")
    otp.attempts += 1
    if otp.attempts >= OTP_MAX_ATTEMPTS:
        otp.code_hash = ""  # locked: a new code must be requested
        otp.save(update_fields=["attempts", "code_hash"])
        return OtpResult("locked")
    otp.save(update_fields=["attempts"])
    return OtpResult("invalid", attempts_remaining=OTP_MAX_ATTEMPTS - otp.attempts)


def _channel_for(*, email: str | None, phone: str | None) -> str:
    return Channel.EMAIL if email else Channel.SMS


# --- registration and verification ------------------------------------------------------------
def user_register(
    *,
    email: str | None = None,
    password: str,
    full_name: str,
    phone: str | None = None,
    birth_name: str = "",
    date_of_birth=None,
    timezone_name: str = "UTC",
) -> User:
    """Create an unverified user and send a verification code (email, else SMS)."""
    email = _email_normalize(email)
    phone = _phone_normalize(phone)
    if not email and not phone:
        raise InvalidInput("email", "Give an email address or a phone number.")
    full_name = (full_name or "").strip()
    user = User(
        email=email,
        phone=phone,
        full_name=full_name,
        birth_name=(birth_name or "").strip() or full_name,
        date_of_birth=date_of_birth,
        timezone=timezone_name or "UTC",
    )
    _model_validate(user)
    _password_validate(password, user=user, field="password")
    _contact_taken_check(email=email, phone=phone)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
            otp_send(
                user=user,
                purpose=Purpose.VERIFY,
                channel=_channel_for(email=email, phone=phone),
                enforce_cooldown=False,
            )
    except IntegrityError as exc:  # a concurrent registration won the race
        _contact_taken_check(email=email, phone=phone)
        raise Conflict("An account with these details already exists.") from exc
    logger.info("user registered", extra={"user_id": str(user.pk)})
    return user


def user_verify(*, email: str | None = None, phone: str | None = None, code: str) -> User:
    """Mark the account verified with the code sent to its email or phone."""
    user = user_get_by_contact(email=_email_normalize(email), phone=_phone_normalize(phone))
    with transaction.atomic():
        result = _otp_consume(user=user, purpose=Purpose.VERIFY, code=code)
        if result.ok and not user.is_verified:
            user.is_verified = True
            user.save(update_fields=["is_verified"])
    result.raise_for_failure()
    return user


def user_verification_resend(*, email: str | None = None, phone: str | None = None) -> None:
    """Send a new verification code to an unverified account (silently nothing otherwise).

    Raises `RateLimited` inside the 60 s cooldown.
    """
    email, phone = _email_normalize(email), _phone_normalize(phone)
    user = user_get_by_contact(email=email, phone=phone)
    if user is None or not user.is_active or user.is_verified:
        return
    otp_send(user=user, purpose=Purpose.VERIFY, channel=_channel_for(email=email, phone=phone))


# --- sessions (JWT) ---------------------------------------------------------------------------
@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    user: User
    token_type: str = "Bearer"  # noqa: S105 - the scheme name, not a secret


def _token_pair_issue(*, user: User, family_id: uuid.UUID) -> tuple[TokenPair, RefreshToken]:
    now = timezone.now()
    refresh = refresh_token_encode(user_id=user.pk, now=now)
    record = RefreshToken.objects.create(
        user=user,
        jti=refresh.jti,
        family_id=family_id,
        created_at=refresh.issued_at,
        expires_at=refresh.expires_at,
    )
    access = access_token_encode(
        user_id=user.pk, is_premium=user.is_premium, session_id=family_id, now=now
    )
    pair = TokenPair(
        access_token=access.raw,
        refresh_token=refresh.raw,
        expires_in=int(settings.ACCESS_TOKEN_LIFETIME.total_seconds()),
        user=user,
    )
    return pair, record


def session_create(*, user: User) -> TokenPair:
    """A new login: a new refresh-token family and its first token pair."""
    pair, _ = _token_pair_issue(user=user, family_id=uuid.uuid4())
    return pair


def _refresh_claims(raw: str):
    try:
        return refresh_token_decode(raw)
    except TokenError as exc:
        code = "TOKEN_EXPIRED" if exc.code == "token_expired" else "UNAUTHORIZED"
        raise NotAuthenticated(exc.message, code=code) from exc


def _family_revoke(*, family_id: uuid.UUID, now: datetime) -> int:
    return RefreshToken.objects.filter(family_id=family_id, revoked_at__isnull=True).update(
        revoked_at=now
    )


def session_refresh(*, refresh_token: str) -> TokenPair:
    """Rotate: the refresh token is spent and a new pair issued in the same family.

    Presenting an already rotated token revokes the whole family (reuse detection).
    """
    claims = _refresh_claims(refresh_token)
    now = timezone.now()
    reused = None
    with transaction.atomic():
        record = (
            RefreshToken.objects.select_for_update()
            .select_related("user")
            .filter(jti=claims.jti)
            .first()
        )
        if record is None or record.user_id != claims.user_id:
            raise NotAuthenticated("Invalid refresh token.")
        if record.revoked_at is not None:
            if record.replaced_by_id is None:
                raise NotAuthenticated("This refresh token has been revoked.")
            _family_revoke(family_id=record.family_id, now=now)
            reused = record
        else:
            user = record.user
            if not user.is_active:
                raise NotAuthenticated("User not found or inactive.")
            pair, new_record = _token_pair_issue(user=user, family_id=record.family_id)
            record.revoked_at = now
            record.replaced_by = new_record
            record.save(update_fields=["revoked_at", "replaced_by"])
    if reused is not None:
        logger.warning(
            "refresh token reuse detected; session revoked",
            extra={"user_id": str(reused.user_id), "family_id": str(reused.family_id)},
        )
        raise NotAuthenticated("This refresh token was already used; the session was revoked.")
    return pair


def session_logout(*, refresh_token: str) -> None:
    """Revoke the session (refresh-token family) the token belongs to. Idempotent."""
    try:
        claims = refresh_token_decode(refresh_token)
    except TokenError as exc:
        if exc.code == "token_expired":
            return  # the session is over anyway
        raise NotAuthenticated(exc.message) from exc
    record = RefreshToken.objects.filter(jti=claims.jti, user_id=claims.user_id).first()
    if record is None:
        raise NotAuthenticated("Invalid refresh token.")
    _family_revoke(family_id=record.family_id, now=timezone.now())


def user_sessions_revoke(*, user: User, keep_session_id: uuid.UUID | None = None) -> int:
    """Revoke every refresh token of the user (but the session `keep_session_id`)."""
    tokens = RefreshToken.objects.filter(user=user, revoked_at__isnull=True)
    if keep_session_id is not None:
        tokens = tokens.exclude(family_id=keep_session_id)
    return tokens.update(revoked_at=timezone.now())


# --- login and its brute-force guard ----------------------------------------------------------
def _rate_parse(rate: str) -> tuple[int, int]:
    count, period = rate.split("/")
    return int(count), {"s": 1, "m": 60, "h": 3600, "d": 86400}[period.strip()[0]]


def _login_buckets(*, identifier: str, client_ip: str | None) -> list[tuple[str, int, int]]:
    """(cache key, limit, window seconds) for the account and for the client IP."""
    buckets = []
    digest = hashlib.sha256(identifier.encode()).hexdigest()[:32]
    account_rate = settings.RATES["login_account"]
    rates = [("account", digest, account_rate)]
    if client_ip:
        rates.append(("ip", client_ip, settings.RATES.get("login_ip", account_rate)))
    now = time.time()
    for kind, ident, rate in rates:
        limit, window = _rate_parse(rate)
        buckets.append((f"accounts:login-fail:{kind}:{ident}:{int(now // window)}", limit, window))
    return buckets


def _login_guard(buckets: list[tuple[str, int, int]]) -> None:
    now = time.time()
    for key, limit, window in buckets:
        if (cache.get(key) or 0) >= limit:
            raise RateLimited(
                math.ceil(window - (now % window)),
                "Too many failed sign-in attempts; try again later.",
            )


def _login_failure_record(buckets: list[tuple[str, int, int]]) -> None:
    for key, _limit, window in buckets:
        cache.add(key, 0, timeout=window + 1)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window + 1)


def auth_login(
    *,
    email: str | None = None,
    phone: str | None = None,
    password: str,
    client_ip: str | None = None,
) -> TokenPair:
    """Check the credentials and start a session.

    Unknown accounts and wrong passwords get the same error, after the same password hashing.
    Failures are limited per account and per client IP (`RATES["login_account"]`).
    """
    email, phone = _email_normalize(email), _phone_normalize(phone)
    identifier = f"email:{email}" if email else f"phone:{phone}"
    buckets = _login_buckets(identifier=identifier, client_ip=client_ip)
    _login_guard(buckets)
    user = user_get_by_contact(email=email, phone=phone)
    if user is None or not user.is_active:
        User().set_password(password)  # same hashing time as a real check
        valid = False
    else:
        valid = user.check_password(password)
    if not valid:
        _login_failure_record(buckets)
        logger.info("login failed")
        raise NotAuthenticated("Invalid credentials.", code="INVALID_CREDENTIALS")
    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])
    logger.info("login succeeded", extra={"user_id": str(user.pk)})
    return session_create(user=user)


# --- passwords --------------------------------------------------------------------------------
def user_password_change(
    *,
    user: User,
    old_password: str,
    new_password: str,
    keep_session_id: uuid.UUID | None = None,
) -> None:
    """Change the password; every other session is logged out."""
    if not user.check_password(old_password):
        raise InvalidInput("old_password", "The current password is incorrect.")
    if old_password == new_password:
        raise InvalidInput("new_password", "The new password must differ from the current one.")
    _password_validate(new_password, user=user, field="new_password")
    user.set_password(new_password)
    with transaction.atomic():
        user.save(update_fields=["password"])
        user_sessions_revoke(user=user, keep_session_id=keep_session_id)
    logger.info("password changed", extra={"user_id": str(user.pk)})


def user_password_reset_request(*, email: str | None = None, phone: str | None = None) -> None:
    """Send a reset code if the account exists; the caller's answer never says whether it does."""
    email, phone = _email_normalize(email), _phone_normalize(phone)
    user = user_get_by_contact(email=email, phone=phone)
    if user is None or not user.is_active:
        return
    try:
        otp_send(
            user=user,
            purpose=Purpose.PASSWORD_RESET,
            channel=_channel_for(email=email, phone=phone),
        )
    except RateLimited:
        logger.info("password reset code not resent inside the cooldown")


def user_password_reset_confirm(
    *, email: str | None = None, phone: str | None = None, code: str, new_password: str
) -> None:
    """Set a new password with a reset code; every session of the user is revoked."""
    user = user_get_by_contact(email=_email_normalize(email), phone=_phone_normalize(phone))
    if user is not None and user.is_active:
        _password_validate(new_password, user=user, field="new_password")
    else:
        user = None
    now = timezone.now()
    with transaction.atomic():
        result = _otp_consume(user=user, purpose=Purpose.PASSWORD_RESET, code=code)
        if result.ok:
            user.set_password(new_password)
            user.is_verified = True  # the code reached the account's own email or phone
            user.tokens_valid_after = now
            user.save(update_fields=["password", "is_verified", "tokens_valid_after"])
            user_sessions_revoke(user=user)
    result.raise_for_failure()
    logger.info("password reset", extra={"user_id": str(user.pk)})


# --- profile ----------------------------------------------------------------------------------
def _birth_data_changed_send(user: User) -> None:
    for receiver, response in user_birth_data_changed.send_robust(sender=User, user=user):
        if isinstance(response, Exception):
            logger.error(
                "user_birth_data_changed receiver %s failed",
                getattr(receiver, "__qualname__", receiver),
                exc_info=response,
                extra={"user_id": str(user.pk)},
            )


def user_profile_update(*, user: User, data: dict) -> User:
    """Update profile fields (`PROFILE_FIELDS`); absent keys are left alone.

    A new email address makes the account unverified and gets a verification code. A change of
    birth name or date of birth sends `user_birth_data_changed` after commit.
    """
    unknown = set(data) - set(PROFILE_FIELDS)
    if unknown:
        raise InvalidInput(sorted(unknown)[0], "This field cannot be changed.")
    changed: list[str] = []

    def assign(field: str, value) -> None:
        if getattr(user, field) != value:
            setattr(user, field, value)
            changed.append(field)

    if "full_name" in data:
        assign("full_name", (data["full_name"] or "").strip())
    if "birth_name" in data:
        assign("birth_name", (data["birth_name"] or "").strip() or user.full_name)
    if "date_of_birth" in data:
        assign("date_of_birth", data["date_of_birth"])
    if "timezone" in data:
        assign("timezone", data["timezone"] or "UTC")
    new_email = _email_normalize(data["email"]) if "email" in data else user.email
    new_phone = _phone_normalize(data["phone"]) if "phone" in data else user.phone
    if not new_email and not new_phone:
        field = "email" if "email" in data else "phone"
        raise InvalidInput(field, "An account needs an email address or a phone number.")
    email_changed = new_email != user.email
    assign("email", new_email)
    assign("phone", new_phone)
    if not changed:
        return user
    _model_validate(user)
    _contact_taken_check(
        email=new_email if email_changed else None,
        phone=new_phone if "phone" in changed else None,
        exclude_pk=user.pk,
    )
    if email_changed and new_email:
        user.is_verified = False
        changed.append("is_verified")
    try:
        with transaction.atomic():
            user.save(update_fields=changed)
            if email_changed and new_email:
                otp_send(
                    user=user,
                    purpose=Purpose.VERIFY,
                    channel=Channel.EMAIL,
                    enforce_cooldown=False,
                )
            if {"birth_name", "date_of_birth"} & set(changed):
                transaction.on_commit(partial(_birth_data_changed_send, user))
    except IntegrityError as exc:
        raise Conflict("The email address or phone number is already in use.") from exc
    logger.info("profile updated", extra={"user_id": str(user.pk), "fields": changed})
    return user


# --- account ----------------------------------------------------------------------------------
def user_delete(*, user: User, password: str) -> None:
    """Delete the user and everything that belongs to them (cascade), after a password check."""
    if not user.check_password(password):
        raise InvalidInput("password", "The password is incorrect.")
    user_id = user.pk
    with transaction.atomic():
        user.delete()
    logger.info("account deleted", extra={"user_id": str(user_id)})


def user_premium_set(*, user_ids, is_premium: bool) -> int:
    """Grant or revoke premium (admin). Returns the number of users changed."""
    return User.objects.filter(pk__in=list(user_ids)).update(is_premium=is_premium)


# --- housekeeping -----------------------------------------------------------------------------
def auth_records_purge(*, now: datetime | None = None) -> dict[str, int]:
    """Delete refresh-token records past their expiry and codes expired over a day ago.

    Expired refresh tokens are refused by their `exp` claim anyway, so reuse detection loses
    nothing. Idempotent.
    """
    now = now or timezone.now()
    tokens, _ = RefreshToken.objects.filter(expires_at__lt=now).delete()
    codes, _ = OneTimeCode.objects.filter(expires_at__lt=now - timedelta(days=1)).delete()
    return {"refresh_tokens": tokens, "one_time_codes": codes}


# --- devices ----------------------------------------------------------------------------------
DEVICE_LIMIT = 20
DEVICE_TOKEN_MAX = 512
_DEVICE_TOKEN_RE = re.compile(r"^[A-Za-z0-9_:.\-]+$")


def _device_token_clean(token: str) -> str:
    token = (token or "").strip()
    if not token:
        raise InvalidInput("token", "This field may not be blank.")
    if len(token) > DEVICE_TOKEN_MAX:
        raise InvalidInput("token", f"Ensure this field has no more than {DEVICE_TOKEN_MAX} "
                           "characters.")
    if not _DEVICE_TOKEN_RE.match(token):
        raise InvalidInput("token", "This is not a push registration token.")
    return token


def device_register(
    *, user: User, token: str, platform: str, app_version: str = ""
) -> Device:
    """Register (or refresh) the push token of one of the user's devices.

    A token registered before — by this user or another one (a shared or resold phone) — moves
    to this user and is updated. A user keeps at most `DEVICE_LIMIT` devices: the ones seen
    longest ago are dropped.
    """
    token = _device_token_clean(token)
    if platform not in Device.Platform.values:
        raise InvalidInput("platform", f'"{platform}" is not a valid choice.')
    app_version = (app_version or "").strip()[:32]
    for attempt in (1, 2):
        try:
            with transaction.atomic():
                return _device_register(
                    user=user, token=token, platform=platform, app_version=app_version
                )
        except IntegrityError:  # the same token registered concurrently: update that one
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _device_register(*, user: User, token: str, platform: str, app_version: str) -> Device:
    now = timezone.now()
    # One registration of the user at a time, so the device limit holds under concurrency.
    list(User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True))
    device = Device.objects.select_for_update().filter(token=token).first()
    if device is None:
        device = Device.objects.create(
            user=user, token=token, platform=platform, app_version=app_version, last_seen=now
        )
        logger.info(
            "push device registered",
            extra={"user_id": str(user.pk), "push_token": mask_token(token)},
        )
    else:
        previous_user_id = device.user_id
        device.user = user
        device.platform = platform
        device.app_version = app_version
        device.last_seen = now
        device.save(update_fields=["user", "platform", "app_version", "last_seen"])
        if previous_user_id != user.pk:
            logger.info(
                "push device moved to another user",
                extra={"user_id": str(user.pk), "push_token": mask_token(token)},
            )
    surplus = list(
        Device.objects.filter(user=user)
        .exclude(pk=device.pk)
        .order_by("-last_seen", "-created_at")
        .values_list("pk", flat=True)[DEVICE_LIMIT - 1 :]
    )
    if surplus:
        Device.objects.filter(pk__in=surplus).delete()
        logger.info(
            "oldest push devices dropped", extra={"user_id": str(user.pk), "count": len(surplus)}
        )
    return device


def device_delete(
    *, user: User, device_id: uuid.UUID | None = None, token: str | None = None
) -> None:
    """Forget one of the user's devices, by id or by push token (exactly one);
    `NotFound` for anyone else's."""
    device = device_get_for_user(user=user, device_id=device_id, token=token)
    device.delete()
    logger.info(
        "push device removed",
        extra={"user_id": str(user.pk), "push_token": mask_token(device.token)},
    )


# --- notification settings --------------------------------------------------------------------
NOTIFICATION_SETTINGS_FIELDS = (
    "daily_reading_enabled",
    "delivery_time",
    "quiet_hours_start",
    "quiet_hours_end",
    "chat_reply_enabled",
)


def notification_settings_update(*, user: User, data: dict) -> NotificationSettings:
    """Change some notification settings (absent keys are kept); returns them all.

    Quiet hours are both set or both null; they may wrap midnight (22:00 → 07:00).
    """
    unknown = set(data) - set(NOTIFICATION_SETTINGS_FIELDS)
    if unknown:
        raise InvalidInput(sorted(unknown)[0], "This field cannot be changed.")
    with transaction.atomic():
        current, _ = NotificationSettings.objects.select_for_update().get_or_create(user=user)
        for field, value in data.items():
            if field == "delivery_time" and value is None:
                raise InvalidInput(field, "This field may not be null.")
            if field in ("daily_reading_enabled", "chat_reply_enabled") and value is None:
                raise InvalidInput(field, "This field may not be null.")
            setattr(current, field, value)
        start, end = current.quiet_hours_start, current.quiet_hours_end
        if (start is None) != (end is None):
            missing = "quiet_hours_end" if end is None else "quiet_hours_start"
            raise InvalidInput(missing, "Set both ends of the quiet hours, or neither.")
        if start is not None and start == end:
            raise InvalidInput("quiet_hours_end", "Quiet hours must not start and end at once.")
        current.save()
    logger.info(
        "notification settings updated",
        extra={"user_id": str(user.pk), "fields": sorted(data)},
    )
    return current


# --- pushes -----------------------------------------------------------------------------------
PUSH_TASK_BATCH = 100  # deliveries per `accounts.push_deliver` task
PUSH_MAX_ATTEMPTS = 6  # per delivery: the first send and five retries
PUSH_CLAIM_STALE = timedelta(minutes=10)  # a "sending" claim older than this was lost
PUSH_EXPIRY = timedelta(hours=24)  # older deliveries are not sent any more
PUSH_KEEP = timedelta(days=30)  # finished deliveries are purged after this

DeliveryStatus = PushDelivery.Status


@dataclass(frozen=True)
class PushRequest:
    """A push an upper layer asks for: one message to all of a user's devices.

    ``(user_id, kind, key)`` identifies it: asking twice sends once. ``kind`` is a key of
    `accounts.selectors.PUSH_KIND_SETTINGS` (the setting that must allow it).
    """

    user_id: uuid.UUID
    kind: str
    key: str
    title: str
    body: str
    data: dict[str, str]
    collapse_key: str = ""


class PushRetryNeeded(Exception):
    """Raised after a batch where some tokens failed transiently (the task retries them)."""

    def __init__(self, delivery_ids: list[uuid.UUID]):
        super().__init__(f"{len(delivery_ids)} deliveries wait for a retry")
        self.delivery_ids = delivery_ids


@dataclass
class PushReport:
    claimed: int = 0
    sent: int = 0  # deliveries that reached at least one device
    skipped: int = 0
    failed: int = 0
    retry: int = 0
    tokens_ok: int = 0
    tokens_removed: int = 0
    tokens_transient: int = 0
    tokens_failed: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def push_deliveries_create(*, requests: Iterable[PushRequest]) -> list[uuid.UUID]:
    """Record the pushes the users' settings allow and send them after commit (a task).

    Users without a device, or who turned the kind off, get nothing recorded. A request whose
    (user, kind, key) was recorded before is ignored. Returns the ids recorded now. Queries:
    one per kind, then one insert and one read per 1,000 pushes.
    """
    requests = list(requests)
    by_kind: dict[str, set[uuid.UUID]] = {}
    for request in requests:
        if request.kind not in PUSH_KIND_SETTINGS:
            raise ValueError(f"unknown push kind {request.kind!r}")
        by_kind.setdefault(request.kind, set()).add(request.user_id)
    accepting = {
        kind: push_user_ids_accepting(user_ids=user_ids, kind=kind)
        for kind, user_ids in by_kind.items()
    }
    now = timezone.now()
    rows = [
        PushDelivery(
            id=uuid.uuid4(),
            user_id=request.user_id,
            kind=request.kind,
            key=request.key[:64],
            title=request.title[:200],
            body=request.body[:1000],
            data=dict(request.data),
            collapse_key=(request.collapse_key or "")[:64],
            created_at=now,
        )
        for request in requests
        if request.user_id in accepting[request.kind]
    ]
    created: list[uuid.UUID] = []
    with transaction.atomic():
        for chunk in _chunks(rows, 1000):
            PushDelivery.objects.bulk_create(chunk, ignore_conflicts=True)
            created.extend(
                PushDelivery.objects.filter(pk__in=[row.pk for row in chunk]).values_list(
                    "pk", flat=True
                )
            )
        if created:
            transaction.on_commit(partial(push_deliveries_enqueue, delivery_ids=created))
    return created


def push_deliveries_enqueue(*, delivery_ids: Iterable[uuid.UUID]) -> int:
    """Hand deliveries to `accounts.push_deliver`, `PUSH_TASK_BATCH` per task. Returns tasks.

    A broker failure is logged; the deliveries stay pending for `push_deliveries_resume`.
    """
    from accounts import tasks  # the tasks import this module

    ids = [str(delivery_id) for delivery_id in delivery_ids]
    sent = 0
    for chunk in _chunks(ids, PUSH_TASK_BATCH):
        try:
            tasks.push_deliver.delay(delivery_ids=chunk)
            sent += 1
        except Exception:
            logger.exception("push task could not be enqueued", extra={"deliveries": len(chunk)})
    return sent


def _push_claim(*, delivery_ids: list[uuid.UUID], now: datetime) -> list[PushDelivery]:
    """Mark the deliveries this run sends as "sending"; concurrent runs skip them."""
    claimable = Q(status__in=[DeliveryStatus.PENDING, DeliveryStatus.RETRY]) | Q(
        status=DeliveryStatus.SENDING, claimed_at__lt=now - PUSH_CLAIM_STALE
    )
    with transaction.atomic():
        deliveries = PushDelivery.objects.filter(claimable, pk__in=delivery_ids)
        if connection.features.has_select_for_update_skip_locked:
            deliveries = deliveries.select_for_update(skip_locked=True, of=("self",))
        claimed = list(deliveries.select_related("user"))
        if claimed:
            PushDelivery.objects.filter(pk__in=[d.pk for d in claimed]).update(
                status=DeliveryStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1
            )
    for delivery in claimed:
        delivery.attempts += 1
        delivery.claimed_at = now
    return claimed


def _push_skip_reason(
    delivery: PushDelivery, settings_row: NotificationSettings | None, now: datetime
) -> str | None:
    field, default = PUSH_KIND_SETTINGS.get(delivery.kind, (None, False))
    if field is None:
        return "unknown_kind"
    if not delivery.user.is_active:
        return "inactive"
    if now - delivery.created_at > PUSH_EXPIRY:
        return "expired"
    enabled = getattr(settings_row, field) if settings_row is not None else default
    if not enabled:
        return "disabled"
    if settings_row is not None and settings_row.quiet_hours_start is not None:
        local = _user_local_time(user=delivery.user, now=now)
        if quiet_hours_contain(
            start=settings_row.quiet_hours_start,
            end=settings_row.quiet_hours_end,
            local_time=local,
        ):
            return "quiet_hours"
    return None


def _user_local_time(*, user: User, now: datetime):
    """The user's wall-clock time at ``now`` (UTC for an unknown zone)."""
    try:
        zone = zoneinfo.ZoneInfo(user.timezone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    return now.astimezone(zone).time()


def push_deliveries_send(
    *, delivery_ids: Iterable[uuid.UUID | str], now: datetime | None = None
) -> PushReport:
    """Send these deliveries (idempotent: only pending ones, each once; retries only the tokens
    that failed transiently).

    Each goes to all the user's devices (on a retry: the devices still waiting) unless the
    setting of its kind is off, it is inside the user's quiet hours (their time zone), or it
    is older than `PUSH_EXPIRY`. Tokens the push service reports unregistered or invalid are
    deleted. Raises `PushRetryNeeded` when some tokens should be tried again (after the results
    are stored), until a delivery has had `PUSH_MAX_ATTEMPTS`.
    """
    now = now or timezone.now()
    ids = [uuid.UUID(str(delivery_id)) for delivery_id in delivery_ids]
    report = PushReport()
    deliveries = _push_claim(delivery_ids=ids, now=now)
    report.claimed = len(deliveries)
    if not deliveries:
        return report
    user_ids = {delivery.user_id for delivery in deliveries}
    settings_rows = {
        row.user_id: row for row in NotificationSettings.objects.filter(user_id__in=user_ids)
    }
    devices_of: dict[uuid.UUID, list[Device]] = {}
    for device in Device.objects.filter(user_id__in=user_ids).order_by("created_at"):
        devices_of.setdefault(device.user_id, []).append(device)

    jobs: list[PushJob] = []
    targets: list[tuple[PushDelivery, list[Device]]] = []
    for delivery in deliveries:
        delivery.finished_at = now
        reason = _push_skip_reason(delivery, settings_rows.get(delivery.user_id), now)
        devices = devices_of.get(delivery.user_id, [])
        if delivery.pending_device_ids is not None:
            waiting = set(delivery.pending_device_ids)
            devices = [device for device in devices if str(device.pk) in waiting]
        if reason is None and not devices:
            reason = "no_devices"
        if reason is not None:
            delivery.status, delivery.reason = DeliveryStatus.SKIPPED, reason
            delivery.pending_device_ids = None
            report.skipped += 1
            continue
        message = PushMessage(
            title=delivery.title,
            body=delivery.body,
            data={str(key): str(value) for key, value in (delivery.data or {}).items()},
            collapse_key=delivery.collapse_key or None,
            ttl_seconds=int(PUSH_EXPIRY.total_seconds()),
        )
        jobs.append(PushJob(message=message, tokens=[device.token for device in devices]))
        targets.append((delivery, devices))

    results = _push_backend_send(jobs) if jobs else []
    removed: list[uuid.UUID] = []
    retry_ids: list[uuid.UUID] = []
    for (delivery, devices), job_results in zip(targets, results, strict=True):
        transient: list[str] = []
        for device, result in zip(devices, job_results, strict=True):
            if result.outcome is PushOutcome.OK:
                delivery.sent_count += 1
                report.tokens_ok += 1
            elif result.outcome.removes_token:
                removed.append(device.pk)
                delivery.removed_count += 1
                report.tokens_removed += 1
                logger.info(
                    "push token removed: %s",
                    result.error_code,
                    extra={
                        "user_id": str(delivery.user_id),
                        "push_token": mask_token(device.token),
                    },
                )
            elif result.outcome is PushOutcome.TRANSIENT:
                transient.append(str(device.pk))
                report.tokens_transient += 1
            else:
                report.tokens_failed += 1
        if transient and delivery.attempts < PUSH_MAX_ATTEMPTS:
            delivery.status, delivery.reason = DeliveryStatus.RETRY, "transient"
            delivery.pending_device_ids = transient
            delivery.finished_at = None
            retry_ids.append(delivery.pk)
            report.retry += 1
            continue
        delivery.pending_device_ids = None
        if delivery.sent_count:
            delivery.status, delivery.reason = DeliveryStatus.SENT, ""
            report.sent += 1
        else:
            delivery.status = DeliveryStatus.FAILED
            delivery.reason = "transient_exhausted" if transient else "no_valid_device"
            report.failed += 1

    with transaction.atomic():
        if removed:
            Device.objects.filter(pk__in=removed).delete()
        PushDelivery.objects.bulk_update(
            deliveries,
            ["status", "reason", "pending_device_ids", "sent_count", "removed_count",
             "finished_at"],
        )
    logger.info("pushes sent", extra=report.as_dict())
    if retry_ids:
        raise PushRetryNeeded(retry_ids)
    return report


def _push_backend_send(jobs: list[PushJob]) -> list[list[PushResult]]:
    """The backend's results; a backend that fails outright counts as a transient error."""
    try:
        results = get_push_backend().send(jobs)
        if len(results) != len(jobs) or any(
            len(r) != len(job.tokens) for r, job in zip(results, jobs, strict=True)
        ):
            raise RuntimeError("the push backend answered a different number of results")
        return results
    except Exception:
        logger.exception("push backend failed")
        return [
            [PushResult(token, PushOutcome.TRANSIENT, "BACKEND_ERROR") for token in job.tokens]
            for job in jobs
        ]


def push_deliveries_resume(*, now: datetime | None = None) -> int:
    """Re-enqueue deliveries a lost task left behind (beat). Returns how many.

    Pending ones older than 5 minutes, retries not attempted for 15 minutes (past the longest
    backoff) and lost "sending" claims; all younger than `PUSH_EXPIRY`. Sending stays
    idempotent: a delivery still owned by a live task is skipped by the claim.
    """
    now = now or timezone.now()
    stuck = PushDelivery.objects.filter(created_at__gte=now - PUSH_EXPIRY).filter(
        Q(status=DeliveryStatus.PENDING, created_at__lt=now - timedelta(minutes=5))
        | Q(status=DeliveryStatus.RETRY, claimed_at__lt=now - timedelta(minutes=15))
        | Q(status=DeliveryStatus.SENDING, claimed_at__lt=now - PUSH_CLAIM_STALE)
    )
    ids = list(stuck.order_by("created_at").values_list("pk", flat=True)[:10_000])
    if ids:
        push_deliveries_enqueue(delivery_ids=ids)
    return len(ids)


def push_deliveries_purge(*, now: datetime | None = None) -> int:
    """Delete delivery records older than `PUSH_KEEP` (they only guard against repeats)."""
    now = now or timezone.now()
    deleted, _ = PushDelivery.objects.filter(created_at__lt=now - PUSH_KEEP).delete()
    return deleted
