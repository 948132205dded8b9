"""REST fuzzing: schemathesis against the live `/api/v1/schema` of a real server process.

Every operation gets 50 generated requests (positive and negative data mixed), each sent
with a verified user's Bearer token and again without a valid one (none, or the generator's
made-up `Authorization`). No response may be a 5xx, and every response
must match the schema: a documented status, the documented content type, and the documented
body (the success envelope around the payload, or the error envelope).

The operations are listed at collection time from the same schema generator the server runs
(so a new endpoint gets its own test id), and a test proves the live schema has exactly those.
Operations that spend the caller's credentials (account deletion, password change) or change
the account (profile) run with a user of their own, so the main fuzz user stays valid and
verified throughout.

schemathesis' own pytest loader (`from_fixture(...).parametrize()`) does not run under
pytest 9 (it writes `Node._nodeid`), so each operation's Hypothesis test is built here from
`APIOperation.as_strategy`, with the same checks `call_and_validate` runs.
"""

from __future__ import annotations

import pytest
import schemathesis
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)


def no_server_error(ctx, response, case):
    """`not_a_server_error`, except the documented 503 DEGRADED of the health check (the scaled
    pass runs no Celery worker for these servers, and health says so)."""
    if response.status_code == 503 and case.operation.path == "/api/v1/health":
        error = response.json()["error"]
        assert error["code"] == "DEGRADED" and error["details"]["checks"], error
        return True
    return not_a_server_error(ctx, response, case)


CHECKS = [
    no_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
FUZZ = settings(
    max_examples=50,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
METHODS = {"get", "post", "put", "patch", "delete"}
# Spend (or could spend) the caller's credentials, or change the account (a new email address
# unverifies it): fuzzed with a user of their own each.
OWN_USER = {
    "DELETE /api/v1/users/me",
    "POST /api/v1/auth/password/change",
    "PUT /api/v1/users/profile",
    "PATCH /api/v1/users/profile",
}


def _labels(document: dict) -> list[str]:
    return sorted(
        f"{method.upper()} {path}"
        for path, item in document["paths"].items()
        for method in item
        if method in METHODS
    )


OPERATIONS = _labels(SchemaGenerator().get_schema(request=None, public=True))


@pytest.fixture(scope="session")
def api_schema(live):
    return schemathesis.openapi.from_url(live.base + "/api/v1/schema", timeout=30)


@pytest.fixture(scope="module", autouse=True)
def log_start(live):
    """Where the server log stood when this module started."""
    return live.mark()


@pytest.fixture(scope="session")
def fuzz_user(live):
    return live.new_user()


def _fuzz(live, api_schema, label: str, token: str) -> None:
    operation = api_schema.find_operation_by_label(label)
    assert operation is not None, f"{label} is not in the live schema"
    strategy = operation.as_strategy(GenerationMode.POSITIVE)
    if operation.body or any(True for _ in operation.iter_parameters()):
        strategy = st.one_of(strategy, operation.as_strategy(GenerationMode.NEGATIVE))

    authenticated = []

    @FUZZ
    @given(case=strategy)
    def run(case):
        # The same generated request, first as the verified user, then with whatever (never
        # valid) Authorization the generator made up, or none.
        generated = dict(case.headers or {})
        case.headers = {**generated, "Authorization": f"Bearer {token}"}
        response = case.call_and_validate(base_url=live.base, checks=CHECKS, timeout=60)
        authenticated.append(response.status_code != 401)
        case.headers = {key: value for key, value in generated.items()
                        if not (key.lower() == "authorization" and token in value)}
        case.call_and_validate(base_url=live.base, checks=CHECKS, timeout=60)

    run()
    # The token really was honoured (a fuzz that only ever saw 401s would prove little).
    assert any(authenticated), f"{label}: every call with the token was refused"


def test_the_live_schema_has_exactly_the_generated_operations(live):
    assert _labels(live.rest("GET", "/api/v1/schema?format=json",
                             headers={"Accept": "application/vnd.oai.openapi+json"}).json()
                   ) == OPERATIONS


@pytest.mark.parametrize("label", OPERATIONS)
def test_operation_with_and_without_a_token(label, live, api_schema, fuzz_user):
    token = live.new_user().access_token if label in OWN_USER else fuzz_user.access_token
    _fuzz(live, api_schema, label, token)


def test_the_fuzz_left_no_unhandled_exception_in_the_server_log(live, log_start):
    log = live.log(since=log_start)
    assert "Traceback" not in log and "Internal Server Error" not in log, log[-3000:]
