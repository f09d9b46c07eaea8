"""A statement is never run because of a failure around its submit, and never
left running unseen: interrupts, lost answers, and deadlines met by a finish.

Against the sandbox over real HTTP on 127.0.0.1; a lost answer is produced by a
small TCP proxy that closes the connection once the sandbox has answered, and a
cancel refused because the statement finished by the scripted server.
"""

import itertools
import signal
import socket
import threading
import time
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest

from tajo_assets.sandbox.snowflake import OAuthClient, StatementStatus
from tajo_assets.snowflake import (
    KeyPairAuth,
    OAuthClientCredentialsAuth,
    SnowflakeUnavailableError,
    SqlApiClient,
)
from tajo_assets.snowflake.auth import OAUTH_TOKEN_PATH, default_oauth_token_url
from tajo_assets_tests.snowflake.conftest import ACCOUNT, DATABASE, SCHEMA, USER

STATEMENTS = "/api/v2/statements"
HANDLE = "01b2c3d4-0000-4000-8000-0000000000aa"
MARKS = itertools.count(1)


def unique_select(label: str) -> str:
    """A statement no other test sends, so the sandbox's records are this test's."""
    return f"SELECT '{label}-{next(MARKS)}-{time.monotonic_ns()}' AS MARK"


def records_of(sandbox, statement: str) -> list:
    return [r for r in sandbox.sandbox.statements.values() if r.sql == statement]


def submits_of(sandbox, statement: str) -> list:
    return [
        e
        for e in list(sandbox.sandbox.traffic.exchanges)
        if e.method == "POST"
        and e.path == STATEMENTS
        and statement.encode() in e.request_body
    ]


def oauth_auth(sandbox, client_id: str) -> OAuthClientCredentialsAuth:
    """An OAuth client registered with the sandbox, and its credential."""
    secret = f"{client_id}-secret"
    sandbox.sandbox.register_oauth_client(
        client_id, OAuthClient(secret, USER, ("TAJO_ROLE",))
    )
    return OAuthClientCredentialsAuth(
        default_oauth_token_url(sandbox.url),
        client_id,
        secret,
        "session:role:TAJO_ROLE",
    )


def interrupt_when(condition: Callable[[], bool], then: Callable[[], None]) -> None:
    """Raise KeyboardInterrupt in the main thread once `condition()` holds,
    then run `then` (e.g. release a held request) a moment later."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if condition():
            signal.pthread_kill(threading.main_thread().ident, signal.SIGUSR1)
            time.sleep(0.3)
            then()
            return
        time.sleep(0.01)


def run_interrupted(
    client: SqlApiClient, statement: str, condition, then=lambda: None
) -> None:
    previous = signal.signal(signal.SIGUSR1, _keyboard_interrupt)
    watcher = threading.Thread(target=interrupt_when, args=(condition, then))
    watcher.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            client.execute(statement)
    finally:
        watcher.join(10)
        signal.signal(signal.SIGUSR1, previous)


def _keyboard_interrupt(signum, frame):
    raise KeyboardInterrupt


# -- interrupts ------------------------------------------------------------------------


def test_an_interrupt_while_getting_a_token_sends_no_statement(
    sandbox, traffic, faults
):
    auth = oauth_auth(sandbox, "interrupted-client")
    token_request = faults.hold("POST", OAUTH_TOKEN_PATH)
    statement = unique_select("token")

    with SqlApiClient(sandbox.url, auth) as client:
        run_interrupted(
            client,
            statement,
            lambda: token_request.in_flight >= 1,
            then=token_request.release,
        )
    time.sleep(0.5)  # let a wrongly sent submit arrive, so the check can see it

    assert submits_of(sandbox, statement) == []
    assert records_of(sandbox, statement) == []


def test_an_interrupt_in_the_backoff_after_a_429_sends_no_statement(
    sandbox, key_pair, traffic, faults
):
    faults.add("POST", STATEMENTS, 429)
    statement = unique_select("refused")
    auth = KeyPairAuth(ACCOUNT, USER, key_pair.private_pem)

    # A backoff of 2-4 s: the interrupt lands in it.
    with SqlApiClient(sandbox.url, auth, retry_backoff_s=4.0) as client:
        run_interrupted(
            client,
            statement,
            lambda: [e.status for e in submits_of(sandbox, statement)] == [429],
        )
    time.sleep(0.5)  # let a wrongly sent submit arrive, so the check can see it

    assert [e.status for e in submits_of(sandbox, statement)] == [429]
    assert records_of(sandbox, statement) == []


def test_an_interrupt_in_the_backoff_after_a_5xx_cancels_what_ran(
    sandbox, key_pair, traffic, faults
):
    # The 503 comes after the sandbox started the statement: it is running.
    faults.add("POST", STATEMENTS, 503, after_execution=True)
    statement = f"SELECT SYSTEM$WAIT({30_000 + next(MARKS)}, 'MILLISECONDS')"
    auth = KeyPairAuth(ACCOUNT, USER, key_pair.private_pem)

    with SqlApiClient(sandbox.url, auth, retry_backoff_s=4.0) as client:
        run_interrupted(
            client,
            statement,
            lambda: [e.status for e in submits_of(sandbox, statement)] == [503],
        )

    (record,) = records_of(sandbox, statement)
    assert record.cancel_requests == 1
    assert record.status == StatementStatus.CANCELED
    lookup = submits_of(sandbox, statement)[-1]
    assert parse_qs(lookup.query_string)["retry"] == ["true"]


def test_a_token_fetch_on_the_way_out_is_bounded_by_the_cancel_timeout(sandbox, faults):
    auth = oauth_auth(sandbox, "slow-idp-client")
    # Held until the sandbox lets go (30 s) or the test releases it.
    token_request = faults.hold("POST", OAUTH_TOKEN_PATH)

    with pytest.raises(SnowflakeUnavailableError, match="did not answer"):
        auth.headers(timeout_s=0.3)
    token_request.release()

    assert token_request.arrived == 1


# -- lost answers ----------------------------------------------------------------------


class AnswerDroppingProxy:
    """A TCP proxy on 127.0.0.1 in front of `upstream_url` that loses answers.

    The first `drop` connections reach the server as usual, but once the
    server starts answering, the connection is closed and the answer thrown
    away: a network that fails mid-exchange. Later connections pass through.
    """

    def __init__(self, upstream_url: str, drop: int) -> None:
        parts = urlsplit(upstream_url)
        self._upstream = (parts.hostname, parts.port)
        self._drop = drop
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def __enter__(self) -> "AnswerDroppingProxy":
        return self

    def __exit__(self, *exc_info) -> None:
        _hang_up(self._listener)  # wakes the accepting thread

    def _accept(self) -> None:
        while True:
            try:
                downstream, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(
                target=self._serve, args=(downstream,), daemon=True
            ).start()

    def _serve(self, downstream: socket.socket) -> None:
        upstream = socket.create_connection(self._upstream)
        with self._lock:
            dropping, self._drop = self._drop > 0, self._drop - 1
        forward = threading.Thread(
            target=_pump, args=(downstream, upstream), daemon=True
        )
        forward.start()
        if dropping:
            upstream.recv(1)  # the server has served the request and answers
            # shutdown, not close: the forwarding thread still reads these.
            _hang_up(downstream, upstream)
            return
        _pump(upstream, downstream)


def _pump(source: socket.socket, target: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            target.sendall(data)
    except OSError:
        pass
    finally:
        _hang_up(source, target)


def _hang_up(*ends: socket.socket) -> None:
    for end in ends:
        try:
            end.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        end.close()


def test_a_submit_whose_answer_is_lost_is_resubmitted_and_runs_once(
    client, sandbox, key_pair
):
    client.execute("CREATE OR REPLACE TABLE LOST_ANSWERS (X NUMBER)")
    statement = "INSERT INTO LOST_ANSWERS VALUES (1)"
    auth = KeyPairAuth(ACCOUNT, USER, key_pair.private_pem)

    with AnswerDroppingProxy(sandbox.url, drop=1) as proxy:
        with SqlApiClient(
            proxy.url, auth, database=DATABASE, schema=SCHEMA, retry_backoff_s=0.05
        ) as lossy:
            result = lossy.execute(statement)

    first, resubmitted = submits_of(sandbox, statement)
    assert query_of(first)["requestId"] == query_of(resubmitted)["requestId"]
    assert "retry" not in query_of(first)
    assert query_of(resubmitted)["retry"] == ["true"]
    assert sandbox.sandbox.statements[result.handle].executions == 1
    count = client.execute("SELECT COUNT(*) AS N FROM LOST_ANSWERS")
    assert list(count.rows()) == [(1,)]


def test_a_submit_never_answered_says_it_may_have_run_and_names_its_request_id(
    sandbox, key_pair, traffic
):
    statement = unique_select("lost")
    auth = KeyPairAuth(ACCOUNT, USER, key_pair.private_pem)

    with AnswerDroppingProxy(sandbox.url, drop=10) as proxy:
        with SqlApiClient(
            proxy.url, auth, max_attempts=3, retry_backoff_s=0.05
        ) as lossy:
            with pytest.raises(SnowflakeUnavailableError) as raised:
                lossy.execute(statement)

    attempts = submits_of(sandbox, statement)
    assert len(attempts) == 3
    (request_id,) = {query_of(e)["requestId"][0] for e in attempts}
    assert "may have run" in str(raised.value)
    assert f"requestId {request_id}" in str(raised.value)
    assert len(records_of(sandbox, statement)) == 1


def query_of(exchange) -> dict[str, list[str]]:
    return parse_qs(exchange.query_string)


# -- the poll deadline -----------------------------------------------------------------


def test_a_statement_finishing_as_the_deadline_passes_returns_its_result(
    scripted, key_pair
):
    api, url = scripted
    running = {
        "code": "333334",
        "statementHandle": HANDLE,
        "statementStatusUrl": f"{STATEMENTS}/{HANDLE}",
    }
    finished = {
        "code": "090001",
        "statementHandle": HANDLE,
        "resultSetMetaData": {
            "numRows": 1,
            "rowType": [{"name": "V", "type": "text", "nullable": True}],
            "partitionInfo": [{"rowCount": 1}],
        },
        "data": [["done"]],
    }
    api.answer(202, running)
    # The cancel comes too late: the statement has finished.
    api.answer(422, {"message": "Statement already completed."})
    api.answer(200, finished)
    auth = KeyPairAuth("myorg-myacct", "etl_user", key_pair.private_pem)

    with SqlApiClient(url, auth, poll_deadline_s=0.0) as client:
        result = client.execute("SELECT 'done' AS V")

    assert list(result.rows()) == [("done",)]
    assert [(s.method, s.path) for s in api.seen] == [
        ("POST", STATEMENTS),
        ("POST", f"{STATEMENTS}/{HANDLE}/cancel"),
        ("GET", f"{STATEMENTS}/{HANDLE}"),
    ]


def test_a_cancel_arriving_after_the_finish_keeps_the_result(
    sandbox, key_pair, traffic, faults
):
    statement = f"SELECT SYSTEM$WAIT({1_500 + next(MARKS)}, 'MILLISECONDS')"
    cancel = faults.hold("POST", f"{STATEMENTS}/*/cancel")
    auth = KeyPairAuth(ACCOUNT, USER, key_pair.private_pem)

    def finished() -> bool:
        records = records_of(sandbox, statement)
        return bool(records) and records[0].status == StatementStatus.SUCCEEDED

    releaser = threading.Thread(target=release_when, args=(finished, cancel.release))
    releaser.start()
    with SqlApiClient(sandbox.url, auth, poll_deadline_s=0.5) as client:
        result = client.execute(statement)
    releaser.join(10)

    (record,) = records_of(sandbox, statement)
    assert record.cancel_requests == 1
    assert not record.cancelled
    assert result.handle == record.handle
    assert len(list(result.rows())) == 1


def release_when(condition: Callable[[], bool], release: Callable[[], None]) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not condition():
        time.sleep(0.01)
    release()
