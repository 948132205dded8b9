"""Frames of the WebSocket protocol v1 (docs/protocol.md): parsing, validation, building."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings

PROTOCOL_VERSION = 1
SUBPROTOCOL = "numerai.v1"
MAX_REQUEST_ID = 64

# Close codes
NORMAL = 1000
TOO_LARGE = 1009
PROTOCOL_VIOLATION = 4400
UNAUTHORIZED = 4401
ORIGIN_NOT_ALLOWED = 4403
AUTH_TIMEOUT = 4408
TOO_MANY_SOCKETS = 4429
GOING_AWAY = 4503


class FrameError(Exception):
    """A frame the server refuses; answered with an `error` frame of this code."""

    def __init__(self, code: str, message: str, request_id: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.request_id = request_id


@dataclass(frozen=True)
class Request:
    type: str
    id: str | None
    data: dict


def utc_ts() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def frame(type_: str, data: dict | None = None, *, request_id: str | None = None) -> dict:
    out: dict = {"type": type_, "ts": utc_ts()}
    if request_id is not None:
        out["id"] = request_id
    if data is not None:
        out["data"] = data
    return out


def error_frame(code: str, message: str, *, request_id=None, retry_after=None) -> dict:
    data = {"code": code, "message": message}
    if retry_after is not None:
        data["retry_after"] = retry_after
    return frame("error", data, request_id=request_id)


def parse(text: str) -> Request:
    """Parses one inbound text frame; FrameError(bad_request) for anything malformed."""
    try:
        raw = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise FrameError("bad_request", "Frame is not valid JSON.") from exc
    if not isinstance(raw, dict):
        raise FrameError("bad_request", "Frame must be a JSON object.")
    request_id = raw.get("id")
    if request_id is not None and (
        not isinstance(request_id, str) or not 0 < len(request_id) <= MAX_REQUEST_ID
    ):
        raise FrameError("bad_request", f"`id` must be a string of 1..{MAX_REQUEST_ID} chars.")
    type_ = raw.get("type")
    if not isinstance(type_, str) or not type_:
        raise FrameError("bad_request", "`type` must be a non-empty string.", request_id)
    data = raw.get("data", {})
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise FrameError("bad_request", "`data` must be an object.", request_id)
    return Request(type_, request_id, data)


# --- field validators: each returns the clean value or raises FrameError(bad_request) --------


def _bad(request: Request, message: str) -> FrameError:
    return FrameError("bad_request", message, request.id)


def _storable(value: str) -> bool:
    """JSON may escape a lone surrogate or NUL into a string; neither can be stored or hashed."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def field_str(request: Request, name: str, *, max_len: int, optional=False) -> str | None:
    value = request.data.get(name)
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value or len(value) > max_len:
        raise _bad(request, f"`data.{name}` must be a string of 1..{max_len} characters.")
    if not _storable(value):
        raise _bad(request, f"`data.{name}` holds a NUL or an unpaired surrogate character.")
    return value


def field_uuid(request: Request, name: str, *, optional=False) -> uuid.UUID | None:
    value = request.data.get(name)
    if value is None and optional:
        return None
    try:
        if not isinstance(value, str):
            raise ValueError
        return uuid.UUID(value)
    except ValueError as exc:
        raise _bad(request, f"`data.{name}` must be a UUID string.") from exc


def field_int(request: Request, name: str, *, minimum: int = 0) -> int:
    value = request.data.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise _bad(request, f"`data.{name}` must be an integer ≥ {minimum}.")
    return value


def field_content(request: Request) -> str:
    value = request.data.get("content")
    limit = settings.CHAT_MAX_MESSAGE_CHARS
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise _bad(request, f"`data.content` must be a string of 1..{limit} characters.")
    if not _storable(value):
        raise _bad(request, "`data.content` holds a NUL or an unpaired surrogate character.")
    return value


def field_resume(request: Request) -> tuple[str, int] | None:
    resume = request.data.get("resume")
    if resume is None:
        return None
    if not isinstance(resume, dict):
        raise _bad(request, "`data.resume` must be an object {epoch, offset}.")
    epoch, offset = resume.get("epoch"), resume.get("offset")
    if not isinstance(epoch, str) or not epoch or len(epoch) > 64:
        raise _bad(request, "`data.resume.epoch` must be a string.")
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise _bad(request, "`data.resume.offset` must be an integer ≥ 0.")
    return epoch, offset
