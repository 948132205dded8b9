"""Database work from async code (sockets, replies, SSE)."""

from __future__ import annotations

import functools

from asgiref.sync import sync_to_async
from django.db import close_old_connections, connection


def db_async(fn):
    """`fn` (a self-contained service or selector) as a coroutine function.

    Channels' `database_sync_to_async` runs every such call of a process on ONE thread, so
    concurrent sockets and replies queue behind each other. On PostgreSQL each call runs on the
    loop's thread pool instead, taking a pooled connection and giving it back. SQLite (the
    embedded default) has one writer anyway: it keeps the one thread.

    The connection is released inside the call: Django keeps connections per async context, so
    releasing it after `sync_to_async` returns (as channels does) would miss it off the
    sync thread and leak it from the pool.
    """

    @functools.wraps(fn)
    def call(*args, **kwargs):
        close_old_connections()
        try:
            return fn(*args, **kwargs)
        finally:
            close_old_connections()

    return sync_to_async(call, thread_sensitive=connection.vendor == "sqlite")
