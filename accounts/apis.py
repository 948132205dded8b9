"""REST endpoints of the accounts app: thin views over `accounts.services` / `selectors`."""

from __future__ import annotations

import re
import uuid
from datetime import time as dt_time

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.models import Device
from accounts.push import mask_token
from accounts.validators import (
    FULL_NAME_MAX,
    phone_normalize,
    validate_date_of_birth,
    validate_full_name,
    validate_timezone,
)
from numerai.throttling import ScopedRateThrottle

PASSWORD_MAX = 256


# --- shared fields and serializers ------------------------------------------------------------
class PhoneField(serializers.CharField):
    """An international phone number, returned in E.164 form."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 32)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not value:
            return value
        try:
            return phone_normalize(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc


def password_field(**kwargs) -> serializers.CharField:
    return serializers.CharField(
        write_only=True, trim_whitespace=False, max_length=PASSWORD_MAX, **kwargs
    )


def code_field() -> serializers.RegexField:
    return serializers.RegexField(r"^\d{6}$", error_messages={"invalid": "Enter the 6-digit code."})


class ContactInputSerializer(serializers.Serializer):
    """`{email | phone}`: which account (and channel) the request is about."""

    email = serializers.EmailField(required=False, max_length=254)
    phone = PhoneField(required=False)

    def validate(self, attrs):
        if not attrs.get("email") and not attrs.get("phone"):
            raise serializers.ValidationError(
                {"email": ["Give an email address or a phone number."]}
            )
        return attrs


class UserOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    email = serializers.EmailField(allow_null=True)
    phone = serializers.CharField(allow_null=True)
    full_name = serializers.CharField()
    birth_name = serializers.CharField()
    date_of_birth = serializers.DateField(allow_null=True)
    timezone = serializers.CharField()
    is_verified = serializers.BooleanField()
    is_premium = serializers.BooleanField()
    created_at = serializers.DateTimeField()

    class Meta:
        ref_name = "User"


class TokenPairOutputSerializer(serializers.Serializer):
    access_token = serializers.CharField()
    refresh_token = serializers.CharField()
    token_type = serializers.CharField()
    expires_in = serializers.IntegerField(help_text="Seconds until the access token expires.")
    user = UserOutputSerializer()

    class Meta:
        ref_name = "TokenPair"


class DetailOutputSerializer(serializers.Serializer):
    detail = serializers.CharField()

    class Meta:
        ref_name = "Detail"


def detail(message: str, status_code: int = status.HTTP_200_OK) -> Response:
    return Response({"detail": message}, status=status_code)


class PublicAuthApi(APIView):
    """Anonymous auth endpoints: no JWT is read (a stale one must not block a refresh)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"


def client_ip(request) -> str | None:
    return ScopedRateThrottle().get_ident(request) or None


# --- auth -------------------------------------------------------------------------------------
class AuthRegisterApi(PublicAuthApi):
    class InputSerializer(serializers.Serializer):
        email = serializers.EmailField(required=False, max_length=254)
        password = password_field()
        full_name = serializers.CharField(max_length=FULL_NAME_MAX, validators=[validate_full_name])
        phone = PhoneField(required=False, allow_blank=True, allow_null=True)
        birth_name = serializers.CharField(
            required=False, allow_blank=True, allow_null=True, max_length=100
        )
        date_of_birth = serializers.DateField(
            required=False, allow_null=True, validators=[validate_date_of_birth]
        )
        timezone = serializers.CharField(
            required=False, default="UTC", max_length=64, validators=[validate_timezone]
        )

        class Meta:
            ref_name = "RegisterInput"

        def validate(self, attrs):
            if not attrs.get("email") and not attrs.get("phone"):
                raise serializers.ValidationError(
                    {"email": ["Give an email address or a phone number."]}
                )
            return attrs

    @extend_schema(
        operation_id="auth_register",
        tags=["auth"],
        request=InputSerializer,
        responses={201: UserOutputSerializer},
        description="Create an account and send a 6-digit verification code (by email, or by "
        "SMS when only a phone number is given).",
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = services.user_register(
            email=data.get("email"),
            password=data["password"],
            full_name=data["full_name"],
            phone=data.get("phone"),
            birth_name=data.get("birth_name") or "",
            date_of_birth=data.get("date_of_birth"),
            timezone_name=data.get("timezone") or "UTC",
        )
        return Response(UserOutputSerializer(user).data, status=status.HTTP_201_CREATED)


class AuthVerifyOtpApi(PublicAuthApi):
    class InputSerializer(ContactInputSerializer):
        code = code_field()

        class Meta:
            ref_name = "VerifyOtpInput"

    @extend_schema(
        operation_id="auth_verify_otp",
        tags=["auth"],
        request=InputSerializer,
        responses={200: UserOutputSerializer},
        description="Verify the account with the code it was sent. Three wrong attempts spend "
        "the code; codes expire after 10 minutes.",
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_verify(**serializer.validated_data)
        return Response(UserOutputSerializer(user).data)


class AuthResendOtpApi(PublicAuthApi):
    class InputSerializer(ContactInputSerializer):
        class Meta:
            ref_name = "ResendOtpInput"

    @extend_schema(
        operation_id="auth_resend_otp",
        tags=["auth"],
        request=InputSerializer,
        responses={200: DetailOutputSerializer},
        description="Send a new verification code (at most one every 60 s: 429 with Retry-After).",
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.user_verification_resend(**serializer.validated_data)
        return detail("If the account exists and is not verified yet, a new code has been sent.")


class AuthLoginApi(PublicAuthApi):
    class InputSerializer(ContactInputSerializer):
        password = password_field()

        class Meta:
            ref_name = "LoginInput"

    @extend_schema(
        operation_id="auth_login",
        tags=["auth"],
        request=InputSerializer,
        responses={200: TokenPairOutputSerializer},
        description="Exchange credentials for an access token (1 h) and a refresh token "
        "(30 days). Failed attempts are limited per account and per client IP.",
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        pair = services.auth_login(**serializer.validated_data, client_ip=client_ip(request))
        return Response(TokenPairOutputSerializer(pair).data)


class AuthRefreshTokenApi(PublicAuthApi):
    class InputSerializer(serializers.Serializer):
        refresh_token = serializers.CharField(max_length=4096, trim_whitespace=True)

        class Meta:
            ref_name = "RefreshTokenInput"

    @extend_schema(
        operation_id="auth_refresh_token",
        tags=["auth"],
        request=InputSerializer,
        responses={200: TokenPairOutputSerializer},
        description="Rotate: returns a new pair and spends the refresh token. Presenting a spent "
        "refresh token again revokes every token of that login.",
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        pair = services.session_refresh(**serializer.validated_data)
        return Response(TokenPairOutputSerializer(pair).data)


class AuthLogoutApi(PublicAuthApi):
    class InputSerializer(serializers.Serializer):
        refresh_token = serializers.CharField(max_length=4096, trim_whitespace=True)

        class Meta:
            ref_name = "LogoutInput"

    @extend_schema(
        operation_id="auth_logout",
        tags=["auth"],
        request=InputSerializer,
        responses={200: DetailOutputSerializer},
        description="Revoke the refresh token (and the login it belongs to).",
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.session_logout(**serializer.validated_data)
        return detail("Logged out.")


class AuthPasswordChangeApi(APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    class InputSerializer(serializers.Serializer):
        old_password = password_field()
        new_password = password_field()

        class Meta:
            ref_name = "PasswordChangeInput"

    @extend_schema(
        operation_id="auth_password_change",
        tags=["auth"],
        request=InputSerializer,
        responses={200: DetailOutputSerializer},
        description="Change the password; every other login of the user is revoked.",
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.user_password_change(
            user=request.user,
            **serializer.validated_data,
            keep_session_id=getattr(request.auth, "session_id", None),
        )
        return detail("Password changed.")


class AuthPasswordResetApi(PublicAuthApi):
    class InputSerializer(ContactInputSerializer):
        class Meta:
            ref_name = "PasswordResetInput"

    @extend_schema(
        operation_id="auth_password_reset",
        tags=["auth"],
        request=InputSerializer,
        responses={200: DetailOutputSerializer},
        description="Send a password reset code. The answer is the same whether or not the "
        "account exists.",
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.user_password_reset_request(**serializer.validated_data)
        return detail("If an account exists for that address, a reset code has been sent.")


class AuthPasswordResetConfirmApi(PublicAuthApi):
    class InputSerializer(ContactInputSerializer):
        code = code_field()
        new_password = password_field()

        class Meta:
            ref_name = "PasswordResetConfirmInput"

    @extend_schema(
        operation_id="auth_password_reset_confirm",
        tags=["auth"],
        request=InputSerializer,
        responses={200: DetailOutputSerializer},
        description="Set a new password with the reset code; every login of the user is revoked.",
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.user_password_reset_confirm(**serializer.validated_data)
        return detail("Password has been reset. Sign in with the new password.")


# --- users ------------------------------------------------------------------------------------
class UserProfileApi(APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "profile"

    class InputSerializer(serializers.Serializer):
        email = serializers.EmailField(required=False, max_length=254)
        full_name = serializers.CharField(max_length=FULL_NAME_MAX, validators=[validate_full_name])
        birth_name = serializers.CharField(
            required=False, allow_blank=True, allow_null=True, max_length=100
        )
        phone = PhoneField(required=False, allow_blank=True, allow_null=True)
        date_of_birth = serializers.DateField(
            required=False, allow_null=True, validators=[validate_date_of_birth]
        )
        timezone = serializers.CharField(
            required=False, max_length=64, validators=[validate_timezone]
        )

        class Meta:
            ref_name = "ProfileInput"

    @extend_schema(operation_id="users_profile_get", tags=["users"], responses=UserOutputSerializer)
    def get(self, request):
        return Response(UserOutputSerializer(request.user).data)

    @extend_schema(
        operation_id="users_profile_update",
        tags=["users"],
        request=InputSerializer,
        responses={200: UserOutputSerializer},
        description="Replace the profile (full_name required; omitted optional fields are kept). "
        "A new email makes the account unverified until the code sent to it is verified.",
    )
    def put(self, request):
        return self._update(request, partial=False)

    @extend_schema(
        operation_id="users_profile_partial_update",
        tags=["users"],
        request=InputSerializer(partial=True),
        responses={200: UserOutputSerializer},
        description="Change some profile fields.",
    )
    def patch(self, request):
        return self._update(request, partial=True)

    def _update(self, request, *, partial: bool):
        serializer = self.InputSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        user = services.user_profile_update(user=request.user, data=serializer.validated_data)
        return Response(UserOutputSerializer(user).data)


class UserDeleteApi(APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    class InputSerializer(serializers.Serializer):
        password = password_field()

        class Meta:
            ref_name = "UserDeleteInput"

    @extend_schema(
        operation_id="users_me_delete",
        tags=["users"],
        request=InputSerializer,
        responses={200: DetailOutputSerializer},
        description="Delete the account and everything that belongs to it (password required).",
    )
    def delete(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.user_delete(user=request.user, **serializer.validated_data)
        return detail("Account deleted.")


# --- notifications ----------------------------------------------------------------------------
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


@extend_schema_field(
    {"type": "string", "pattern": r"^([01]\d|2[0-3]):[0-5]\d$", "example": "07:00"}
)
class LocalTimeField(serializers.Field):
    """A local wall-clock time as "HH:MM" (24 h)."""

    default_error_messages = {"invalid": 'Enter a time as "HH:MM", from 00:00 to 23:59.'}

    def to_internal_value(self, data):
        match = _HHMM.match(data) if isinstance(data, str) else None
        if match is None:
            self.fail("invalid")
        return dt_time(int(match.group(1)), int(match.group(2)))

    def to_representation(self, value):
        return value.strftime("%H:%M")


class NotificationsApi(APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "notifications"


class DeviceOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    platform = serializers.CharField()
    app_version = serializers.CharField()
    token_hint = serializers.SerializerMethodField(
        help_text="The last 6 characters of the token (the whole token is never shown)."
    )
    created_at = serializers.DateTimeField()
    last_seen = serializers.DateTimeField()

    class Meta:
        ref_name = "Device"

    def get_token_hint(self, device) -> str:
        return mask_token(device.token)


class DeviceTokenInputSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=services.DEVICE_TOKEN_MAX)

    class Meta:
        ref_name = "DeviceTokenInput"


class DeletedOutputSerializer(serializers.Serializer):
    deleted = serializers.BooleanField()

    class Meta:
        ref_name = "Deleted"


class NotificationDeviceListApi(NotificationsApi):
    class InputSerializer(serializers.Serializer):
        token = serializers.CharField(max_length=services.DEVICE_TOKEN_MAX)
        platform = serializers.ChoiceField(choices=Device.Platform.choices)
        app_version = serializers.CharField(
            required=False, allow_blank=True, allow_null=True, max_length=32
        )

        class Meta:
            ref_name = "DeviceRegisterInput"

    @extend_schema(
        operation_id="notifications_devices_list",
        tags=["notifications"],
        responses={200: DeviceOutputSerializer(many=True)},
        description="The caller's registered devices, most recently seen first.",
    )
    def get(self, request):
        devices = selectors.device_list_for_user(user=request.user)
        return Response(DeviceOutputSerializer(devices, many=True).data)

    @extend_schema(
        operation_id="notifications_devices_register",
        tags=["notifications"],
        request=InputSerializer,
        responses={201: DeviceOutputSerializer},
        description="Register the FCM registration token of a device (again: it is updated, "
        "and moves to the caller if another account had it). At most 20 devices per user: "
        "the one seen longest ago is dropped.",
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        device = services.device_register(
            user=request.user,
            token=data["token"],
            platform=data["platform"],
            app_version=data.get("app_version") or "",
        )
        return Response(DeviceOutputSerializer(device).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="notifications_devices_unregister",
        tags=["notifications"],
        request=DeviceTokenInputSerializer,
        responses={200: DeletedOutputSerializer},
        description='Forget the device with this push token, sent in the body: `{"token": '
        '"…"}` (a token never goes into a URL). The caller\'s own only; 404 otherwise. To name '
        "the device by its `id`, use `DELETE notifications/devices/{device_id}`.",
    )
    def delete(self, request):
        serializer = DeviceTokenInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.device_delete(user=request.user, token=serializer.validated_data["token"])
        return Response({"deleted": True})


class NotificationDeviceDetailApi(NotificationsApi):
    """One device, named by its id: a push token never goes into a URL (access logs keep
    paths); the token form is `DELETE notifications/devices` with the token in the body."""

    @extend_schema(
        operation_id="notifications_devices_delete",
        tags=["notifications"],
        responses={200: DeletedOutputSerializer},
        description="Forget one of the caller's devices, named by its `id` (404 for anyone "
        "else's). To name it by its push token, send the token in the body of "
        "`DELETE notifications/devices`.",
    )
    def delete(self, request, device_id: uuid.UUID):
        services.device_delete(user=request.user, device_id=device_id)
        return Response({"deleted": True})


class NotificationSettingsOutputSerializer(serializers.Serializer):
    daily_reading_enabled = serializers.BooleanField()
    delivery_time = LocalTimeField(help_text="Local time of the daily reading.")
    quiet_hours_start = LocalTimeField(allow_null=True)
    quiet_hours_end = LocalTimeField(allow_null=True)
    chat_reply_enabled = serializers.BooleanField()

    class Meta:
        ref_name = "NotificationSettings"


class NotificationSettingsApi(NotificationsApi):
    class InputSerializer(serializers.Serializer):
        daily_reading_enabled = serializers.BooleanField(required=False)
        delivery_time = LocalTimeField(required=False)
        quiet_hours_start = LocalTimeField(required=False, allow_null=True)
        quiet_hours_end = LocalTimeField(required=False, allow_null=True)
        chat_reply_enabled = serializers.BooleanField(required=False)

        class Meta:
            ref_name = "NotificationSettingsInput"

    @extend_schema(
        operation_id="notifications_settings_get",
        tags=["notifications"],
        responses={200: NotificationSettingsOutputSerializer},
        description="What the caller is pushed and when (the defaults until they change any).",
    )
    def get(self, request):
        current = selectors.notification_settings_get(user=request.user)
        return Response(NotificationSettingsOutputSerializer(current).data)

    @extend_schema(
        operation_id="notifications_settings_update",
        tags=["notifications"],
        request=InputSerializer,
        responses={200: NotificationSettingsOutputSerializer},
        description='Change the settings; omitted fields are kept. Times are local "HH:MM". '
        "Quiet hours (both ends or neither) may wrap midnight; no daily reading is pushed "
        "inside them. The delivery time also schedules the daily reading itself.",
    )
    def put(self, request):
        return self._update(request)

    @extend_schema(
        operation_id="notifications_settings_partial_update",
        tags=["notifications"],
        request=InputSerializer,
        responses={200: NotificationSettingsOutputSerializer},
        description="Change some settings (same as PUT: omitted fields are kept).",
    )
    def patch(self, request):
        return self._update(request)

    def _update(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        updated = services.notification_settings_update(
            user=request.user, data=serializer.validated_data
        )
        return Response(NotificationSettingsOutputSerializer(updated).data)
