from django.apps import AppConfig


class NumeraiConfig(AppConfig):
    name = "numerai"
    verbose_name = "NumerAI wiring"
