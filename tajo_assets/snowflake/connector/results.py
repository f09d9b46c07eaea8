"""The results of finished statements, read through the connector's cursors.

Columns are described with the SQL API's type names and rows converted to the
SQL API transport's values, so callers cannot tell the transports apart.
"""

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from tajo_assets.snowflake.connector.values import RowConverter
from tajo_assets.snowflake.decode import Column
from tajo_assets.snowflake.errors import SnowflakeResponseError

if TYPE_CHECKING:
    # client.py builds results, so importing it here at run time would cycle.
    from tajo_assets.snowflake.connector.client import SnowflakeConnectorClient

# A DML statement answers with one row of counts under these column names.
_DML_STATS = {
    "number of rows inserted": "numRowsInserted",
    "number of rows updated": "numRowsUpdated",
    "number of rows deleted": "numRowsDeleted",
    "number of multi-joined rows updated": "numDuplicateRowsUpdated",
}


class ConnectorStatementResult:
    """The result of one finished statement; rows are fetched lazily.

    `columns` carry the SQL API's type names (`fixed`, `text`,
    `timestamp_ntz`, ...). `num_rows` is the size of the result set; a DML
    statement's single row of counts is read at once into `stats`
    (numRowsInserted, numRowsUpdated, numRowsDeleted, numDuplicateRowsUpdated).
    """

    def __init__(self, client: "SnowflakeConnectorClient", cursor: Any) -> None:
        from snowflake.connector.constants import FIELD_ID_TO_NAME

        self.handle: str = cursor.sfqid or ""
        self.columns = tuple(
            _column(item, FIELD_ID_TO_NAME) for item in cursor.description or ()
        )
        self.num_rows: int = max(cursor.rowcount or 0, 0)
        self.stats: dict[str, int] = {}
        self._converter = RowConverter(self.columns)
        self._client = client
        self._cursor: Any = cursor
        self._dml_rows: list[tuple] | None = None
        if self.columns and all(_dml_stat(c.name) for c in self.columns):
            self._read_dml_counts()

    def __repr__(self) -> str:
        names = ", ".join(column.name for column in self.columns)
        return (
            f"ConnectorStatementResult(handle={self.handle!r}, columns=[{names}], "
            f"num_rows={self.num_rows})"
        )

    def batches(self) -> Iterator[list[tuple]]:
        """Yield decoded rows in lists of at most `fetch_rows`, in order.

        A second pass reads the stored result again by its query id. After
        the last batch, raises SnowflakeResponseError if the rows received
        differ from `num_rows`.
        """
        if self._dml_rows is not None:
            yield list(self._dml_rows)
            return
        cursor = self._take_cursor()
        received = 0
        try:
            while rows := self._fetch(cursor):
                received += len(rows)
                yield rows
        finally:
            cursor.close()
        if received != self.num_rows:
            raise SnowflakeResponseError(
                f"received {received} rows but the result has {self.num_rows}",
                statement_handle=self.handle,
                advice="read the result again; report it if it persists",
            )

    def rows(self) -> Iterator[tuple]:
        """Every row, batch after batch."""
        for batch in self.batches():
            yield from batch

    def _take_cursor(self) -> Any:
        cursor, self._cursor = self._cursor, None
        return cursor if cursor is not None else self._client.reopen(self.handle)

    def _fetch(self, cursor: Any) -> list[tuple]:
        with self._client.translated_errors():
            rows = cursor.fetchmany(self._client.fetch_rows)
        return self._converter.convert(rows)

    def _read_dml_counts(self) -> None:
        cursor = self._take_cursor()
        try:
            rows = self._fetch(cursor)
        finally:
            cursor.close()
        self._dml_rows = rows
        self.num_rows = len(rows)
        for column, value in zip(self.columns, rows[0] if rows else (), strict=False):
            key = _dml_stat(column.name)
            if key is not None and value is not None:
                self.stats[key] = self.stats.get(key, 0) + int(value)


def _dml_stat(column_name: str) -> str | None:
    # A multi-table INSERT names one column per table: "number of rows
    # inserted into T1", ...
    for prefix, key in _DML_STATS.items():
        if column_name.startswith(prefix):
            return key
    return None


def _column(metadata: Any, type_names: Mapping[int, str]) -> Column:
    """A Column as the SQL API's rowType would describe it."""
    code = metadata.type_code
    return Column(
        name=metadata.name,
        type=(type_names.get(code) or f"type code {code}").lower(),
        precision=metadata.precision,
        scale=metadata.scale,
        nullable=metadata.is_nullable,
        length=metadata.internal_size,
    )


class ConnectorMultiStatementResult:
    """Several statements run in order; `handle` is the first one's query id."""

    def __init__(self, results: Sequence[ConnectorStatementResult]) -> None:
        self._results = tuple(results)
        self.statement_handles: tuple[str, ...] = tuple(r.handle for r in results)
        self.handle: str = self.statement_handles[0] if results else ""

    def __repr__(self) -> str:
        return (
            f"ConnectorMultiStatementResult(handle={self.handle!r}, "
            f"statements={len(self.statement_handles)})"
        )

    def result(self, index: int) -> ConnectorStatementResult:
        """The result of statement `index` (0-based)."""
        return self._results[index]

    def results(self) -> Iterator[ConnectorStatementResult]:
        """Each statement's result in order."""
        yield from self._results
