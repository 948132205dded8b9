from django.contrib import admin

from readings.models import DailyReading, NumerologyProfile


@admin.register(NumerologyProfile)
class NumerologyProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "life_path", "expression", "soul_urge", "version", "calculated_at")
    search_fields = ("user__email", "name")
    raw_id_fields = ("user",)
    readonly_fields = [field.name for field in NumerologyProfile._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(DailyReading)
class DailyReadingAdmin(admin.ModelAdmin):
    list_display = ("user", "reading_date", "personal_day", "lucky_number", "generated_at")
    list_filter = ("reading_date",)
    search_fields = ("user__email",)
    raw_id_fields = ("user",)
    date_hierarchy = "reading_date"
    readonly_fields = [field.name for field in DailyReading._meta.fields]

    def has_add_permission(self, request):
        return False
