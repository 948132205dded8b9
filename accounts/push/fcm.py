"""Firebase Cloud Messaging: the ONLY module that imports ``firebase_admin``.

`FCMPush` initialises a named firebase app lazily, on the first send, from the service-account
file at ``settings.FIREBASE_CREDENTIALS_PATH`` (a named app, not the default one, so it never
collides with other Firebase users in the process and tests can create and delete it). Each
job is sent with ``messaging.send_each_for_multicast`` in chunks of at most 500 tokens (one
HTTP/1.1 request per token to the FCM v1 API, on the SDK's thread pool); jobs run side by side
on a small pool of our own. SDK errors become `PushOutcome`s, per token:

- ``UNREGISTERED`` (404) → unregistered; ``SENDER_ID_MISMATCH`` (403) → invalid;
  ``INVALID_ARGUMENT`` (400) naming the registration token → invalid (other invalid arguments
  are a fault of the message, not the token → failed, the token is kept);
- ``UNAVAILABLE``, ``INTERNAL``, ``QUOTA_EXCEEDED`` / ``RESOURCE_EXHAUSTED``,
  ``DEADLINE_EXCEEDED``, transport errors → transient (the Celery task retries them);
- anything else (e.g. ``THIRD_PARTY_AUTH_ERROR``: the APNs key is wrong) → failed.

The SDK itself retries 500 and 503 answers up to four times with backoff before giving up.
"""

from __future__ import annotations

import concurrent.futures
import logging
import re
import threading
import time
import warnings
from collections.abc import Sequence
from datetime import timedelta

import firebase_admin
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from firebase_admin import credentials, exceptions, messaging

from accounts.push.base import PushJob, PushMessage, PushOutcome, PushResult, mask_token

logger = logging.getLogger("accounts.push")

MULTICAST_LIMIT = 500
DEFAULT_APP_NAME = "numerai-push"
_WEBPUSH_TOPIC = re.compile(r"^[A-Za-z0-9_-]{1,32}$")

_TRANSIENT = (
    exceptions.UnavailableError,
    exceptions.InternalError,
    exceptions.ResourceExhaustedError,  # QuotaExceededError included
    exceptions.DeadlineExceededError,
    exceptions.UnknownError,  # transport failures, credential refresh failures
)


def _fcm_error_code(exc: exceptions.FirebaseError) -> str:
    """The FCM error code (``UNREGISTERED``…) when the answer has one, else the platform code."""
    response = getattr(exc, "http_response", None)
    if response is not None:
        try:
            details = response.json().get("error", {}).get("details", [])
        except (ValueError, AttributeError):
            details = []
        for detail in details or []:
            if isinstance(detail, dict) and detail.get("errorCode"):
                return str(detail["errorCode"])
    return str(exc.code)


def _names_the_token(exc: exceptions.FirebaseError) -> bool:
    """True when an INVALID_ARGUMENT answer is about the registration token itself."""
    if "registration token" in str(exc).lower():
        return True
    response = getattr(exc, "http_response", None)
    try:
        details = response.json().get("error", {}).get("details", []) if response else []
    except (ValueError, AttributeError):
        return False
    for detail in details or []:
        for violation in (detail or {}).get("fieldViolations", []) or []:
            if str(violation.get("field", "")).endswith("token"):
                return True
    return False


def classify(exc: Exception) -> tuple[PushOutcome, str]:
    """(outcome, error code) of one failed send."""
    if isinstance(exc, messaging.UnregisteredError):
        return PushOutcome.UNREGISTERED, "UNREGISTERED"
    if isinstance(exc, messaging.SenderIdMismatchError):
        return PushOutcome.INVALID, "SENDER_ID_MISMATCH"
    if isinstance(exc, exceptions.InvalidArgumentError):
        outcome = PushOutcome.INVALID if _names_the_token(exc) else PushOutcome.FAILED
        return outcome, "INVALID_ARGUMENT"
    if isinstance(exc, messaging.QuotaExceededError):
        return PushOutcome.TRANSIENT, "QUOTA_EXCEEDED"
    if isinstance(exc, _TRANSIENT):
        return PushOutcome.TRANSIENT, _fcm_error_code(exc)
    if isinstance(exc, exceptions.FirebaseError):
        return PushOutcome.FAILED, _fcm_error_code(exc)
    return PushOutcome.TRANSIENT, type(exc).__name__


def build_multicast(message: PushMessage, tokens: Sequence[str]) -> messaging.MulticastMessage:
    """The FCM message: notification + data, with Android, APNs and Web Push options."""
    ttl = timedelta(seconds=message.ttl_seconds) if message.ttl_seconds else None
    collapse_key = message.collapse_key or None
    apns_headers = {
        "apns-push-type": "alert",
        "apns-priority": "10" if message.high_priority else "5",
    }
    if collapse_key:
        apns_headers["apns-collapse-id"] = collapse_key
    if message.ttl_seconds:
        apns_headers["apns-expiration"] = str(int(time.time()) + message.ttl_seconds)
    webpush_headers = {"Urgency": "high" if message.high_priority else "normal"}
    if message.ttl_seconds:
        webpush_headers["TTL"] = str(message.ttl_seconds)
    if collapse_key and _WEBPUSH_TOPIC.match(collapse_key):
        webpush_headers["Topic"] = collapse_key
    return messaging.MulticastMessage(
        tokens=list(tokens),
        data=dict(message.data),
        notification=messaging.Notification(title=message.title, body=message.body),
        android=messaging.AndroidConfig(
            collapse_key=collapse_key,
            priority="high" if message.high_priority else "normal",
            ttl=ttl,
            # The same tag replaces the notification already shown for this key.
            notification=messaging.AndroidNotification(tag=collapse_key, default_sound=True),
        ),
        apns=messaging.APNSConfig(
            headers=apns_headers,
            payload=messaging.APNSPayload(
                aps=messaging.Aps(sound="default", thread_id=message.data.get("type"))
            ),
        ),
        webpush=messaging.WebpushConfig(headers=webpush_headers),
    )


class FCMPush:
    """`PushBackend` over the Firebase Admin SDK (FCM HTTP v1)."""

    name = "fcm"

    def __init__(
        self,
        *,
        credentials_path: str | None = None,
        app_name: str = DEFAULT_APP_NAME,
        http_timeout: float = 10.0,
        concurrency: int = 8,
        dry_run: bool = False,
    ):
        self._credentials_path = credentials_path
        self._app_name = app_name
        self._http_timeout = http_timeout
        self._concurrency = max(1, concurrency)
        self._dry_run = dry_run
        self._app: firebase_admin.App | None = None
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        self._lock = threading.RLock()

    # --- lazy set-up --------------------------------------------------------------------------
    @property
    def app(self) -> firebase_admin.App:
        """The named firebase app, initialised on first use."""
        if self._app is None:
            with self._lock:
                if self._app is None:
                    self._app = self._app_initialize()
        return self._app

    def _app_initialize(self) -> firebase_admin.App:
        path = self._credentials_path or settings.FIREBASE_CREDENTIALS_PATH
        if not path:
            raise ImproperlyConfigured("FCMPush needs FIREBASE_CREDENTIALS_PATH (service account)")
        try:
            return firebase_admin.get_app(self._app_name)
        except ValueError:  # not initialised yet
            pass
        certificate = credentials.Certificate(path)
        try:
            app = firebase_admin.initialize_app(
                certificate, {"httpTimeout": self._http_timeout}, name=self._app_name
            )
        except ValueError:  # another instance of this process initialised it meanwhile
            return firebase_admin.get_app(self._app_name)
        logger.info("FCM initialised for project %s", app.project_id)
        return app

    def _access_token_ensure(self) -> None:
        """Fetch the OAuth token once, under a lock (the SDK's threads would each fetch one)."""
        credential = self.app.credential.get_credential()
        if credential.valid:
            return
        with self._lock:
            if not credential.valid:
                self.app.credential.get_access_token()

    def close(self) -> None:
        """Delete the firebase app and stop the pool (tests; a later send starts again)."""
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
                self._pool = None
            if self._app is not None:
                firebase_admin.delete_app(self._app)
                self._app = None

    # --- sending ------------------------------------------------------------------------------
    def send(self, jobs: Sequence[PushJob]) -> list[list[PushResult]]:
        chunks: list[tuple[int, messaging.MulticastMessage, list[str]]] = []
        # firebase-admin 7 deprecates registration tokens in favour of installation ids (fids);
        # the apps register FCM tokens, so the warning is expected (built here, in one thread).
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "MulticastMessage.tokens", DeprecationWarning)
            for index, job in enumerate(jobs):
                tokens = list(job.tokens)
                for start in range(0, len(tokens), MULTICAST_LIMIT):
                    part = tokens[start : start + MULTICAST_LIMIT]
                    chunks.append((index, build_multicast(job.message, part), part))
        results: list[list[PushResult]] = [[] for _ in jobs]
        if not chunks:
            return results
        self.app  # noqa: B018 - a configuration error is raised, not retried
        try:
            self._access_token_ensure()
        except Exception as exc:
            logger.error("FCM credentials could not be refreshed: %s", type(exc).__name__)
            for index, _message, tokens in chunks:
                results[index].extend(
                    PushResult(token, PushOutcome.TRANSIENT, "AUTH_REFRESH_FAILED")
                    for token in tokens
                )
            return results
        if len(chunks) == 1:
            outcomes = [self._chunk_send(*chunks[0][1:])]
        else:
            outcomes = list(self._executor().map(lambda c: self._chunk_send(c[1], c[2]), chunks))
        for (index, _message, _tokens), chunk_results in zip(chunks, outcomes, strict=True):
            results[index].extend(chunk_results)
        return results

    def _executor(self) -> concurrent.futures.ThreadPoolExecutor:
        if self._pool is None:
            with self._lock:
                if self._pool is None:
                    self._pool = concurrent.futures.ThreadPoolExecutor(
                        max_workers=self._concurrency, thread_name_prefix="fcm-push"
                    )
        return self._pool

    def _chunk_send(
        self, multicast: messaging.MulticastMessage, tokens: list[str]
    ) -> list[PushResult]:
        try:
            batch = messaging.send_each_for_multicast(
                multicast, dry_run=self._dry_run, app=self.app
            )
        except exceptions.FirebaseError as exc:  # the whole call failed
            outcome, code = classify(exc)
            logger.warning("FCM multicast failed: %s", code)
            return [PushResult(token, outcome, code) for token in tokens]
        results = []
        for token, response in zip(tokens, batch.responses, strict=True):
            if response.success:
                results.append(PushResult(token, PushOutcome.OK, message_id=response.message_id))
                continue
            outcome, code = classify(response.exception)
            if outcome is PushOutcome.FAILED:
                logger.warning("FCM refused the push to %s: %s", mask_token(token), code)
            results.append(PushResult(token, outcome, code))
        return results
