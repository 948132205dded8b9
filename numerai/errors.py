"""Errors that services raise; transports turn them into the REST envelope or an `error` frame.

`code` is the REST error code (UPPER_SNAKE), `frame_code` the WebSocket protocol's code.
"""

from __future__ import annotations


class DomainError(Exception):
    status = 400
    code = "BAD_REQUEST"
    frame_code = "bad_request"
    default_message = "The request is invalid."

    def __init__(self, message: str | None = None, *, code: str | None = None, details=None):
        self.message = message or self.default_message
        if code:
            self.code = code
        self.details = details
        super().__init__(self.message)


class InvalidInput(DomainError):
    code = "VALIDATION_ERROR"

    def __init__(self, field: str, message: str):
        super().__init__(message, details={field: [message]})
        self.field = field


class NotAuthenticated(DomainError):
    status = 401
    code = "UNAUTHORIZED"
    frame_code = "unauthorized"
    default_message = "Authentication credentials were not provided or are invalid."


class Forbidden(DomainError):
    status = 403
    code = "PERMISSION_DENIED"
    frame_code = "unauthorized"
    default_message = "You are not allowed to do this."


class NotFound(DomainError):
    status = 404
    code = "NOT_FOUND"
    frame_code = "not_found"
    default_message = "Not found."


class Conflict(DomainError):
    status = 409
    code = "CONFLICT"
    frame_code = "conflict"
    default_message = "The request conflicts with the current state."


class RateLimited(DomainError):
    status = 429
    code = "RATE_LIMITED"
    frame_code = "rate_limited"
    default_message = "Too many requests; try again later."

    def __init__(self, retry_after: int, message: str | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = max(1, int(retry_after))


class ServiceUnavailable(DomainError):
    status = 503
    code = "SERVICE_UNAVAILABLE"
    frame_code = "internal"
    default_message = "The service is temporarily unavailable."
