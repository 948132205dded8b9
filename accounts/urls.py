from django.urls import path

from accounts import apis

urlpatterns = [
    path("auth/register", apis.AuthRegisterApi.as_view(), name="auth-register"),
    path("auth/verify-otp", apis.AuthVerifyOtpApi.as_view(), name="auth-verify-otp"),
    path("auth/resend-otp", apis.AuthResendOtpApi.as_view(), name="auth-resend-otp"),
    path("auth/login", apis.AuthLoginApi.as_view(), name="auth-login"),
    path("auth/refresh-token", apis.AuthRefreshTokenApi.as_view(), name="auth-refresh-token"),
    path("auth/logout", apis.AuthLogoutApi.as_view(), name="auth-logout"),
    path("auth/password/change", apis.AuthPasswordChangeApi.as_view(), name="auth-password-change"),
    path("auth/password/reset", apis.AuthPasswordResetApi.as_view(), name="auth-password-reset"),
    path(
        "auth/password/reset/confirm",
        apis.AuthPasswordResetConfirmApi.as_view(),
        name="auth-password-reset-confirm",
    ),
    path("users/profile", apis.UserProfileApi.as_view(), name="users-profile"),
    path("users/me", apis.UserDeleteApi.as_view(), name="users-me"),
    path(
        "notifications/devices",
        apis.NotificationDeviceListApi.as_view(),
        name="notifications-devices",
    ),
    path(
        "notifications/devices/<uuid:device_id>",
        apis.NotificationDeviceDetailApi.as_view(),
        name="notifications-device",
    ),
    path(
        "notifications/settings",
        apis.NotificationSettingsApi.as_view(),
        name="notifications-settings",
    ),
]
