"""A client for Snowflake's SQL API v2 (`/api/v2/statements`) over httpx.

One `SqlApiClient` holds one HTTP connection pool. A statement is submitted with a
fresh `requestId`; a 200 carries the first result partition, a 202 means it is
still running and is polled until it finishes or the poll deadline passes. The
rest of a result is read lazily, partition by partition, with a few partitions
fetched ahead in worker threads.

Cancelling: a statement still running when the poll deadline passes is cancelled
through `/cancel` before SnowflakeTimeoutError is raised (unless it finished
meanwhile: then its result is returned). When the wait is interrupted
(KeyboardInterrupt, or Dagster's DagsterExecutionInterruptedError on run
termination, both BaseExceptions) the statement is cancelled, best-effort, and
the interruption re-raised; a submit interrupted before it may have reached
Snowflake (while getting a token, or in the backoff after a 429) is left alone.

Retries: 429, 500, 502, 503 and 504, and transport failures (timeouts, dropped
connections), are retried with jittered exponential backoff. A resubmitted
statement keeps its `requestId` and adds `retry=true`, so Snowflake returns the
first execution's result instead of running it twice. A 401 re-signs the token
once. Everything else is raised at once, translated into the
`tajo_assets.snowflake.errors` tree.
"""

import itertools
import json
import logging
import random
import time
import uuid
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from importlib import metadata
from types import TracebackType
from typing import Any
from urllib.parse import quote

import httpx

from tajo_assets.snowflake.auth import Auth
from tajo_assets.snowflake.bindings import Binding, bind
from tajo_assets.snowflake.decode import Column, RowDecoder
from tajo_assets.snowflake.errors import (
    SnowflakeAuthError,
    SnowflakeError,
    SnowflakeRequestError,
    SnowflakeResponseError,
    SnowflakeStatementError,
    SnowflakeTimeoutError,
    SnowflakeUnavailableError,
)

LOGGER = logging.getLogger("tajo_assets.snowflake")

STATEMENTS_PATH = "/api/v2/statements"
DEFAULT_QUERY_TAG = "tajo-assets"
# The API holds a submit (and a status poll) up to 45 s before answering 202.
SYNC_WAIT_S = 45.0
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_BACKOFF_S = 30.0
STATEMENT_TIMED_OUT_CODE = "000630"
STATEMENT_CANCELED_CODE = "000604"
FIRST_POLL_INTERVAL_S = 0.2
MAX_POLL_INTERVAL_S = 5.0
MAX_STATEMENT_TIMEOUT_S = 604_800
# Without an explicit poll deadline, wait this long past the statement timeout
# for Snowflake's own 408 before giving up.
POLL_GRACE_S = 60.0
# A cancel on the way out (deadline passed, run interrupted) gets this long.
CANCEL_TIMEOUT_S = 5.0
DEFAULT_PREFETCH_PARTITIONS = 2
# Failures raised while connecting: the request itself was never sent.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


@dataclass
class _Submission:
    """Whether a statement's submit may have reached Snowflake.

    Set the moment a POST is handed to the connection; a 429 answer clears
    it for that attempt (Snowflake refused it before running it), a connect
    failure too (nothing was sent). A 5xx answer or a failure after sending
    keeps it set for good: that attempt may have started the statement.
    """

    request_id: str
    _in_flight: bool = False
    _may_have_run: bool = False

    @property
    def may_have_arrived(self) -> bool:
        return self._in_flight or self._may_have_run

    def sending(self) -> None:
        self._in_flight = True

    def answered(self, status: int) -> None:
        self._in_flight = False
        self._may_have_run = self._may_have_run or status != 429

    def failed(self, error: httpx.HTTPError) -> None:
        self._in_flight = False
        self._may_have_run = self._may_have_run or not isinstance(error, _NOT_SENT)


def _default_user_agent() -> str:
    try:
        version = metadata.version("tajo-assets")
    except metadata.PackageNotFoundError:
        version = "0"
    return f"tajo-assets/{version}"


class SqlApiClient:
    """Runs SQL statements through the SQL API; use it as a context manager.

    `warehouse`, `database`, `schema` and `role` are sent with every statement
    (case-sensitive, as SHOW lists them); None leaves the user's default.
    Every request carries `query_tag` and `timezone` as session parameters and
    no output-format parameter, so values arrive in the documented format.
    `statement_timeout_s` is Snowflake's limit per statement (it cancels the
    statement and answers 408); `poll_deadline_s` bounds how long we poll.
    `prefetch_partitions` is how many result partitions are fetched ahead in
    worker threads while the caller reads one (0: one at a time, in the
    caller's thread); at most that many plus one are held in memory.
    """

    def __init__(
        self,
        base_url: str,
        auth: Auth,
        *,
        warehouse: str | None = None,
        database: str | None = None,
        schema: str | None = None,
        role: str | None = None,
        query_tag: str = DEFAULT_QUERY_TAG,
        timezone: str = "UTC",
        statement_timeout_s: int = 3600,
        poll_deadline_s: float | None = None,
        http_timeout_s: float = 30.0,
        user_agent: str | None = None,
        log_queries: bool = False,
        max_attempts: int = 4,
        retry_backoff_s: float = 0.5,
        prefetch_partitions: int = DEFAULT_PREFETCH_PARTITIONS,
    ) -> None:
        if prefetch_partitions < 0:
            raise ValueError("prefetch_partitions must be 0 or more")
        self.base_url = base_url.rstrip("/")
        self.prefetch_partitions = prefetch_partitions
        self._auth = auth
        self._context = {
            key: value
            for key, value in (
                ("warehouse", warehouse),
                ("database", database),
                ("schema", schema),
                ("role", role),
            )
            if value
        }
        self._session_parameters = {"query_tag": query_tag, "timezone": timezone}
        self._statement_timeout_s = statement_timeout_s
        self._poll_deadline_s = poll_deadline_s
        self._log_queries = log_queries
        self._max_attempts = max(1, max_attempts)
        self._retry_backoff_s = retry_backoff_s
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=httpx.Timeout(http_timeout_s, read=http_timeout_s + SYNC_WAIT_S),
            headers={
                "Accept": "application/json",
                "User-Agent": user_agent or _default_user_agent(),
            },
        )

    def __enter__(self) -> "SqlApiClient":
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def execute(
        self,
        statement: str,
        bindings: Mapping[str, Any] | None = None,
        *,
        timeout_s: int | None = None,
    ) -> "StatementResult":
        """Run one statement and return its result once it has finished.

        `bindings` fill the statement's `:name` placeholders (never pasted into
        the text). Rows are fetched later, lazily, by the result. Raises
        SnowflakeStatementError when the SQL fails, SnowflakeTimeoutError past
        the statement timeout or poll deadline, and the other SnowflakeErrors
        as their docstrings say.
        """
        bound = bind(statement, bindings)
        started = time.monotonic()
        payload = self._run(bound.statement, bound.bindings, timeout_s, {})
        result = StatementResult(self, payload)
        LOGGER.info(
            "Snowflake statement %s finished: %d rows in %d partitions, %.2f s",
            result.handle,
            result.num_rows,
            result.partition_count,
            time.monotonic() - started,
        )
        return result

    def execute_multi(
        self, statements: Sequence[str], *, timeout_s: int | None = None
    ) -> "MultiStatementResult":
        """Run several statements as one request, in order, in one session.

        The API takes no bindings here. MULTI_STATEMENT_COUNT is the exact
        number of statements, so a statement hiding a second one fails instead
        of running it. Statements before a failing one have run; later ones
        have not.
        """
        texts = [statement.strip().rstrip(";").rstrip() for statement in statements]
        if not texts or not all(texts):
            raise ValueError("execute_multi needs one or more non-empty statements")
        started = time.monotonic()
        # A newline before each `;` keeps it out of a trailing `--` comment.
        payload = self._run(
            "\n;\n".join(texts), {}, timeout_s, {"multi_statement_count": len(texts)}
        )
        result = MultiStatementResult(self, payload)
        LOGGER.info(
            "Snowflake multi-statement request %s finished: %d statements, %.2f s",
            result.handle,
            len(result.statement_handles),
            time.monotonic() - started,
        )
        return result

    def get_result(
        self, statement_handle: str, *, timeout_s: int | None = None
    ) -> "StatementResult":
        """The result of a statement submitted earlier, waiting while it runs."""
        started = time.monotonic()
        response = self._send("GET", _statement_path(statement_handle))
        payload = self._wait(response, started + self._poll_budget_s(timeout_s))
        result = StatementResult(self, payload)
        LOGGER.info(
            "Snowflake statement %s read: %d rows in %d partitions, %.2f s",
            result.handle,
            result.num_rows,
            result.partition_count,
            time.monotonic() - started,
        )
        return result

    def fetch_partition(
        self, statement_handle: str, partition: int
    ) -> list[list[str | None]]:
        """The raw `data` rows of one partition of a finished statement."""
        response = self._send(
            "GET", _statement_path(statement_handle), params={"partition": partition}
        )
        payload = self._payload(response)
        data = payload.get("data")
        if response.status_code != 200 or not isinstance(data, list):
            raise SnowflakeResponseError(
                f"partition {partition} came without a data array",
                statement_handle=statement_handle,
                http_status=response.status_code,
                advice="report this to Snowflake support with the statement handle",
            )
        LOGGER.debug(
            "Snowflake statement %s: partition %d has %d rows",
            statement_handle,
            partition,
            len(data),
        )
        return data

    def cancel(self, statement_handle: str) -> None:
        """Ask Snowflake to cancel a running statement.

        Raises SnowflakeStatementError when Snowflake does not know the
        handle; a statement that had already finished is left as it was.
        """
        response = self._send(
            "POST",
            f"{_statement_path(statement_handle)}/cancel",
            params={"requestId": str(uuid.uuid4())},
        )
        self._payload(response)
        LOGGER.info("Snowflake statement %s cancelled", statement_handle)

    def _cancel_quietly(self, statement_handle: str) -> bool:
        """Cancel on the way out of a failed wait; True if Snowflake confirmed.

        One attempt with a short timeout and no retries: the caller is already
        raising, and a cancel must never hide why.
        """
        try:
            response = self._exchange(
                "POST",
                f"{_statement_path(statement_handle)}/cancel",
                params={"requestId": str(uuid.uuid4())},
                timeout=CANCEL_TIMEOUT_S,
                token_timeout_s=CANCEL_TIMEOUT_S,
            )
        except SnowflakeError as error:
            LOGGER.warning(
                "Snowflake statement %s could not be cancelled: %s",
                statement_handle,
                error,
            )
            return False
        if response.status_code != 200:
            LOGGER.warning(
                "Snowflake statement %s could not be cancelled: HTTP %d; cancel it "
                "with SELECT SYSTEM$CANCEL_QUERY('%s')",
                statement_handle,
                response.status_code,
                statement_handle,
            )
            return False
        LOGGER.warning(
            "Snowflake accepted the cancel of statement %s", statement_handle
        )
        return True

    def _run(
        self,
        statement: str,
        bindings: dict[str, Binding],
        timeout_s: int | None,
        parameters: dict[str, Any],
    ) -> dict[str, Any]:
        """Submit a statement and wait for its finished ResultSet."""
        started = time.monotonic()
        request_id = str(uuid.uuid4())
        if self._log_queries:
            # Asked for explicitly (log_queries), so at INFO; bound values are
            # never part of the text.
            LOGGER.info("Snowflake request %s SQL:\n%s", request_id, statement)
        body = {
            "statement": statement,
            "timeout": self._statement_timeout(timeout_s),
            **self._context,
            "parameters": {**self._session_parameters, **parameters},
        }
        if bindings:
            body["bindings"] = bindings
        response = self._submit(_Submission(request_id), body)
        return self._wait(response, started + self._poll_budget_s(timeout_s))

    def _submit(self, submission: _Submission, body: dict[str, Any]) -> httpx.Response:
        """POST the statement (retried like any request) and return the answer.

        Snowflake's answer is returned as it came, errors included, for
        `_wait` to read. When every attempt failed after one may have reached
        Snowflake, the error says the statement may have run and names its
        requestId. An interruption cancels the statement if it may have
        arrived, and is re-raised.
        """
        params = {"requestId": submission.request_id}
        try:
            response = self._send(
                "POST", STATEMENTS_PATH, params=params, json=body, submission=submission
            )
        except SnowflakeUnavailableError as error:
            if submission.may_have_arrived:
                raise _may_have_run(error, submission.request_id) from error
            raise
        except SnowflakeError:
            raise
        except BaseException:
            self._cancel_submitted(submission, body)
            raise
        if response.status_code in RETRYABLE_STATUSES and submission.may_have_arrived:
            error = self._error(response, _json_object(response) or {})
            raise _may_have_run(error, submission.request_id)
        return response

    def _cancel_submitted(self, submission: _Submission, body: dict[str, Any]) -> None:
        """Find the handle of an interrupted submit by resubmitting, then cancel.

        Only when the submit may have reached Snowflake: `retry=true` with the
        same requestId returns the statement Snowflake already has instead of
        running it again, and `async=true` answers at once. If the submit had
        in fact not arrived, this starts it, and it is cancelled right away.
        """
        request_id = submission.request_id
        if not submission.may_have_arrived:
            LOGGER.warning(
                "Snowflake request %s was interrupted before it was sent (or "
                "after Snowflake refused it); nothing to cancel",
                request_id,
            )
            return
        params = {"requestId": request_id, "retry": "true", "async": "true"}
        try:
            response = self._exchange(
                "POST",
                STATEMENTS_PATH,
                params=params,
                json=body,
                timeout=CANCEL_TIMEOUT_S,
                token_timeout_s=CANCEL_TIMEOUT_S,
            )
        except SnowflakeError:
            LOGGER.warning(
                "Snowflake request %s was interrupted and its statement could not "
                "be found to cancel it",
                request_id,
            )
            return
        handle = (_json_object(response) or {}).get("statementHandle")
        if response.status_code == 202 and handle:
            self._cancel_quietly(handle)

    def _statement_timeout(self, timeout_s: int | None) -> int:
        return self._statement_timeout_s if timeout_s is None else timeout_s

    def _poll_budget_s(self, timeout_s: int | None) -> float:
        if self._poll_deadline_s is not None:
            return self._poll_deadline_s
        # A timeout of 0 asks Snowflake for its maximum.
        limit = self._statement_timeout(timeout_s) or MAX_STATEMENT_TIMEOUT_S
        return limit + POLL_GRACE_S

    def _wait(self, response: httpx.Response, deadline: float) -> dict[str, Any]:
        """Poll the statement's status URL while Snowflake answers 202.

        Intervals grow from FIRST_POLL_INTERVAL_S to MAX_POLL_INTERVAL_S. Past
        `deadline` (a time.monotonic() value) the statement is cancelled and
        SnowflakeTimeoutError raised with its handle. An interruption while
        waiting (any BaseException but a SnowflakeError) cancels it too.
        """
        payload = self._payload(response)
        handle = payload.get("statementHandle")
        try:
            return self._poll(response, payload, deadline)
        except SnowflakeError:
            raise
        except BaseException:
            if handle and response.status_code == 202:
                self._cancel_quietly(handle)
            raise

    def _poll(
        self, response: httpx.Response, payload: dict[str, Any], deadline: float
    ) -> dict[str, Any]:
        interval = FIRST_POLL_INTERVAL_S
        while response.status_code == 202:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return self._past_deadline(payload.get("statementHandle"))
            time.sleep(min(interval, remaining))
            interval = min(interval * 1.5, MAX_POLL_INTERVAL_S)
            response = self._send("GET", _status_path(payload))
            payload = self._payload(response)
        return payload

    def _past_deadline(self, handle: str | None) -> dict[str, Any]:
        """Cancel a statement still running at the poll deadline, then raise.

        The statement may have finished while we cancelled, so its status is
        read once more: a finished result is returned rather than thrown
        away, and a statement that failed on its own raises its own error.
        """
        if not handle:
            raise _poll_deadline_passed(None, cancelled=False)
        cancelled = self._cancel_quietly(handle)
        status = self._status_quietly(handle)
        if status is not None and status.status_code == 200:
            LOGGER.warning(
                "Snowflake statement %s finished as the poll deadline passed; "
                "its result is kept",
                handle,
            )
            return self._payload(status)
        if cancelled or status is None or status.status_code == 202:
            raise _poll_deadline_passed(handle, cancelled=cancelled)
        error = self._error(status, _json_object(status) or {})
        if error.code == STATEMENT_CANCELED_CODE:
            raise _poll_deadline_passed(handle, cancelled=True) from error
        raise error

    def _status_quietly(self, handle: str) -> httpx.Response | None:
        """One status read on the way out, with the short cancel timeout."""
        try:
            return self._exchange(
                "GET",
                _statement_path(handle),
                timeout=CANCEL_TIMEOUT_S,
                token_timeout_s=CANCEL_TIMEOUT_S,
            )
        except SnowflakeError as error:
            LOGGER.warning("Snowflake statement %s: status unknown: %s", handle, error)
            return None

    def _send(
        self,
        method: str,
        url: str,
        *,
        submission: _Submission | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """One request, re-signed once on 401, retried on RETRYABLE_STATUSES and
        on transport failures (timeouts, dropped connections).

        Every request sent this way is safe to repeat: GETs, cancels (same
        requestId), and a statement's submit (`submission`), which is
        resubmitted with `retry=true` and its original `requestId`, since the
        first attempt may have run although its answer was lost.
        """
        attempt = 1
        renewed = False
        while True:
            try:
                response = self._request(method, url, submission=submission, **kwargs)
            except httpx.TransportError as error:
                if attempt >= self._max_attempts:
                    raise self._unavailable(error, attempt) from error
                reason = type(error).__name__
            else:
                status = response.status_code
                if status == 401 and not renewed:
                    LOGGER.debug("Snowflake answered 401; signing a new token once")
                    self._auth.renew()
                    renewed = True
                    continue
                if status not in RETRYABLE_STATUSES or attempt >= self._max_attempts:
                    return response
                reason = f"HTTP {status}"
            self._back_off(method, url, reason, attempt)
            attempt += 1
            if submission is not None:
                kwargs["params"] = {**kwargs["params"], "retry": "true"}

    def _back_off(self, method: str, url: str, reason: str, attempt: int) -> None:
        delay = self._backoff_s(attempt)
        LOGGER.warning(
            "Snowflake %s %s failed (%s); retrying in %.1f s (attempt %d of %d)",
            method,
            httpx.URL(url).path,
            reason,
            delay,
            attempt + 1,
            self._max_attempts,
        )
        time.sleep(delay)

    def _backoff_s(self, attempt: int) -> float:
        """Exponential backoff with jitter: half fixed, half random."""
        ceiling = min(self._retry_backoff_s * 2 ** (attempt - 1), MAX_RETRY_BACKOFF_S)
        return ceiling / 2 + random.uniform(0, ceiling / 2)

    def _request(
        self,
        method: str,
        url: str,
        *,
        submission: _Submission | None = None,
        token_timeout_s: float | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """One HTTP exchange; httpx errors are left to the caller.

        `token_timeout_s` bounds getting a token (cancels on the way out).
        `submission` records when the statement's POST may have arrived.
        """
        if token_timeout_s is None:
            headers = self._auth.headers()
        else:
            headers = self._auth.headers(timeout_s=token_timeout_s)
        if submission is None:
            return self._http.request(method, url, headers=headers, **kwargs)
        submission.sending()
        try:
            response = self._http.request(method, url, headers=headers, **kwargs)
        except httpx.HTTPError as error:
            submission.failed(error)
            raise
        submission.answered(response.status_code)
        return response

    def _exchange(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """One attempt, its httpx errors translated (for cancels on the way out)."""
        try:
            return self._request(method, url, **kwargs)
        except httpx.HTTPError as error:
            raise self._unavailable(error, 1) from error

    def _unavailable(
        self, error: httpx.HTTPError, attempts: int
    ) -> SnowflakeUnavailableError:
        tries = f" in {attempts} attempts" if attempts > 1 else ""
        if isinstance(error, httpx.TimeoutException):
            return SnowflakeUnavailableError(
                f"no answer within the HTTP timeout{tries} ({type(error).__name__})",
                summary=f"Snowflake SQL API at {self.base_url} did not respond",
                advice="check the network, or raise http_timeout_s",
            )
        return SnowflakeUnavailableError(
            f"{str(error) or type(error).__name__}{tries}",
            summary=f"could not reach the Snowflake SQL API at {self.base_url}",
            advice="check the account (or base_url) and the network",
        )

    def _payload(self, response: httpx.Response) -> dict[str, Any]:
        """The JSON body of a 200 or 202; any other status raised as an error."""
        body = _json_object(response)
        if response.status_code not in (200, 202):
            raise self._error(response, body or {})
        if body is None:
            raise SnowflakeResponseError(
                "the response body is not a JSON object",
                summary="Snowflake's answer could not be read",
                http_status=response.status_code,
                advice="check that base_url points at the Snowflake SQL API",
            )
        return body

    def _error(self, response: httpx.Response, body: dict[str, Any]) -> SnowflakeError:
        status = response.status_code
        fields = {
            "message": str(body.get("message") or response.reason_phrase or status),
            "code": body.get("code"),
            "sql_state": body.get("sqlState"),
            "statement_handle": body.get("statementHandle"),
            "http_status": status,
        }
        if status in (401, 403):
            return self._auth_error(status, fields)
        return _status_error(status, fields, self._max_attempts)

    def _auth_error(self, status: int, fields: dict[str, Any]) -> SnowflakeAuthError:
        if status == 401:
            return SnowflakeAuthError(
                **fields,
                summary=f"Snowflake refused {self._auth.describe()}",
                advice=self._auth.advice(),
            )
        return SnowflakeAuthError(
            **fields,
            summary=f"Snowflake forbade the request made with {self._auth.describe()}",
            advice="check that the SQL API is enabled for the account, that its "
            "network policy admits this machine, and that the role may use the "
            "warehouse and database",
        )


def _status_error(status: int, fields: dict[str, Any], attempts: int) -> SnowflakeError:
    # A timeout seen while polling arrives as a 422 carrying the timeout code.
    timed_out = status == 408 or fields["code"] == STATEMENT_TIMED_OUT_CODE
    if status == 422 and not timed_out:
        return SnowflakeStatementError(
            **fields,
            summary="the SQL statement failed",
            advice="fix the statement or its bindings",
        )
    if timed_out:
        return SnowflakeTimeoutError(
            **fields,
            summary="the statement ran past its timeout and Snowflake cancelled it",
            advice="raise statement_timeout_s, or make the query cheaper",
        )
    if status in RETRYABLE_STATUSES:
        return SnowflakeUnavailableError(
            **fields,
            summary=f"Snowflake could not serve the request in {attempts} attempts",
            advice="try again later",
        )
    if status >= 500:
        return SnowflakeUnavailableError(
            **fields,
            summary="Snowflake failed to serve the request",
            advice="try again later",
        )
    return SnowflakeRequestError(
        **fields,
        summary="Snowflake rejected the request",
        advice="check that base_url is the account's SQL API root; if it is, "
        "this is a bug in tajo-assets, please report it",
    )


def _may_have_run(error: SnowflakeError, request_id: str) -> SnowflakeUnavailableError:
    """`error` of a submit that may have reached Snowflake, saying so."""
    return SnowflakeUnavailableError(
        error.message,
        summary=f"{error.summary or 'the statement was not answered'}; the "
        f"statement may have run (requestId {request_id})",
        code=error.code,
        sql_state=error.sql_state,
        statement_handle=error.statement_handle,
        http_status=error.http_status,
        advice="check the data it writes (or QUERY_HISTORY) before running it "
        f"again; {error.advice or 'try again later'}",
    )


def _poll_deadline_passed(
    statement_handle: str | None, *, cancelled: bool
) -> SnowflakeTimeoutError:
    if cancelled:
        return SnowflakeTimeoutError(
            "the statement was still running when the poll deadline passed, "
            "and it was cancelled",
            statement_handle=statement_handle,
            advice="raise poll_deadline_s (or statement_timeout_s) to wait longer",
        )
    return SnowflakeTimeoutError(
        "the statement was still running when the poll deadline passed, and "
        "cancelling it failed",
        statement_handle=statement_handle,
        advice="it may still be running: cancel it by hand with SELECT "
        f"SYSTEM$CANCEL_QUERY('{statement_handle}'); raise poll_deadline_s to "
        "wait longer",
    )


def _json_object(response: httpx.Response) -> dict[str, Any] | None:
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    return body if isinstance(body, dict) else None


def _statement_path(statement_handle: str) -> str:
    return f"{STATEMENTS_PATH}/{quote(statement_handle, safe='')}"


def _status_path(payload: Mapping[str, Any]) -> str:
    """Where to poll: the status URL Snowflake gave, on our own host."""
    status_url = payload.get("statementStatusUrl")
    if status_url:
        url = httpx.URL(status_url)
        return url.raw_path.decode("ascii")
    handle = payload.get("statementHandle")
    if not handle:
        raise SnowflakeResponseError(
            "a 202 answer named no statement handle",
            advice="report this to Snowflake support",
        )
    return _statement_path(handle)


class StatementResult:
    """The result of one finished statement; rows are fetched lazily.

    `columns` come from rowType, `num_rows` is the total over all partitions,
    `stats` holds DML counts (numRowsInserted, ...) when Snowflake sends them.
    """

    def __init__(self, client: SqlApiClient, payload: Mapping[str, Any]) -> None:
        meta = payload.get("resultSetMetaData") or {}
        first_partition = payload.get("data") or []
        self.handle: str = payload.get("statementHandle") or ""
        self.columns = tuple(
            Column.from_row_type(item) for item in meta.get("rowType", [])
        )
        self.num_rows: int = int(meta.get("numRows", len(first_partition)))
        self.stats: dict[str, int] = dict(payload.get("stats") or {})
        partitions = meta.get("partitionInfo") or []
        self.partition_count = len(partitions) or (1 if first_partition else 0)
        self._decoder = RowDecoder(self.columns)
        self._client = client
        self._first_partition: list | None = first_partition

    def __repr__(self) -> str:
        names = ", ".join(column.name for column in self.columns)
        return (
            f"StatementResult(handle={self.handle!r}, columns=[{names}], "
            f"num_rows={self.num_rows}, partitions={self.partition_count})"
        )

    def batches(self) -> Iterator[list[tuple]]:
        """Yield the decoded rows of each partition, in order, one at a time.

        The client's `prefetch_partitions` later partitions are fetched ahead
        in worker threads, so at most that many plus the current one are held.
        A partition that failed raises when the iteration reaches it; leaving
        the iteration early cancels what was not fetched yet. After the last
        partition, raises SnowflakeResponseError if the rows received differ
        from `num_rows`.
        """
        received = 0
        for data in self._partitions():
            rows = self._decoder.decode(data)
            received += len(rows)
            yield rows
        if received != self.num_rows:
            raise SnowflakeResponseError(
                f"received {received} rows but the result has {self.num_rows}",
                statement_handle=self.handle,
                advice="read the result again; report it if it persists",
            )

    def rows(self) -> Iterator[tuple]:
        """Every row, partition after partition."""
        for batch in self.batches():
            yield from batch

    def _partitions(self) -> Iterator[list]:
        """The raw `data` of every partition, in order."""
        if self.partition_count == 0:
            return
        later = iter(range(1, self.partition_count))
        ahead = self._client.prefetch_partitions
        if ahead == 0:
            yield self._first_data()
            for partition in later:
                yield self._client.fetch_partition(self.handle, partition)
            return
        pool = ThreadPoolExecutor(ahead, thread_name_prefix="snowflake-partition")
        pending: deque[Future] = deque()
        try:
            self._fetch_ahead(pool, pending, later, ahead)
            yield self._first_data()
            while pending:
                data = pending.popleft().result()
                self._fetch_ahead(pool, pending, later, 1)
                yield data
        finally:
            # Abandoned early: queued fetches are dropped; running ones finish
            # in their threads and are discarded.
            pool.shutdown(wait=False, cancel_futures=True)

    def _fetch_ahead(
        self,
        pool: ThreadPoolExecutor,
        pending: deque[Future],
        partitions: Iterator[int],
        count: int,
    ) -> None:
        for partition in itertools.islice(partitions, count):
            pending.append(
                pool.submit(self._client.fetch_partition, self.handle, partition)
            )

    def _first_data(self) -> list:
        # Hand the first response's rows over once, then let them go.
        data, self._first_partition = self._first_partition, None
        if data is None:
            return self._client.fetch_partition(self.handle, 0)
        return data


class MultiStatementResult:
    """A finished multi-statement request: the parent handle and one per statement."""

    def __init__(self, client: SqlApiClient, payload: Mapping[str, Any]) -> None:
        self.handle: str = payload.get("statementHandle") or ""
        self.statement_handles: tuple[str, ...] = tuple(
            payload.get("statementHandles") or ()
        )
        self._client = client

    def __repr__(self) -> str:
        return (
            f"MultiStatementResult(handle={self.handle!r}, "
            f"statements={len(self.statement_handles)})"
        )

    def result(self, index: int) -> StatementResult:
        """The result of statement `index` (0-based), fetched from Snowflake."""
        return self._client.get_result(self.statement_handles[index])

    def results(self) -> Iterator[StatementResult]:
        """Each statement's result in order, fetched as the iteration reaches it."""
        for handle in self.statement_handles:
            yield self._client.get_result(handle)
