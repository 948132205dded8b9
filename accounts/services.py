"""Writes of the accounts app: registration, one-time codes, sessions (JWT), profile, deletion.

Services raise `numerai.errors` exceptions; deliveries (email, SMS) and the
`user_birth_data_changed` signal run only after the transaction commits.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from accounts.models import OneTimeCode, RefreshToken, User
from accounts.selectors import user_get_by_contact
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
