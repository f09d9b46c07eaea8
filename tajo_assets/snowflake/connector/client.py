"""A client that runs SQL through an open Python connector connection.

The session keeps its home database and schema between calls, as each SQL API
request would; see `SnowflakeConnectorClient._at_home`.
"""

import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from types import TracebackType
from typing import Any

from tajo_assets.snowflake.connector.errors import translate_error
from tajo_assets.snowflake.connector.parameters import connector_parameters
from tajo_assets.snowflake.connector.results import (
    ConnectorMultiStatementResult,
    ConnectorStatementResult,
)
from tajo_assets.snowflake.errors import (
    SnowflakeConfigurationError,
    SnowflakeStatementError,
)

LOGGER = logging.getLogger("tajo_assets.snowflake")

DEFAULT_FETCH_ROWS = 10_000
_CANCELLED_TEXT = "terminated"


class SnowflakeConnectorClient:
    """Runs SQL through an open Python connector connection; closes it on exit.

    The connection must use paramstyle `qmark`, so bindings are bound by
    Snowflake, never pasted into the text. `fetch_rows` bounds each batch a
    result yields. `credential` and `auth_advice` describe the sign-in for
    error messages; neither may contain a secret.
    """

    def __init__(
        self,
        connection: Any,
        *,
        fetch_rows: int = DEFAULT_FETCH_ROWS,
        log_queries: bool = False,
        credential: str = "the connector's credentials",
        auth_advice: str = "check the user's credentials and grants",
    ) -> None:
        if fetch_rows < 1:
            raise ValueError(f"fetch_rows must be 1 or more, not {fetch_rows}")
        _check_paramstyle(connection)
        self._connection = connection
        self._fetch_rows = fetch_rows
        self._log_queries = log_queries
        self._credential = credential
        self._auth_advice = auth_advice
        self._typed = _takes_typed_bindings(connection)
        self._closed = False
        try:
            self._home = self._home_context()
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> "SnowflakeConnectorClient":
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection; safe to call twice."""
        if not self._closed:
            self._closed = True
            with self.translated_errors():
                self._connection.close()

    def execute(
        self,
        statement: str,
        bindings: Mapping[str, Any] | None = None,
        *,
        timeout_s: int | None = None,
    ) -> ConnectorStatementResult:
        """Run one statement and return its result once it has finished.

        `bindings` fill the statement's `:name` placeholders. `timeout_s`
        (seconds) is enforced by the connector, which cancels the statement;
        None or 0 leaves the session's statement timeout. Raises
        SnowflakeStatementError when the SQL fails, SnowflakeTimeoutError past
        the timeout, and the other SnowflakeErrors as they say.
        """
        text, parameters = connector_parameters(statement, bindings, typed=self._typed)
        started = time.monotonic()
        with self._at_home():
            cursor = self._run(text, parameters, timeout_s)
        result = ConnectorStatementResult(self, cursor)
        LOGGER.info(
            "Snowflake statement %s finished: %d rows, %.2f s (Python connector)",
            result.handle,
            result.num_rows,
            time.monotonic() - started,
        )
        return result

    def execute_multi(
        self, statements: Sequence[str], *, timeout_s: int | None = None
    ) -> ConnectorMultiStatementResult:
        """Run several statements in order in this session, without bindings.

        Each runs as its own query with the connector's default statement
        count of 1, so a statement hiding a second one fails in Snowflake.
        Statements before a failing one have run; later ones have not.
        `timeout_s` applies to each statement. A USE or CREATE SCHEMA moves
        the statements after it, as in one SQL API request, until the call ends.
        """
        texts = [statement.strip().rstrip(";").rstrip() for statement in statements]
        if not texts or not all(texts):
            raise ValueError("execute_multi needs one or more non-empty statements")
        started = time.monotonic()
        with self._at_home():
            results = [
                ConnectorStatementResult(self, self._run(text, [], timeout_s))
                for text in texts
            ]
        multi = ConnectorMultiStatementResult(results)
        LOGGER.info(
            "Snowflake statements %s..%s finished: %d statements, %.2f s "
            "(Python connector)",
            multi.statement_handles[0],
            multi.statement_handles[-1],
            len(results),
            time.monotonic() - started,
        )
        return multi

    def cancel(self, statement_handle: str) -> None:
        """Ask Snowflake to cancel a running statement (SYSTEM$CANCEL_QUERY).

        Raises SnowflakeStatementError when Snowflake cannot cancel it (for
        example a statement that already finished).
        """
        result = self.execute(
            "SELECT SYSTEM$CANCEL_QUERY(:statement_handle) AS STATUS",
            {"statement_handle": statement_handle},
        )
        (status,) = next(result.rows())
        if _CANCELLED_TEXT not in str(status).lower():
            raise SnowflakeStatementError(
                str(status),
                summary="Snowflake did not cancel the statement",
                statement_handle=statement_handle,
                advice="it may have finished already; look it up in QUERY_HISTORY",
            )
        LOGGER.info("Snowflake statement %s cancelled", statement_handle)

    @contextmanager
    def translated_errors(self) -> Iterator[None]:
        """Raise the connector's errors as SnowflakeErrors (the one boundary)."""
        from snowflake.connector.errors import Error

        try:
            yield
        except Error as error:
            raise translate_error(
                error, credential=self._credential, auth_advice=self._auth_advice
            ) from error

    def reopen(self, statement_handle: str) -> Any:
        """A cursor over the stored result of a finished statement."""
        cursor = self._connection.cursor()
        with self.translated_errors():
            cursor.get_results_from_sfqid(statement_handle)
        return cursor

    @property
    def fetch_rows(self) -> int:
        return self._fetch_rows

    def _home_context(self) -> tuple[str, str] | None:
        """The session's database and schema as Snowflake spells them, if set."""
        cursor = self._run("SELECT CURRENT_DATABASE(), CURRENT_SCHEMA()", [], None)
        try:
            with self.translated_errors():
                database, schema = cursor.fetchone()
        finally:
            cursor.close()
        return (database, schema) if database and schema else None

    @contextmanager
    def _at_home(self) -> Iterator[None]:
        """Run a block, then move the session back to its home schema if needed.

        The connector tracks the session's current database and schema from
        each answer, so a move shows without asking Snowflake.
        """
        try:
            yield
        finally:
            here = (self._connection.database, self._connection.schema)
            if self._home is not None and here != self._home and not self._closed:
                LOGGER.debug("Snowflake session moved to %s.%s; moving back", *here)
                database, schema = (_quoted(name) for name in self._home)
                self._run(f"USE SCHEMA {database}.{schema}", [], None).close()

    def _run(self, text: str, parameters: list[Any], timeout_s: int | None) -> Any:
        """Execute `text` on a new cursor and return the cursor."""
        if self._log_queries:
            # Asked for explicitly (log_queries); bound values are never in it.
            LOGGER.info("Snowflake SQL (Python connector):\n%s", text)
        # 0, like None, leaves the session's STATEMENT_TIMEOUT_IN_SECONDS.
        options = {"timeout": timeout_s} if timeout_s else {}
        cursor = self._connection.cursor()
        try:
            with self.translated_errors():
                cursor.execute(text, parameters or None, **options)
        except BaseException:
            cursor.close()
            raise
        return cursor


def _quoted(name: str) -> str:
    """A name as Snowflake reported it, as a quoted identifier."""
    return '"' + name.replace('"', '""') + '"'


def _check_paramstyle(connection: Any) -> None:
    # With pyformat (the connector's default) `?` would meet `%` interpolation.
    paramstyle = getattr(connection, "_paramstyle", "qmark")
    if paramstyle != "qmark":
        raise SnowflakeConfigurationError(
            f"the connection uses paramstyle {paramstyle!r}",
            advice="connect with paramstyle='qmark' so values are bound by "
            "Snowflake, never pasted into the SQL",
        )


def _takes_typed_bindings(connection: Any) -> bool:
    """Whether `connection` is the real connector, which takes (type, value).

    fakesnow's stand-in hands parameters straight to DuckDB, which cannot read
    the pairs but reads the Python values the same way.
    """
    from snowflake.connector import SnowflakeConnection

    return isinstance(connection, SnowflakeConnection)
