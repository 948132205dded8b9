from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    name = "realtime"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from readings import hooks
        from realtime.push import daily_readings_push
        from realtime.readings import daily_readings_publish

        hooks.on_daily_readings_created(daily_readings_publish)
        hooks.on_daily_readings_created(daily_readings_push)
