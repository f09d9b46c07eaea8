"""The life of a statement: submitted, running in a worker, then kept.

`Statements` checks what can be checked before anything runs (statement count,
bindings, commands the SQL API refuses), starts a worker thread per request,
enforces `timeout`, cancels on request, and keeps a `StatementRecord` per
handle for tests to inspect: the SQL, the bindings, the query tag, how often it
ran and whether it was cancelled. Finished results go to a `ResultStore`.
Statements DuckDB cannot run (user and role DDL) are answered by `intercept`;
session functions (CURRENT_USER() and others) are answered from the request.
"""

import asyncio
import concurrent.futures
import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from tajo_assets.sandbox.snowflake.bindings import statement_parameters
from tajo_assets.sandbox.snowflake.engine import (
    Cancellation,
    Execution,
    SessionContext,
    SqlEngine,
    text_column,
)
from tajo_assets.sandbox.snowflake.errors import (
    CANCELED,
    EMPTY_STATEMENT,
    INTERNAL_ERROR,
    MULTI_STATEMENT_FAILED,
    STATEMENT_COUNT_MISMATCH,
    SUCCESS,
    TIMED_OUT,
    RequestRejected,
    StatementFailed,
    canceled,
    invalid_payload,
    not_supported,
    timed_out,
)
from tajo_assets.sandbox.snowflake.results import (
    ResultStore,
    StoredResult,
    encode_rows,
    store_result,
)
from tajo_assets.sandbox.snowflake.statement_text import (
    fill_session_functions,
    find_placeholders,
    restricted_command,
    split_statements,
)

log = logging.getLogger("tajo_assets.sandbox.snowflake")

MAX_TIMEOUT_S = 604_800
MULTI_STATEMENT_RESULT = "Multiple statements executed successfully."


class StatementStatus(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"
    TIMED_OUT = "timed_out"


@dataclass(frozen=True)
class Submission:
    """A validated `POST /api/v2/statements` request."""

    statement: str
    user: str
    request_id: str | None = None
    timeout_s: int | None = None
    database: str | None = None
    schema: str | None = None
    warehouse: str | None = None
    role: str | None = None
    bindings: dict[str, dict] | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    query_tag: str | None = None
    timezone: str | None = None
    statement_count: int = 1
    nullable: bool = True


@dataclass
class StatementRecord:
    """What the sandbox knows about one statement handle."""

    handle: str
    sql: str
    user: str
    request_id: str | None
    bindings: dict[str, dict] | None
    parameters: dict[str, Any]
    query_tag: str | None
    timezone: str | None
    database: str | None
    schema: str | None
    warehouse: str | None
    role: str | None
    timeout_s: int | None
    created_on_ms: int
    parent_handle: str | None = None
    child_handles: list[str] = field(default_factory=list)
    status: StatementStatus = StatementStatus.RUNNING
    failure: StatementFailed | None = None
    executions: int = 0
    cancel_requests: int = 0
    num_rows: int | None = None
    duration_s: float | None = None

    @property
    def cancelled(self) -> bool:
        return self.status == StatementStatus.CANCELED

    @property
    def status_url(self) -> str:
        url = f"/api/v2/statements/{self.handle}"
        return f"{url}?requestId={self.request_id}" if self.request_id else url

    def status_fields(self) -> dict:
        """The fields every response about this statement carries."""
        return {
            "statementHandle": self.handle,
            "createdOn": self.created_on_ms,
            "statementStatusUrl": self.status_url,
        }


@dataclass
class _Running:
    """Worker-side state of one top-level statement."""

    record: StatementRecord
    cancellation: Cancellation
    done: concurrent.futures.Future
    started: float


@dataclass(frozen=True)
class _Plan:
    statements: list[str]
    parameter_rows: list[list[Any]]

    @property
    def multi(self) -> bool:
        return len(self.statements) > 1


class Statements:
    """Every statement of one sandbox, by handle; thread-safe."""

    def __init__(
        self,
        engine: SqlEngine,
        results: ResultStore,
        *,
        partition_rows: int,
        max_records: int = 10_000,
        intercept: Callable[[str], Execution | None] = lambda statement: None,
    ) -> None:
        """`intercept` answers statements DuckDB cannot run (None: not one)."""
        self._engine = engine
        self._intercept = intercept
        self._results = results
        self._partition_rows = partition_rows
        self._max_records = max_records
        self._records: OrderedDict[str, StatementRecord] = OrderedDict()
        self._running: dict[str, _Running] = {}
        self._by_request_id: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def set_partition_rows(self, rows: int) -> None:
        """Partition size of the results of statements run from now on."""
        self._partition_rows = rows

    # -- lookups ---------------------------------------------------------------

    def records(self) -> dict[str, StatementRecord]:
        with self._lock:
            return dict(self._records)

    def find(self, handle: str) -> StatementRecord | None:
        with self._lock:
            return self._records.get(handle)

    def find_by_request_id(self, user: str, request_id: str) -> StatementRecord | None:
        with self._lock:
            handle = self._by_request_id.get((user, request_id))
            return self._records.get(handle) if handle else None

    def running_count(self, user: str) -> int:
        with self._lock:
            return sum(
                1
                for run in self._running.values()
                if run.record.user == user
                and run.record.status == StatementStatus.RUNNING
            )

    def result(self, handle: str) -> StoredResult | None:
        return self._results.get(handle)

    # -- submitting --------------------------------------------------------------

    def submit(self, submission: Submission) -> StatementRecord:
        """Record the statement and start it; checks that fail mark it failed.

        Raises `RequestRejected` only for an empty statement or bindings in a
        multi-statement request (no handle is created for those).
        """
        statements = split_statements(submission.statement)
        if not statements:
            raise RequestRejected(400, EMPTY_STATEMENT, "Empty SQL statement.")
        if submission.bindings and len(statements) > 1:
            raise invalid_payload(
                "Bindings are not supported in multi-statement requests; remove "
                "'bindings' or send the statements one request at a time."
            )
        record = self._new_record(submission, submission.statement)
        try:
            plan = _plan(submission, statements)
        except StatementFailed as failure:
            self._finish(record, failure=failure, started=time.monotonic())
            return record
        self._start(record, submission, plan)
        return record

    def _new_record(
        self, submission: Submission, sql: str, parent: StatementRecord | None = None
    ) -> StatementRecord:
        record = StatementRecord(
            handle=str(uuid.uuid4()),
            sql=sql,
            user=submission.user,
            request_id=None if parent else submission.request_id,
            bindings=submission.bindings,
            parameters=submission.parameters,
            query_tag=submission.query_tag,
            timezone=submission.timezone,
            database=submission.database,
            schema=submission.schema,
            warehouse=submission.warehouse,
            role=submission.role,
            timeout_s=submission.timeout_s,
            created_on_ms=int(time.time() * 1000),
            parent_handle=parent.handle if parent else None,
        )
        with self._lock:
            self._records[record.handle] = record
            if record.request_id:
                self._by_request_id[(record.user, record.request_id)] = record.handle
            self._forget_old_records()
        return record

    def _forget_old_records(self) -> None:
        for handle in list(self._records):
            if len(self._records) <= self._max_records:
                return
            if handle not in self._running:
                old = self._records.pop(handle)
                key = (old.user, old.request_id)
                if self._by_request_id.get(key) == handle:
                    del self._by_request_id[key]

    def _start(
        self, record: StatementRecord, submission: Submission, plan: _Plan
    ) -> None:
        done: concurrent.futures.Future = concurrent.futures.Future()
        # A running future cannot be cancelled by an abandoned HTTP waiter.
        done.set_running_or_notify_cancel()
        run = _Running(record, Cancellation(), done, time.monotonic())
        with self._lock:
            self._running[record.handle] = run
        threading.Thread(
            target=self._work,
            args=(run, submission, plan),
            name=f"snowflake-statement-{record.handle[:8]}",
            daemon=True,
        ).start()

    # -- waiting and cancelling ----------------------------------------------------

    async def wait(self, record: StatementRecord, timeout_s: float) -> None:
        """Wait up to `timeout_s` for the statement to finish (returns either way)."""
        with self._lock:
            run = self._running.get(record.handle)
        if run is None or timeout_s <= 0:
            return
        await asyncio.wait([asyncio.wrap_future(run.done)], timeout=timeout_s)

    def cancel(self, record: StatementRecord) -> bool:
        """Cancel a running statement; False if it had already finished."""
        with self._lock:
            record.cancel_requests += 1
            run = self._running.get(record.handle)
        if run is None or not run.cancellation.cancel(canceled()):
            return False
        self._finish(record, failure=canceled(), started=run.started)
        return True

    def close(self) -> None:
        """Cancel whatever still runs."""
        with self._lock:
            running = list(self._running.values())
        for run in running:
            self.cancel(run.record)

    # -- the worker ----------------------------------------------------------------

    def _work(self, run: _Running, submission: Submission, plan: _Plan) -> None:
        timer = _timeout_timer(run.cancellation, submission.timeout_s)
        try:
            context = SessionContext(
                submission.database, submission.schema, submission.timezone
            )
            with self._engine.session(context) as session:
                if plan.multi:
                    self._run_children(run, submission, plan, session)
                else:
                    self._run_single(run, submission, plan, session)
        except StatementFailed as failure:
            self._finish(run.record, failure=failure, started=run.started)
        except Exception as error:  # a sandbox bug must not leave a handle running
            log.exception("sandbox statement %s crashed", run.record.handle)
            failure = StatementFailed(
                INTERNAL_ERROR, "XX000", f"Sandbox error: {error!r}"
            )
            self._finish(run.record, failure=failure, started=run.started)
        finally:
            if timer is not None:
                timer.cancel()
            with self._lock:
                self._running.pop(run.record.handle, None)
            run.done.set_result(None)

    def _run_single(
        self, run: _Running, submission: Submission, plan: _Plan, session
    ) -> None:
        run.record.executions += 1
        statement = plan.statements[0]
        execution = self._intercept(statement) or session.run(
            _with_session_values(statement, submission),
            plan.parameter_rows,
            run.cancellation,
        )
        stored = self._store(run.record, execution, nullable=submission.nullable)
        self._finish(run.record, stored=stored, started=run.started)

    def _run_children(
        self, run: _Running, submission: Submission, plan: _Plan, session
    ) -> None:
        parent = run.record
        parent.executions += 1
        for index, text in enumerate(plan.statements):
            child = self._new_record(submission, text, parent=parent)
            parent.child_handles.append(child.handle)
            started = time.monotonic()
            try:
                child.executions += 1
                _refuse_restricted(text, in_multi_statement=True)
                execution = self._intercept(text) or session.run(
                    _with_session_values(text, submission), [[]], run.cancellation
                )
            except StatementFailed as failure:
                self._finish(child, failure=failure, started=started)
                raise _multi_failure(
                    failure, text, index, len(plan.statements)
                ) from None
            stored = self._store(child, execution, nullable=submission.nullable)
            self._finish(child, stored=stored, started=started)
        self._finish(parent, stored=self._store_multi(parent), started=run.started)

    def _store(self, record: StatementRecord, execution: Execution, *, nullable: bool):
        data = encode_rows(execution.rows, execution.columns, nullable=nullable)
        return store_result(
            _success_fields(record),
            execution.columns,
            data,
            partition_rows=self._partition_rows,
            stats=execution.stats,
        )

    def _store_multi(self, parent: StatementRecord) -> StoredResult:
        column = text_column("multiple statement execution", nullable=False)
        fields = {**_success_fields(parent), "statementHandles": parent.child_handles}
        data = [[MULTI_STATEMENT_RESULT]]
        return store_result(fields, [column], data, partition_rows=self._partition_rows)

    def _finish(
        self,
        record: StatementRecord,
        *,
        started: float,
        stored: StoredResult | None = None,
        failure: StatementFailed | None = None,
    ) -> None:
        with self._lock:
            if record.status != StatementStatus.RUNNING:
                return  # a cancel got there first
            if stored is not None:
                # Stored before the status flips, so a poll never sees a
                # succeeded statement without its result.
                self._results.put(record.handle, stored)
            record.duration_s = time.monotonic() - started
            record.failure = failure
            record.num_rows = stored.num_rows if stored else None
            record.status = _status_of(failure)
        _log_finished(record)


def _plan(submission: Submission, statements: list[str]) -> _Plan:
    wanted = submission.statement_count
    if wanted != 0 and wanted != len(statements):
        raise StatementFailed(
            STATEMENT_COUNT_MISMATCH,
            "0A000",
            f"Actual statement count {len(statements)} did not match the desired "
            f"statement count {wanted}.",
        )
    if len(statements) > 1:
        return _Plan(statements, [[]])
    _refuse_restricted(statements[0], in_multi_statement=False)
    placeholders = find_placeholders(statements[0])
    rows = statement_parameters(submission.bindings or {}, placeholders)
    return _Plan(statements, rows)


def _with_session_values(statement: str, submission: Submission) -> str:
    """Answer CURRENT_USER() and friends from the request, as Snowflake does.

    Without a role in the request Snowflake uses the user's default role; the
    sandbox's users have none set, so it is PUBLIC.
    """
    return fill_session_functions(
        statement,
        {
            "CURRENT_USER": submission.user,
            "CURRENT_ROLE": submission.role or "PUBLIC",
            "CURRENT_WAREHOUSE": submission.warehouse,
        },
    )


def _refuse_restricted(statement: str, *, in_multi_statement: bool) -> None:
    command = restricted_command(statement, in_multi_statement=in_multi_statement)
    if command is None:
        return
    if command in {"PUT", "GET"}:
        raise not_supported(command, "Stage files through a stage-less route instead.")
    raise not_supported(
        command,
        "Run it inside a multi-statement request (parameters.MULTI_STATEMENT_COUNT), "
        "or pass session settings such as query_tag and timezone in 'parameters'.",
    )


def _multi_failure(
    failure: StatementFailed, text: str, index: int, count: int
) -> StatementFailed:
    if failure.code in {CANCELED, TIMED_OUT}:
        return failure
    excerpt = text if len(text) <= 60 else f"{text[:57]}..."
    return StatementFailed(
        MULTI_STATEMENT_FAILED,
        "P0000",
        f"Uncaught Execution of multiple statements failed on statement "
        f'"{excerpt}" (statement {index + 1} of {count}): {failure.message}',
    )


def _timeout_timer(cancellation: Cancellation, timeout_s: int | None):
    if timeout_s is None:
        return None
    limit = timeout_s or MAX_TIMEOUT_S
    timer = threading.Timer(limit, cancellation.cancel, args=(timed_out(limit),))
    timer.daemon = True
    timer.start()
    return timer


def _success_fields(record: StatementRecord) -> dict:
    return {
        "code": SUCCESS,
        "sqlState": "00000",
        "message": "Statement executed successfully.",
        **record.status_fields(),
    }


def _status_of(failure: StatementFailed | None) -> StatementStatus:
    if failure is None:
        return StatementStatus.SUCCEEDED
    if failure.code == CANCELED:
        return StatementStatus.CANCELED
    if failure.code == TIMED_OUT:
        return StatementStatus.TIMED_OUT
    return StatementStatus.FAILED


def _log_finished(record: StatementRecord) -> None:
    outcome = record.failure.code if record.failure else f"{record.num_rows} rows"
    log.info(
        "statement %s %s in %.3f s (user %s, %s)",
        record.handle,
        record.status.value,
        record.duration_s or 0.0,
        record.user,
        outcome,
    )
