"""The Celery app: `celery -A numerai worker` / `celery -A numerai beat`."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "numerai.settings")

app = Celery("numerai")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
