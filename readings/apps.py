from django.apps import AppConfig


class ReadingsConfig(AppConfig):
    name = "readings"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from accounts.signals import user_birth_data_changed
        from readings import receivers

        user_birth_data_changed.connect(
            receivers.numerology_profile_recompute_receiver,
            dispatch_uid="readings.numerology_profile_recompute",
        )
