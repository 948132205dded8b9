import logging

from numerai.context import request_id_var, user_id_var


class ContextFilter(logging.Filter):
    """Adds request_id and user_id (when known) to every log record, and keeps query strings
    out of it: a token a client wrongly put in a URL must not be logged. A django.request
    record carries the request (its repr holds the query string): method and path are kept;
    uvicorn's access lines carry the path with its query as an argument: the path is kept.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)  # django.request records carry the request
        if request is not None:
            record.request = f"{getattr(request, 'method', '')} {getattr(request, 'path', '')}"
        if isinstance(record.args, tuple):
            record.args = tuple(
                arg.split("?", 1)[0] if isinstance(arg, str) and arg.startswith("/") else arg
                for arg in record.args
            )
        record.__dict__.pop("color_message", None)  # uvicorn's terminal copy of the message
        record.request_id = (
            getattr(record, "request_id", None)
            or getattr(request, "request_id", None)
            or request_id_var.get()
        )
        record.user_id = getattr(record, "user_id", None) or user_id_var.get()
        return True
