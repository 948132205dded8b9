"""ASGI entry point: `daphne asgi:application` (or `uvicorn asgi:application`).

Django is set up before any WebSocket code is imported (cookiecutter-django's order).
"""

import gc
import os

import django
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "numerai.settings")


class DjangoASGIHandler(ASGIHandler):
    """Django's HTTP handler, whose requests are freed as soon as their response is sent.

    Django 5.2's `handle` waits for the view and for the client's disconnect, whichever ends
    first, and cancels the other. A keep-alive server answers the listener's `receive()` with
    `http.disconnect` once the response is sent, and the listener raises `RequestAborted`,
    which `handle` ignores. Its traceback holds `handle`'s frame, whose tasks hold the
    exception: a cycle that kept every request's objects (request, response, view) until a
    full garbage collection, which under REST load ran every second or two and stopped the
    process for 0.1 s (Django ticket #36700; docs/performance.md, fix 27). Returning instead
    changes nothing else: `handle` looks at which task ended, not how. (Django 6.1 cancels the
    view only on the exception; this is for 5.2.)
    """

    async def listen_for_disconnect(self, receive):
        try:
            await super().listen_for_disconnect(receive)
        except RequestAborted:
            return


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
