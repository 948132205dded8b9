from django.apps import AppConfig


class WebConfig(AppConfig):
    """The web client: one static page at `/` speaking the REST API and protocol v1."""

    name = "web"
    verbose_name = "Web client"
