"""Running Snowflake SQL on fakesnow/DuckDB, one session per request.

`SqlEngine` owns one fakesnow instance (one DuckDB database, in memory or
backed by fakesnow database files) and a lock: DuckDB work happens one
statement at a time, while `SYSTEM$WAIT` sleeps outside the lock so long
statements can run side by side. A `Session` is the SQL API's per-request
session: its database, schema and time zone, and its transaction.
"""

import logging
import threading
import warnings
import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import snowflake.connector.errors
from fakesnow.conn import FakeSnowflakeConnection
from fakesnow.instance import FakeSnow

from tajo_assets.sandbox.snowflake.errors import (
    INTERNAL_ERROR,
    NUMERIC_VALUE_NOT_RECOGNIZED,
    StatementFailed,
    canceled,
)
from tajo_assets.sandbox.snowflake.last_altered import record_changes, written_tables
from tajo_assets.sandbox.snowflake.results import row_type
from tajo_assets.sandbox.snowflake.statement_text import (
    public_schema_of_new_database,
    system_wait_column,
    system_wait_seconds,
)

log = logging.getLogger("tajo_assets.sandbox.snowflake")
# fakesnow translates through sqlglot, which warns about Snowflake properties it
# drops on the way to DuckDB (TRANSIENT, for one); they do not change results.
logging.getLogger("sqlglot").setLevel(logging.ERROR)

# fakesnow reads every result through DuckDB's DB-API arrow path, which warns.
warnings.filterwarnings(
    "ignore", message="Arrow output on a DB-API result", category=UserWarning
)

_DML_STATS = {
    "number of rows inserted": "numRowsInserted",
    "number of rows updated": "numRowsUpdated",
    "number of rows deleted": "numRowsDeleted",
}
_DML_COLUMNS = {*_DML_STATS, "number of multi-joined rows updated"}
_TIMEZONES = {name.lower(): name for name in zoneinfo.available_timezones()}


def canonical_timezone(name: str) -> str:
    """The IANA name for `name` (case-insensitive); ValueError if unknown."""
    canonical = _TIMEZONES.get(name.strip().lower())
    if canonical is None:
        raise ValueError(
            f"time zone {name!r} is unknown; use an IANA name such as "
            "'America/Los_Angeles' or 'UTC'"
        )
    return canonical


class Cancellation:
    """Stops one statement: wakes a SYSTEM$WAIT and interrupts DuckDB.

    The first `cancel` wins; its failure (canceled or timed out) is what the
    statement reports.
    """

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._connection: duckdb.DuckDBPyConnection | None = None
        self.failure: StatementFailed | None = None

    @property
    def requested(self) -> bool:
        return self._event.is_set()

    def cancel(self, failure: StatementFailed) -> bool:
        """Ask the statement to stop; False if it was already asked to."""
        with self._lock:
            if self._event.is_set():
                return False
            self.failure = failure
            self._event.set()
            if self._connection is not None:
                self._connection.interrupt()
        return True

    def check(self) -> None:
        if self._event.is_set():
            raise self.failure or canceled()

    def sleep(self, seconds: float) -> None:
        """Sleep, unless cancelled first (then raise the cancel's failure)."""
        self._event.wait(seconds)
        self.check()

    @contextmanager
    def interrupting(self, connection: duckdb.DuckDBPyConnection) -> Iterator[None]:
        with self._lock:
            self._connection = connection
        try:
            self.check()
            yield
        finally:
            with self._lock:
                self._connection = None


@dataclass(frozen=True)
class Execution:
    """What one statement produced: row type, raw rows and DML counts."""

    columns: list[dict]
    rows: list[tuple]
    stats: dict[str, int] | None = None


@dataclass(frozen=True)
class SessionContext:
    database: str | None = None
    schema: str | None = None
    timezone: str | None = None  # canonical IANA name; None = UTC


class SqlEngine:
    """fakesnow over one DuckDB database; thread-safe."""

    def __init__(self, db_path: Path | None = None) -> None:
        self.db_path = Path(db_path) if db_path is not None else None
        if self.db_path is not None:
            self.db_path.mkdir(parents=True, exist_ok=True)
        self._fakesnow = FakeSnow(
            create_database_on_connect=False,
            create_schema_on_connect=False,
            db_path=self.db_path,
        )
        self.lock = threading.Lock()
        self._closed = False
        self._attach_database_files()

    def _attach_database_files(self) -> None:
        if self.db_path is None:
            return
        for db_file in sorted(self.db_path.glob("*.db")):
            connection = FakeSnowflakeConnection(
                self._fakesnow.duck_conn.cursor(),
                self._fakesnow.results_cache,
                database=db_file.stem,
                create_database=True,
                create_schema=False,
                db_path=self.db_path,
            )
            connection.close()
            log.info("attached sandbox database %s", db_file.stem)

    @contextmanager
    def session(self, context: SessionContext) -> Iterator["Session"]:
        """A session in `context`; raises `StatementFailed` for a missing database."""
        with self.lock:
            duck = self._fakesnow.duck_conn.cursor()
            # The name comes from zoneinfo's closed list, never from the request.
            zone = canonical_timezone(context.timezone or "UTC")
            duck.execute(f"SET TimeZone = '{zone}'")
            try:
                _check_context(duck, context)
            except StatementFailed:
                duck.close()
                raise
            connection = FakeSnowflakeConnection(
                duck,
                self._fakesnow.results_cache,
                database=context.database,
                schema=context.schema,
                create_database=False,
                create_schema=False,
                db_path=self.db_path,
                paramstyle="qmark",
            )
        try:
            yield Session(self, connection, duck)
        finally:
            with self.lock:
                if not self._closed:
                    connection.close()

    def close(self) -> None:
        """Close DuckDB (flushing database files); safe to call twice."""
        with self.lock:
            if not self._closed:
                self._closed = True
                self._fakesnow.duck_conn.close()


def _check_context(duck: duckdb.DuckDBPyConnection, context: SessionContext) -> None:
    if context.database is None:
        if context.schema is not None:
            raise StatementFailed(
                "090105",
                "22000",
                f"Schema {context.schema!r} was given without a database; set "
                "'database' in the request too.",
            )
        return
    catalogs = {row[0] for row in duck.execute(_SCHEMATA_SQL).fetchall()}
    if context.database not in catalogs:
        raise _missing("Database", context.database, catalogs)
    if context.schema is None:
        return
    schemas = {
        row[0] for row in duck.execute(_SCHEMAS_OF_SQL, [context.database]).fetchall()
    }
    if context.schema not in schemas:
        raise _missing("Schema", f"{context.database}.{context.schema}", schemas)


_SCHEMATA_SQL = "SELECT DISTINCT catalog_name FROM information_schema.schemata"
_SCHEMAS_OF_SQL = (
    "SELECT schema_name FROM information_schema.schemata WHERE catalog_name = ?"
)


def _missing(kind: str, name: str, existing: set[str]) -> StatementFailed:
    last_part = name.rsplit(".", 1)[-1]
    hint = (
        f" Names are case-sensitive here; did you mean {last_part.upper()!r}?"
        if last_part.upper() in existing and last_part.upper() != last_part
        else ""
    )
    return StatementFailed(
        "002003",
        "02000",
        f"SQL compilation error:\n{kind} '{name}' does not exist or not "
        f"authorized.{hint}",
    )


class Session:
    """One SQL API session: statements run in order on one connection."""

    def __init__(
        self, engine: SqlEngine, connection: FakeSnowflakeConnection, duck: Any
    ) -> None:
        self._engine = engine
        self._connection = connection
        self._duck = duck

    def run(
        self,
        statement: str,
        parameter_rows: list[list[Any]],
        cancellation: Cancellation,
    ) -> Execution:
        """Run one statement once per parameter row; raise `StatementFailed`."""
        wait_s = _system_wait(statement)
        if wait_s is not None:
            return _run_system_wait(statement, wait_s, cancellation)
        with self._engine.lock, cancellation.interrupting(self._duck):
            try:
                execution = self._execute(statement, parameter_rows)
            except duckdb.InterruptException:
                raise cancellation.failure or canceled() from None
            except StatementFailed:
                raise
            except Exception as error:
                raise _translate(error) from error
            # A cancel that lands between two DuckDB calls interrupts nothing.
            cancellation.check()
            return execution

    def _execute(self, statement: str, parameter_rows: list[list[Any]]) -> Execution:
        cursor = self._connection.cursor()
        results = []
        for parameters in parameter_rows:
            cursor.execute(statement, parameters or None)
            results.append(cursor.fetchall())
        columns = row_type(cursor.description)
        public_schema = public_schema_of_new_database(statement)
        if public_schema is not None:
            self._connection.cursor().execute(public_schema)
        self._record_changes(statement)
        names = [column["name"] for column in columns]
        if names and set(names) <= _DML_COLUMNS:
            return _dml_execution(columns, names, results)
        return Execution(columns, results[-1])

    def _record_changes(self, statement: str) -> None:
        """Move LAST_ALTERED of the tables `statement` wrote (see last_altered.py)."""
        tables = written_tables(
            statement, self._connection.database, self._connection.schema
        )
        if tables:
            record_changes(self._duck, tables)


def _system_wait(statement: str) -> float | None:
    try:
        return system_wait_seconds(statement)
    except ValueError as error:
        raise StatementFailed(
            "001003", "42000", f"SQL compilation error: {error}"
        ) from None


def _run_system_wait(
    statement: str, wait_s: float, cancellation: Cancellation
) -> Execution:
    cancellation.sleep(wait_s)
    column = text_column(system_wait_column(statement))
    return Execution([column], [(f"waited {wait_s:g} seconds",)])


def text_column(name: str, *, nullable: bool = True) -> dict:
    """The rowType entry of a VARCHAR column, as Snowflake describes one."""
    return {
        "name": name,
        "database": "",
        "schema": "",
        "table": "",
        "type": "text",
        "nullable": nullable,
        "precision": 0,
        "scale": 0,
        "length": 16777216,
        "byteLength": 16777216,
        "collation": None,
    }


def _dml_execution(columns: list[dict], names: list[str], results: list) -> Execution:
    totals = [sum(int(rows[0][i] or 0) for rows in results) for i in range(len(names))]
    stats = {
        _DML_STATS[n]: t for n, t in zip(names, totals, strict=True) if n in _DML_STATS
    }
    return Execution(columns, [tuple(totals)], stats)


def _translate(error: Exception) -> StatementFailed:
    """Snowflake's code, SQL state and message for an error from fakesnow/DuckDB."""
    if isinstance(error, snowflake.connector.errors.Error):
        code = f"{error.errno:06d}" if error.errno > 0 else INTERNAL_ERROR
        sql_state = error.sqlstate if error.sqlstate != "n/a" else "XX000"
        return StatementFailed(code, sql_state, error.raw_msg or str(error))
    if isinstance(error, duckdb.ConversionException | duckdb.InvalidInputException):
        return StatementFailed(NUMERIC_VALUE_NOT_RECOGNIZED, "22018", str(error))
    log.warning("sandbox statement failed with %s", type(error).__name__)
    return StatementFailed(
        INTERNAL_ERROR,
        "XX000",
        f"SQL execution internal error: {type(error).__name__}: {error}",
    )
