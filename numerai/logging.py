import logging

from numerai.context import request_id_var, user_id_var


class ContextFilter(logging.Filter):
    """Adds request_id and user_id (when known) to every log record.

    A django.request record carries the request, whose repr holds the query string: a token
    a client wrongly put in a URL would be logged with it. Only the method and path are kept.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)  # django.request records carry the request
        if request is not None:
            record.request = f"{getattr(request, 'method', '')} {getattr(request, 'path', '')}"
        record.__dict__.pop("color_message", None)  # uvicorn's terminal copy of the message
        record.request_id = (
            getattr(record, "request_id", None)
            or getattr(request, "request_id", None)
            or request_id_var.get()
        )
        record.user_id = getattr(record, "user_id", None) or user_id_var.get()
        return True
