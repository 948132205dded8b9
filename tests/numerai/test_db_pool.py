"""The PostgreSQL pool: a connection that the server closed while it sat idle in the pool (a
restart, an administrator, an idle timeout) is replaced when handed out, not used and failed."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
from django.db import close_old_connections, connection

from accounts.services import session_create
from tests.factories import UserFactory

pytestmark = [pytest.mark.scaled, pytest.mark.django_db(transaction=True)]

PROFILE = "/api/v1/users/profile"


def _terminate_the_pooled_connections() -> None:
    """Every other backend of this database, as `pg_terminate_backend` (or a restart) ends them."""
    others = ("FROM pg_stat_activity WHERE datname = current_database() "
              "AND pid <> pg_backend_pid() AND backend_type = 'client backend'")
    with psycopg.connect(**connection.get_connection_params() | {"autocommit": True}) as admin:
        assert admin.execute(f"SELECT count(pg_terminate_backend(pid)) {others}").fetchone()[0]
        deadline = time.monotonic() + 10
        while admin.execute(f"SELECT count(*) {others}").fetchone()[0]:
            assert time.monotonic() < deadline, "the backends did not end"
            time.sleep(0.01)


def _grow_the_pool(size: int) -> None:
    """`size` connections in use at once, then all idle in the pool."""
    together = threading.Barrier(size)

    def query(_):
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            together.wait(timeout=10)
        finally:
            close_old_connections()

    with ThreadPoolExecutor(size) as threads:
        list(threads.map(query, range(size)))
    assert connection.pool.get_stats()["pool_available"] >= size


def test_requests_after_postgresql_closed_every_pooled_connection_succeed(api_client):
    """psycopg's pool waits 1, 2, 4... s between one request's failed checks: with more than
    three dead connections idle, the request ran out of the pool's timeout before
    `numerai.postgresql` checked the rest at the first failure."""
    user = UserFactory()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {session_create(user=user).access_token}")
    assert api_client.get(PROFILE).status_code == 200
    close_old_connections()  # the test's own connection goes back to the pool too
    _grow_the_pool(6)

    _terminate_the_pooled_connections()

    for _ in range(3):  # more requests than the pool's idle connections
        response = api_client.get(PROFILE)
        assert response.status_code == 200, response.content
        assert response.json()["data"]["email"] == user.email
