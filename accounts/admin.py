from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm as DjangoUserChangeForm
from django.contrib.auth.forms import UserCreationForm as DjangoUserCreationForm

from accounts import services
from accounts.models import (
    Device,
    NotificationSettings,
    OneTimeCode,
    PushDelivery,
    RefreshToken,
    User,
)
from accounts.push import mask_token


class UserCreationForm(DjangoUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "phone", "full_name")


class UserChangeForm(DjangoUserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    ordering = ("-created_at",)
    list_display = (
        "email",
        "phone",
        "full_name",
        "is_verified",
        "is_premium",
        "is_active",
        "created_at",
    )
    list_filter = ("is_premium", "is_verified", "is_active", "is_staff")
    search_fields = ("email", "phone", "full_name")
    readonly_fields = ("id", "created_at", "last_login")
    fieldsets = (
        (None, {"fields": ("id", "email", "phone", "password")}),
        ("Profile", {"fields": ("full_name", "birth_name", "date_of_birth", "timezone")}),
        ("Status", {"fields": ("is_verified", "is_premium", "is_active")}),
        (
            "Permissions",
            {"fields": ("is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Dates", {"fields": ("created_at", "last_login")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "phone", "full_name", "password1", "password2"),
            },
        ),
    )
    actions = ("grant_premium", "revoke_premium", "toggle_premium")

    @admin.action(description="Grant premium to the selected users")
    def grant_premium(self, request, queryset):
        count = services.user_premium_set(
            user_ids=queryset.values_list("pk", flat=True), is_premium=True
        )
        self.message_user(request, f"{count} user(s) are now premium.", messages.SUCCESS)

    @admin.action(description="Revoke premium from the selected users")
    def revoke_premium(self, request, queryset):
        count = services.user_premium_set(
            user_ids=queryset.values_list("pk", flat=True), is_premium=False
        )
        self.message_user(request, f"{count} user(s) are no longer premium.", messages.SUCCESS)

    @admin.action(description="Toggle premium for the selected users")
    def toggle_premium(self, request, queryset):
        premium = list(queryset.filter(is_premium=True).values_list("pk", flat=True))
        free = list(queryset.filter(is_premium=False).values_list("pk", flat=True))
        services.user_premium_set(user_ids=premium, is_premium=False)
        services.user_premium_set(user_ids=free, is_premium=True)
        self.message_user(
            request,
            f"Premium granted to {len(free)} and revoked from {len(premium)} user(s).",
            messages.SUCCESS,
        )


@admin.register(RefreshToken)
class RefreshTokenAdmin(admin.ModelAdmin):
    list_display = ("jti", "user", "family_id", "created_at", "expires_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("user__email", "jti", "family_id")
    raw_id_fields = ("user", "replaced_by")
    readonly_fields = ("jti", "family_id", "created_at", "expires_at", "replaced_by")


@admin.register(OneTimeCode)
class OneTimeCodeAdmin(admin.ModelAdmin):
    list_display = ("user", "purpose", "channel", "sent_at", "expires_at", "attempts")
    list_filter = ("purpose", "channel")
    search_fields = ("user__email", "user__phone")
    raw_id_fields = ("user",)
    exclude = ("code_hash",)
    readonly_fields = ("destination", "sent_at", "expires_at", "attempts")


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = ("token_hint", "user", "platform", "app_version", "last_seen", "created_at")
    list_filter = ("platform",)
    search_fields = ("user__email", "user__phone")
    raw_id_fields = ("user",)
    # The token is a credential for pushing to the device: shown masked, never editable.
    exclude = ("token",)
    readonly_fields = ("token_hint", "created_at", "last_seen")
    ordering = ("-last_seen",)

    def has_add_permission(self, request):
        return False  # devices register themselves through the API

    @admin.display(description="token")
    def token_hint(self, obj: Device) -> str:
        return mask_token(obj.token)


@admin.register(NotificationSettings)
class NotificationSettingsAdmin(admin.ModelAdmin):
    list_display = (
        "user",
        "daily_reading_enabled",
        "delivery_time",
        "quiet_hours_start",
        "quiet_hours_end",
        "chat_reply_enabled",
    )
    list_filter = ("daily_reading_enabled", "chat_reply_enabled")
    search_fields = ("user__email", "user__phone")
    raw_id_fields = ("user",)


@admin.register(PushDelivery)
class PushDeliveryAdmin(admin.ModelAdmin):
    list_display = ("kind", "key", "user", "status", "reason", "sent_count", "attempts",
                    "created_at")
    list_filter = ("kind", "status", "reason")
    search_fields = ("user__email", "key")
    raw_id_fields = ("user",)
    ordering = ("-created_at",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
