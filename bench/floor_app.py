"""The REST benchmark's floor: Django's ASGI handler and a DRF view, with nothing else.

    .venv/bin/python -m uvicorn bench.floor_app:application      (or daphne)

Every path under ``/api/v1/`` answers ``GET`` with a small JSON body from an `APIView`: no
middleware, database, cache, authentication or throttling, one URL pattern. The handler is
the app's (`numerai/asgi_http.py`: reused request threads, a sync view in one thread call,
no request left in a cycle) and the startup heap is frozen as `asgi.py` freezes it: what a
server process of Django 5.2 and DRF costs per request on this machine at best, before any
work of the app. `bench.rest` runs it under the same server and load as the real endpoints,
so the table shows how far the app is above it, and whether the framework alone could meet
the target.
"""

import gc

import django
from django.conf import settings

settings.configure(
    DEBUG=False,
    SECRET_KEY="bench-floor-" + "x" * 50,
    ALLOWED_HOSTS=["127.0.0.1"],
    ROOT_URLCONF=__name__,
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "rest_framework"],
    MIDDLEWARE=[],
    DATABASES={},
    REST_FRAMEWORK={
        "DEFAULT_AUTHENTICATION_CLASSES": [],
        "DEFAULT_PERMISSION_CLASSES": [],
        "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
        "UNAUTHENTICATED_USER": None,
    },
)
django.setup(set_prefix=False)

from django.urls import path  # noqa: E402
from rest_framework.response import Response  # noqa: E402
from rest_framework.views import APIView  # noqa: E402

from numerai.asgi_http import DjangoASGIHandler  # noqa: E402


class Floor(APIView):
    def get(self, request, rest: str) -> Response:
        return Response({"path": rest})


urlpatterns = [path("api/v1/<path:rest>", Floor.as_view())]

application = DjangoASGIHandler()

gc.collect()
gc.freeze()
