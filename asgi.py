"""ASGI entry point: `daphne asgi:application` (or `uvicorn asgi:application`).

Django is set up before any WebSocket code is imported (cookiecutter-django's order).
"""

import gc
import os

import django

from numerai.asgi_http import DjangoASGIHandler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "numerai.settings")

django.setup(set_prefix=False)
django_asgi_app = DjangoASGIHandler()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from numerai.metrics import gc_pauses_observe  # noqa: E402
from numerai.runtime import EmbeddedRuntime  # noqa: E402
from realtime.lifecycle import GracefulShutdown, daphne_drain_first  # noqa: E402
from realtime.limits import daphne_frame_limit  # noqa: E402
from realtime.origin import AllowedOriginValidator  # noqa: E402
from realtime.routing import websocket_urlpatterns  # noqa: E402

daphne_frame_limit(settings.WEBSOCKET_MAX_FRAME_BYTES)
daphne_drain_first()

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

# What was imported and built so far (about 140,000 objects) lives as long as the process: out
# of the collector's sight, a full collection walks only what requests and sockets create since.
# Under REST load the full collections stopped the process half as long (docs/performance.md).
gc.collect()
gc.freeze()
gc_pauses_observe()
