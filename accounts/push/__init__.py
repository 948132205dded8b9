"""Mobile pushes behind a small interface (`base.PushBackend`); see docs/push.md.

The backend is the dotted path ``settings.PUSH_BACKEND``, built on first use:
`accounts.push.console.ConsolePush` (the embedded default: logs each push with the token
masked) or `accounts.push.fcm.FCMPush` (Firebase Cloud Messaging, the only importer of
``firebase_admin``).
"""

from accounts.push.base import (
    PushBackend,
    PushJob,
    PushMessage,
    PushOutcome,
    PushResult,
    get_push_backend,
    mask_token,
    reset_push_backend,
)

__all__ = [
    "PushBackend",
    "PushJob",
    "PushMessage",
    "PushOutcome",
    "PushResult",
    "get_push_backend",
    "mask_token",
    "reset_push_backend",
]
