"""What the sync engine needs from a way of running SQL in Snowflake.

Two transports satisfy it: `SqlApiClient` (the SQL API v2 over httpx) and
`SnowflakeConnectorClient` (the Python connector, through dagster-snowflake).
Both take `:name` bindings, give rows decoded to the same Python values, and
raise the same `SnowflakeError` tree, so callers type against these protocols
and never care which one runs.
"""

from collections.abc import Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any, Protocol, runtime_checkable

from tajo_assets.snowflake.decode import Column


@runtime_checkable
class TransportStatementResult(Protocol):
    """One finished statement: its handle (query id), columns and rows.

    `num_rows` is the size of the result set (1 for a DML statement, whose
    counts are in `stats` as numRowsInserted, numRowsUpdated, numRowsDeleted).
    """

    handle: str
    columns: tuple[Column, ...]
    num_rows: int
    stats: dict[str, int]

    def batches(self) -> Iterator[list[tuple]]:
        """The decoded rows in bounded lists, in order, fetched lazily."""
        ...

    def rows(self) -> Iterator[tuple]:
        """Every decoded row, batch after batch."""
        ...


@runtime_checkable
class TransportMultiStatementResult(Protocol):
    """Several statements run in order in one session, one handle each."""

    handle: str
    statement_handles: tuple[str, ...]

    def result(self, index: int) -> TransportStatementResult:
        """The result of statement `index` (0-based)."""
        ...

    def results(self) -> Iterator[TransportStatementResult]:
        """Each statement's result, in order."""
        ...


@runtime_checkable
class SnowflakeTransport(Protocol):
    """Runs statements in Snowflake; a context manager that closes itself."""

    def execute(
        self,
        statement: str,
        bindings: Mapping[str, Any] | None = None,
        *,
        timeout_s: int | None = None,
    ) -> TransportStatementResult:
        """Run one statement with its `:name` bindings bound, never pasted."""
        ...

    def execute_multi(
        self, statements: Sequence[str], *, timeout_s: int | None = None
    ) -> TransportMultiStatementResult:
        """Run statements in order; those before a failing one have run."""
        ...

    def cancel(self, statement_handle: str) -> None:
        """Ask Snowflake to cancel a running statement."""
        ...

    def close(self) -> None: ...

    def __enter__(self) -> "SnowflakeTransport": ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
