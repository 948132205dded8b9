import logging

from numerai.context import request_id_var, user_id_var


class ContextFilter(logging.Filter):
    """Adds request_id and user_id (when known) to every log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)  # django.request records carry the request
        record.request_id = (
            getattr(record, "request_id", None)
            or getattr(request, "request_id", None)
            or request_id_var.get()
        )
        record.user_id = getattr(record, "user_id", None) or user_id_var.get()
        return True
