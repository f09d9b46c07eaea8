"""Sync state kept in the user's warehouse: audience snapshots and watermarks.

State lives in a schema of the warehouse (default TAJO_STATE), not on the Dagster
machine, so it survives throw-away containers. A watermark advances only after
Brevo acknowledged every contact of the snapshot taken at that time, so a failed
or killed run is simply repeated by the next one.
"""

import hashlib
import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources

from tajo_assets.snowflake import (
    SnowflakeStatementError,
    SqlApiClient,
    placeholder_names,
)

log = logging.getLogger("tajo_assets.sync")

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*){0,2}$")
_OBJECT_DOES_NOT_EXIST = "002003"


def render_sql(name: str, *, query: str | None = None, **identifiers: str) -> str:
    """Load `sql/<name>.sql` and fill in object names.

    Object names cannot be bindings, so they are checked against the plain
    identifier form before they are placed in the text; values never are.
    """
    for key, value in identifiers.items():
        if not _IDENTIFIER.match(value):
            raise ValueError(f"{key} {value!r} is not a plain Snowflake identifier")
    text = resources.files("tajo_assets.sync").joinpath(f"sql/{name}.sql").read_text()
    return text.format(query=query, **identifiers).strip()


def snapshot_table(state_schema: str, query_name: str) -> str:
    """Where the audience of `query_name` is materialized in the warehouse."""
    return f"{state_schema}.AUDIENCE_{query_name.upper()}"


def definition_hash(query: str, mapping: Mapping[str, str] | None) -> str:
    """A fingerprint of what a sync sends: its query text and field mapping."""
    definition = {"query": strip_statement(query), "mapping": dict(mapping or {})}
    encoded = json.dumps(definition, sort_keys=True).encode()
    return hashlib.sha256(encoded).hexdigest()[:32]


def strip_statement(sql: str) -> str:
    """A configured query as one statement: no trailing semicolons or blanks."""
    return sql.strip().rstrip(";").strip()


@dataclass
class Snapshot:
    """An audience materialized in the warehouse, as of one warehouse time."""

    query_name: str
    table: str
    as_of: datetime
    last_sync: datetime
    row_count: int


class WarehouseState:
    """Reads and writes one sync's state through a Snowflake client."""

    def __init__(self, client: SqlApiClient, state_schema: str) -> None:
        self.client = client
        self.state_schema = state_schema
        self.statement_handles: list[str] = []

    def take_snapshot(
        self, query_name: str, query: str, definition_hash: str
    ) -> Snapshot:
        """Run the audience query in the warehouse into its snapshot table.

        `:last_sync` in the query is bound to the last acknowledged watermark,
        never pasted into the text. It is the epoch on the first run, and again
        whenever the query or its sync's mapping changed (`definition_hash`
        differs), since rows sent before never carried the new definition.
        """
        as_of, last_sync, acknowledged_hash = self.read_watermark(query_name)
        if acknowledged_hash not in (None, definition_hash):
            log.info(
                "audience %s: the query or its mapping changed since the last "
                "acknowledged sync; sending every row again",
                query_name,
            )
            last_sync = EPOCH
        table = snapshot_table(self.state_schema, query_name)
        create = render_sql(
            "create_snapshot", query=strip_statement(query), snapshot_table=table
        )
        bindings = (
            {"last_sync": last_sync} if "last_sync" in placeholder_names(query) else {}
        )
        self._run(create, bindings)
        count = self._run(render_sql("count_snapshot", snapshot_table=table))
        row_count = int(next(iter(count.rows()))[0])
        log.info(
            "audience %s: %d rows changed since %s, snapshot %s",
            query_name,
            row_count,
            last_sync.isoformat(),
            table,
        )
        return Snapshot(query_name, table, as_of, last_sync, row_count)

    def read_watermark(self, query_name: str) -> tuple[datetime, datetime, str | None]:
        """Warehouse time now and the last acknowledged watermark (both UTC),
        with the definition hash it was acknowledged for (None before any)."""
        sql = render_sql("read_watermark", state_schema=self.state_schema)
        try:
            result = self._run(sql, {"query_name": query_name})
        except SnowflakeStatementError as error:
            if error.code != _OBJECT_DOES_NOT_EXIST:
                raise
            self._create_state()
            result = self._run(sql, {"query_name": query_name})
        now, last_sync, definition_hash = next(iter(result.rows()))
        last_sync = _as_utc(last_sync) if last_sync else EPOCH
        return _as_utc(now), last_sync, definition_hash

    def advance_watermark(
        self, query_name: str, as_of: datetime, definition_hash: str
    ) -> None:
        """Record that everything the query returned up to `as_of` is in Brevo."""
        sql = render_sql("advance_watermark", state_schema=self.state_schema)
        bindings = {
            "query_name": query_name,
            "last_sync_utc": as_of.astimezone(UTC).replace(tzinfo=None),
            "definition_hash": definition_hash,
            "updated_at_utc": datetime.now(UTC).replace(tzinfo=None),
        }
        self._run(sql, bindings)

    def _create_state(self) -> None:
        log.info("creating sync state in schema %s", self.state_schema)
        statements = render_sql("create_state", state_schema=self.state_schema)
        result = self.client.execute_multi(
            [s.strip() for s in statements.split(";") if s.strip()]
        )
        self.statement_handles.append(result.handle)

    def _run(self, sql: str, bindings: dict | None = None):
        result = self.client.execute(sql, bindings)
        self.statement_handles.append(result.handle)
        return result


def _as_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
