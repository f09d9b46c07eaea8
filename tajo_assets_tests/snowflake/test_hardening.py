"""The client's retries, token renewal, cancels and partition prefetch, against the
sandbox over real HTTP on 127.0.0.1.

Failures are switched on in the sandbox (`faults`); every exchange, the faults
included, is checked against Snowflake's published API description.
"""

import itertools
import signal
import threading
import time
from collections.abc import Iterator
from urllib.parse import parse_qs

import pytest
from dagster import DagsterExecutionInterruptedError

from tajo_assets.sandbox.server import ServerThread
from tajo_assets.sandbox.snowflake import (
    OAuthClient,
    SnowflakeSandbox,
    SnowflakeSandboxSettings,
    StatementStatus,
)
from tajo_assets.snowflake import (
    KeyPairAuth,
    OAuthClientCredentialsAuth,
    ProgrammaticAccessTokenAuth,
    SnowflakeAuthError,
    SnowflakeTimeoutError,
    SnowflakeUnavailableError,
    SqlApiClient,
)
from tajo_assets.snowflake.auth import default_oauth_token_url
from tajo_assets_tests.snowflake.conftest import (
    ACCOUNT,
    DATABASE,
    PARTITION_ROWS,
    SCHEMA,
    USER,
)

STATEMENTS = "/api/v2/statements"
UNIQUE_WAITS = itertools.count(40)


def query_of(exchange) -> dict[str, list[str]]:
    return parse_qs(exchange.query_string)


def submits(sandbox) -> list:
    return [
        e
        for e in sandbox.sandbox.traffic.exchanges
        if e.method == "POST" and e.path == STATEMENTS
    ]


# -- retries ---------------------------------------------------------------------------


def test_a_500_after_execution_is_resubmitted_and_runs_once(client, sandbox, faults):
    client.execute("CREATE OR REPLACE TABLE RETRIED (X NUMBER)")
    faults.add("POST", STATEMENTS, 500, after_execution=True)

    result = client.execute("INSERT INTO RETRIED VALUES (1)")

    first, resubmitted = submits(sandbox)[-2:]
    assert (first.status, resubmitted.status) == (500, 200)
    assert query_of(first)["requestId"] == query_of(resubmitted)["requestId"]
    assert "retry" not in query_of(first)
    assert query_of(resubmitted)["retry"] == ["true"]
    assert sandbox.sandbox.statements[result.handle].executions == 1
    count = client.execute("SELECT COUNT(*) AS N FROM RETRIED")
    assert list(count.rows()) == [(1,)]


@pytest.mark.parametrize("status", [429, 503, 504])
def test_busy_answers_are_retried_after_a_backoff(client, sandbox, faults, status):
    faults.add("POST", STATEMENTS, status, times=2)

    result = client.execute("SELECT 7 AS SEVEN")

    assert list(result.rows()) == [(7,)]
    answered = [e.status for e in submits(sandbox)]
    assert answered == [status, status, 200]
    request_ids = {query_of(e)["requestId"][0] for e in submits(sandbox)}
    assert len(request_ids) == 1


def test_a_429_carries_snowflakes_code_and_ends_as_unavailable(
    sandbox, key_pair, traffic, faults
):
    faults.add("POST", STATEMENTS, 429, times=10)
    auth = KeyPairAuth(ACCOUNT, USER, key_pair.private_pem)

    with SqlApiClient(
        sandbox.url, auth, max_attempts=3, retry_backoff_s=0.01
    ) as client:
        with pytest.raises(SnowflakeUnavailableError) as raised:
            client.execute("SELECT 1")

    assert raised.value.code == "390505"
    assert raised.value.http_status == 429
    assert len(submits(sandbox)) == 3


def test_a_partition_answering_503_is_fetched_again(client, sandbox, faults):
    faults.add("GET", f"{STATEMENTS}/*", 503, query_param="partition")

    result = client.execute(
        "SELECT i AS N FROM range(:n) t(i) ORDER BY i", {"n": PARTITION_ROWS * 2}
    )

    assert [row[0] for row in result.rows()] == list(range(PARTITION_ROWS * 2))
    partition_answers = [
        e.status
        for e in sandbox.sandbox.traffic.exchanges
        if "partition" in query_of(e)
    ]
    assert partition_answers == [503, 200]


# -- token renewal ---------------------------------------------------------------------


class Clock:
    """A clock a test moves forward by hand."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clocked_sandbox(key_pair) -> Iterator[tuple[SnowflakeSandbox, str, Clock]]:
    """A sandbox whose token expiry follows a test clock."""
    clock = Clock()
    sandbox = SnowflakeSandbox(
        SnowflakeSandboxSettings(
            account=ACCOUNT, public_keys={USER: key_pair.public_pem}, clock=clock
        )
    )
    sandbox.traffic.enabled = True
    with ServerThread(sandbox.app, name="snowflake-clocked") as server:
        yield sandbox, server.url, clock
    sandbox.close()


def bearer_tokens(sandbox: SnowflakeSandbox) -> list[str]:
    return [
        e.request_headers["authorization"]
        for e in sandbox.traffic.exchanges
        if e.path == STATEMENTS
    ]


def test_a_jwt_is_signed_anew_before_expiry_across_a_clock_jump(
    clocked_sandbox, key_pair
):
    sandbox, url, clock = clocked_sandbox
    auth = KeyPairAuth(ACCOUNT, USER, key_pair.private_pem, clock=clock)

    with SqlApiClient(url, auth) as client:
        before = list(client.execute("SELECT 1 AS N").rows())
        clock.now += 2 * 3600
        after = list(client.execute("SELECT 2 AS N").rows())

    assert (before, after) == ([(1,)], [(2,)])
    statuses = [e.status for e in sandbox.traffic.exchanges]
    assert statuses == [200, 200]
    assert len(set(bearer_tokens(sandbox))) == 2


def test_a_jwt_the_server_finds_expired_is_renewed_once(clocked_sandbox, key_pair):
    sandbox, url, server_clock = clocked_sandbox
    client_clock = Clock()
    client_clock.now = server_clock.now
    auth = KeyPairAuth(ACCOUNT, USER, key_pair.private_pem, clock=client_clock)

    with SqlApiClient(url, auth) as client:
        client.execute("SELECT 1")
        # The client's clock lags: it still trusts its token (lifetime 59 min,
        # renewed 5 min early), which the server finds expired.
        client_clock.now += 50 * 60
        server_clock.now += 60 * 60
        result = client.execute("SELECT 3 AS N")

    assert list(result.rows()) == [(3,)]
    exchanges = list(sandbox.traffic.exchanges)
    assert [e.status for e in exchanges] == [200, 401, 200]
    assert b"390144" in exchanges[1].response_body
    assert len(set(bearer_tokens(sandbox))) == 2


def test_an_expired_oauth_token_is_requested_again(clocked_sandbox):
    sandbox, url, server_clock = clocked_sandbox
    sandbox.register_oauth_client(
        "renewing-client", OAuthClient("secret-2", USER, ("PUBLIC",))
    )
    auth = OAuthClientCredentialsAuth(
        default_oauth_token_url(url), "renewing-client", "secret-2"
    )

    with SqlApiClient(url, auth) as client:
        client.execute("SELECT 1")
        server_clock.now += sandbox.settings.oauth_token_lifetime_s + 60
        result = client.execute("SELECT 4 AS N")

    assert list(result.rows()) == [(4,)]
    submitted = [e for e in sandbox.traffic.exchanges if e.path == STATEMENTS]
    assert [e.status for e in submitted] == [200, 401, 200]
    assert b"390318" in submitted[1].response_body
    assert sandbox.oauth.issued_count == 2


# -- OAuth and programmatic access tokens ----------------------------------------------


def test_an_oauth_client_credentials_token_is_accepted(client, sandbox, key_pair):
    sandbox.sandbox.register_oauth_client(
        "tajo-client", OAuthClient("client-secret-1", USER, ("TAJO_ROLE",))
    )
    auth = OAuthClientCredentialsAuth(
        default_oauth_token_url(sandbox.url),
        "tajo-client",
        "client-secret-1",
        "session:role:TAJO_ROLE",
    )

    with SqlApiClient(sandbox.url, auth, database=DATABASE, schema=SCHEMA) as oauth:
        first = oauth.execute("SELECT 1 AS N")
        second = oauth.execute("SELECT 2 AS N")

    assert sandbox.sandbox.statements[first.handle].user == USER
    assert list(second.rows()) == [(2,)]
    assert sandbox.sandbox.oauth.issued_count == 1
    headers = submits(sandbox)[-1].request_headers
    assert headers["x-snowflake-authorization-token-type"] == "OAUTH"


def test_a_refused_oauth_client_is_named_without_its_secret(sandbox, traffic):
    secret = "not-the-secret-9f2c"
    auth = OAuthClientCredentialsAuth(
        default_oauth_token_url(sandbox.url), "unknown-client", secret
    )

    with SqlApiClient(sandbox.url, auth) as client:
        with pytest.raises(SnowflakeAuthError) as raised:
            client.execute("SELECT 1")

    message = str(raised.value)
    assert "refused client unknown-client" in message
    assert "invalid_client" in message
    assert secret not in message
    assert secret not in repr(auth)


def test_a_scope_naming_a_role_the_client_lacks_is_refused(sandbox, traffic):
    sandbox.sandbox.register_oauth_client(
        "scoped-client", OAuthClient("secret-3", USER, ("PUBLIC",))
    )
    auth = OAuthClientCredentialsAuth(
        default_oauth_token_url(sandbox.url),
        "scoped-client",
        "secret-3",
        "session:role:ACCOUNTADMIN",
    )

    with pytest.raises(SnowflakeAuthError) as raised:
        auth.headers()

    assert "invalid_scope" in str(raised.value)
    assert "session:role:ACCOUNTADMIN" in str(raised.value)


def test_a_programmatic_access_token_is_accepted(sandbox, traffic):
    token = "sandbox-pat-for-tests-7d1e"
    sandbox.sandbox.register_pat(USER, token)
    auth = ProgrammaticAccessTokenAuth(USER, token)

    with SqlApiClient(sandbox.url, auth) as client:
        result = client.execute("SELECT 5 AS N")

    assert list(result.rows()) == [(5,)]
    assert sandbox.sandbox.statements[result.handle].user == USER
    headers = submits(sandbox)[-1].request_headers
    assert headers["x-snowflake-authorization-token-type"] == (
        "PROGRAMMATIC_ACCESS_TOKEN"
    )
    assert token not in repr(auth)


def test_an_unknown_programmatic_access_token_is_refused_without_echo(sandbox, traffic):
    token = "sandbox-pat-never-registered"
    auth = ProgrammaticAccessTokenAuth(USER, token)

    with SqlApiClient(sandbox.url, auth) as client:
        with pytest.raises(SnowflakeAuthError) as raised:
            client.execute("SELECT 1")

    assert f"the programmatic access token of user {USER}" in str(raised.value)
    assert token not in str(raised.value)
    assert [e.status for e in submits(sandbox)] == [401, 401]


# -- cancelling ------------------------------------------------------------------------


def test_a_failed_cancel_names_the_handle_to_cancel_by_hand(
    sandbox, key_pair, traffic, faults
):
    faults.add("POST", f"{STATEMENTS}/*/cancel", 503)
    auth = KeyPairAuth(ACCOUNT, USER, key_pair.private_pem)

    with SqlApiClient(sandbox.url, auth, poll_deadline_s=1.2) as client:
        with pytest.raises(SnowflakeTimeoutError) as raised:
            client.execute("SELECT SYSTEM$WAIT(30)")
        handle = raised.value.statement_handle
        client.cancel(handle)

    assert "cancelling it failed" in str(raised.value)
    assert f"SYSTEM$CANCEL_QUERY('{handle}')" in str(raised.value)
    assert sandbox.sandbox.statements[handle].cancel_requests == 1


def _submitted(sandbox, statement: str) -> bool:
    """The sandbox has started `statement` (the submit may still be waiting)."""
    return any(r.sql == statement for r in sandbox.sandbox.statements.values())


def _answered_202(sandbox, statement: str) -> bool:
    """The submit of `statement` was answered 202: the client is polling."""
    return any(
        e.status == 202 and statement.encode() in e.request_body
        for e in list(sandbox.sandbox.traffic.exchanges)
    )


@pytest.mark.parametrize(
    "interruption", [KeyboardInterrupt, DagsterExecutionInterruptedError]
)
@pytest.mark.parametrize("moment", [_submitted, _answered_202])
def test_an_interrupted_wait_cancels_the_statement(
    client, sandbox, interruption, moment
):
    # A wait no other test uses, so the sandbox's record is this test's.
    statement = f"SELECT SYSTEM$WAIT({next(UNIQUE_WAITS)})"
    previous = signal.signal(signal.SIGUSR1, _raise(interruption))
    watcher = threading.Thread(
        target=_interrupt_when, args=(lambda: moment(sandbox, statement),)
    )
    watcher.start()
    try:
        with pytest.raises(interruption):
            client.execute(statement)
    finally:
        watcher.join(10)
        signal.signal(signal.SIGUSR1, previous)

    # One record: finding the handle by resubmitting did not run it twice.
    (record,) = [r for r in sandbox.sandbox.statements.values() if r.sql == statement]
    assert record.cancel_requests == 1
    assert record.status == StatementStatus.CANCELED


def _raise(interruption):
    def handler(signum, frame):
        raise interruption()

    return handler


def _interrupt_when(condition) -> None:
    """Signal the main thread (which raises there) once `condition()` holds."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if condition():
            signal.pthread_kill(threading.main_thread().ident, signal.SIGUSR1)
            return
        time.sleep(0.01)


# -- partition prefetch ----------------------------------------------------------------


def test_prefetched_partitions_come_back_complete_and_in_order(client, sandbox):
    total = PARTITION_ROWS * 9 + 3

    result = client.execute(
        "SELECT i AS N FROM range(:n) t(i) ORDER BY i", {"n": total}
    )
    batches = list(result.batches())

    assert result.partition_count == 10
    assert [len(b) for b in batches] == [PARTITION_ROWS] * 9 + [3]
    assert [row[0] for batch in batches for row in batch] == list(range(total))


def test_at_most_prefetch_partitions_are_in_flight(sandbox, key_pair, traffic, faults):
    auth = KeyPairAuth(ACCOUNT, USER, key_pair.private_pem)
    hold = faults.hold("GET", f"{STATEMENTS}/*", query_param="partition")

    with SqlApiClient(
        sandbox.url, auth, database=DATABASE, schema=SCHEMA, prefetch_partitions=2
    ) as client:
        result = client.execute(
            "SELECT i AS N FROM range(:n) t(i) ORDER BY i", {"n": PARTITION_ROWS * 6}
        )
        batches = result.batches()
        first = next(batches)
        both_held = hold.wait_for_waiting(2)
        arrived_while_held = hold.arrived
        hold.release()
        rest = [row for batch in batches for row in batch]

    assert both_held
    assert arrived_while_held == 2
    assert hold.max_in_flight == 2
    assert hold.arrived == 5
    assert [row[0] for row in [*first, *rest]] == list(range(PARTITION_ROWS * 6))


def test_a_failed_partition_raises_when_reached(sandbox, key_pair, traffic, faults):
    auth = KeyPairAuth(ACCOUNT, USER, key_pair.private_pem)
    faults.add("GET", f"{STATEMENTS}/*", 503, times=10, query_param="partition")

    with SqlApiClient(
        sandbox.url,
        auth,
        database=DATABASE,
        schema=SCHEMA,
        max_attempts=2,
        retry_backoff_s=0.01,
    ) as client:
        result = client.execute(
            "SELECT i AS N FROM range(:n) t(i) ORDER BY i", {"n": PARTITION_ROWS * 3}
        )
        batches = result.batches()
        first = next(batches)
        with pytest.raises(SnowflakeUnavailableError):
            next(batches)

    assert [row[0] for row in first] == list(range(PARTITION_ROWS))
