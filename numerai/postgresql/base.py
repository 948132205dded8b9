"""Django's PostgreSQL backend, with a pool that checks every idle connection once one fails.

A server that ends one pooled connection (a restart, a failover) has usually ended them all,
and psycopg's pool waits 1, 2, 4... seconds between one request's failed checks: with four
idle connections dead, a request ran out of the pool's 10 s timeout and failed. Checking the
others at the first failure replaces all the dead ones at once, so the request's next try,
after the first wait, gets a new connection (`tests/numerai/test_db_pool.py`).
"""

from __future__ import annotations

import functools

from django.db.backends.postgresql import base
from psycopg_pool import ConnectionPool


class DatabaseWrapper(base.DatabaseWrapper):
    @property
    def pool(self) -> ConnectionPool | None:
        pool = super().pool
        # With CONN_HEALTH_CHECKS Django gives the pool psycopg's check, kept as `_check`.
        if pool is not None and pool._check is ConnectionPool.check_connection:
            pool._check = functools.partial(_check_all_when_one_fails, pool)
        return pool


def _check_all_when_one_fails(pool: ConnectionPool, conn) -> None:
    try:
        ConnectionPool.check_connection(conn)
    except Exception:
        pool.check()
        raise
