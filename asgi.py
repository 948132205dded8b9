"""ASGI entry point: `daphne asgi:application` (or `uvicorn asgi:application`).

Django is set up before any WebSocket code is imported (cookiecutter-django's order).
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "numerai.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from numerai.runtime import EmbeddedRuntime  # noqa: E402
from realtime.lifecycle import GracefulShutdown  # noqa: E402
from realtime.limits import daphne_frame_limit  # noqa: E402
from realtime.origin import AllowedOriginValidator  # noqa: E402
from realtime.routing import websocket_urlpatterns  # noqa: E402

daphne_frame_limit(settings.WEBSOCKET_MAX_FRAME_BYTES)

application = EmbeddedRuntime(
    GracefulShutdown(
        ProtocolTypeRouter(
            {
                "http": django_asgi_app,
                "websocket": AllowedOriginValidator(URLRouter(websocket_urlpatterns)),
            }
        )
    )
)
