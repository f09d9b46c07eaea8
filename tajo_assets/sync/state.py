"""Sync state kept in the user's warehouse, and the statements that read and write it.

State lives in a schema of the warehouse (default TAJO_STATE), not on the Dagster
machine, so it survives throw-away containers. Per sync it holds one row per key:
the fingerprint of the values Brevo acknowledged, and whether this project put the
contact in the sync's list. Audiences are snapshotted next to it, so that change
detection is a join inside Snowflake and only changed rows leave the warehouse.
"""

import hashlib
import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from typing import TYPE_CHECKING

from tajo_assets.config.syncs import SyncMode
from tajo_assets.snowflake import (
    SnowflakeStatementError,
    SqlApiClient,
    placeholder_names,
)

if TYPE_CHECKING:
    from tajo_assets.config import SyncSpec

log = logging.getLogger("tajo_assets.sync")

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*){0,2}$")
_OBJECT_DOES_NOT_EXIST = "002003"


class AudienceQueryError(Exception):
    """The audience query failed in Snowflake; fix the query in tajo.yaml."""


def render_sql(
    name: str,
    *,
    query: str | None = None,
    fragments: Mapping[str, str] | None = None,
    **identifiers: str,
) -> str:
    """Load `sql/<name>.sql` and fill in object names.

    Object names cannot be bindings, so they are checked against the plain
    identifier form before they are placed in the text; values never are.
    `fragments` are SQL pieces this package generated from quoted identifiers
    (see `quote_identifier`), never text from configuration or data.
    """
    for key, value in identifiers.items():
        if not _IDENTIFIER.match(value):
            raise ValueError(f"{key} {value!r} is not a plain Snowflake identifier")
    text = resources.files("tajo_assets.sync").joinpath(f"sql/{name}.sql").read_text()
    return text.format(query=query, **identifiers, **(fragments or {})).strip()


def quote_identifier(name: str) -> str:
    """A column name as a quoted Snowflake identifier, exactly as returned."""
    return '"' + name.replace('"', '""') + '"'


def snapshot_table(state_schema: str, query_name: str) -> str:
    """Where the audience of `query_name` is materialized in the warehouse."""
    return f"{state_schema}.AUDIENCE_{query_name.upper()}"


@dataclass(frozen=True)
class SyncTables:
    """The warehouse tables of one sync, all in the state schema."""

    state_schema: str
    sync_name: str
    query_name: str
    # A dry run plans into a table of its own, so it never replaces the plan a
    # real run of the same sync may be committing from.
    plan_name: str = "PLAN"

    @property
    def snapshot(self) -> str:
        return snapshot_table(self.state_schema, self.query_name)

    @property
    def state(self) -> str:
        return f"{self.state_schema}.SYNC_{self.sync_name.upper()}_STATE"

    @property
    def plan(self) -> str:
        return f"{self.state_schema}.SYNC_{self.sync_name.upper()}_{self.plan_name}"

    @property
    def pending(self) -> str:
        return f"{self.state_schema}.SYNC_{self.sync_name.upper()}_PENDING"

    @property
    def events(self) -> str:
        """An event sync's record of every event id it sent or tried to."""
        return f"{self.state_schema}.SYNC_{self.sync_name.upper()}_EVENTS"

    def names(self) -> dict[str, str]:
        """Every name a statement of this package may use, for `render_sql`."""
        return {
            "state_schema": self.state_schema,
            "snapshot_table": self.snapshot,
            "state_table": self.state,
            "plan_table": self.plan,
            "pending_table": self.pending,
            "events_table": self.events,
        }


def definition_hash(
    query: str,
    mapping: Mapping[str, str] | None,
    attributes: Mapping[str, Mapping] | None = None,
    *,
    insert_only: bool = False,
) -> str:
    """A fingerprint of what a sync sends: its query text, field mapping and the
    options of its attributes (null policies, category values).

    Attributes with default options add nothing, so a sync that sets none keeps
    the hash it had before attribute options existed. An insert-only sync hashes
    differently: Brevo keeps its own values for contacts it already had, so the
    fingerprints such a sync records do not say what Brevo holds, and switching
    it to another mode must send every row again.
    """
    definition = {"query": strip_statement(query), "mapping": dict(mapping or {})}
    if attributes:
        definition["attributes"] = {name: dict(o) for name, o in attributes.items()}
    if insert_only:
        definition["insert_only"] = True
    encoded = json.dumps(definition, sort_keys=True).encode()
    return hashlib.sha256(encoded).hexdigest()[:32]


def sync_definition(spec: "SyncSpec") -> str:
    """The definition hash of a resolved sync; its audience and sync agree on it."""
    return definition_hash(
        spec.sql,
        spec.mapping.as_dict(),
        spec.definition_options(),
        insert_only=spec.mode == SyncMode.INSERT,
    )


def strip_statement(sql: str) -> str:
    """A configured query as one statement: no trailing semicolons or blanks."""
    return sql.strip().rstrip(";").strip()


@dataclass
class Snapshot:
    """An audience materialized in the warehouse for one window (or everything)."""

    query_name: str
    table: str
    row_count: int
    window_start: datetime | None
    window_end: datetime | None
    widened: bool = False


class WarehouseState:
    """Runs this package's statements through a Snowflake client, keeping handles.

    The state tables are created on first use: a statement that finds its table
    missing creates the state of its sync and runs once more.
    """

    def __init__(self, client: SqlApiClient, tables: SyncTables) -> None:
        self.client = client
        self.tables = tables
        self.statement_handles: list[str] = []

    def take_snapshot(
        self,
        query: str,
        definition: str,
        window: tuple[datetime, datetime] | None,
        *,
        full_resync: bool = False,
    ) -> Snapshot:
        """Run the audience query in the warehouse into its snapshot table.

        An incremental query reads one `window` (`:last_sync` to `:window_end`,
        bound, never pasted). The window opens back to the epoch when the query
        or its mapping changed since Brevo last acknowledged a run
        (`definition` differs) or for a full resync, since rows outside the
        window never carried the new definition.
        """
        bindings: dict[str, datetime] = {}
        start = end = None
        widened = False
        if window is not None:
            start, end = window
            acknowledged = self.acknowledged_definition()
            if full_resync or acknowledged not in (None, definition):
                log.info(
                    "audience %s: %s; reading every row up to %s",
                    self.tables.query_name,
                    "full resync"
                    if full_resync
                    else "the query or its mapping changed since the last "
                    "acknowledged sync",
                    end.isoformat(),
                )
                start, widened = EPOCH, True
            names = placeholder_names(query)
            bindings = {
                name: value
                for name, value in (("last_sync", start), ("window_end", end))
                if name in names
            }
        create = render_sql(
            "create_snapshot",
            query=strip_statement(query),
            snapshot_table=self.tables.snapshot,
        )
        try:
            self.run(create, bindings)
        except SnowflakeStatementError as error:
            if not _query_fault(error):
                raise
            raise _query_failed(self.tables.query_name, error) from error
        count = self.run(
            render_sql("count_snapshot", snapshot_table=self.tables.snapshot)
        )
        row_count = int(next(iter(count.rows()))[0])
        log.info(
            "audience %s: %d rows%s, snapshot %s",
            self.tables.query_name,
            row_count,
            f" from {start.isoformat()} to {end.isoformat()}" if window else "",
            self.tables.snapshot,
        )
        return Snapshot(
            self.tables.query_name, self.tables.snapshot, row_count, start, end, widened
        )

    def acknowledged_definition(self) -> str | None:
        """The definition hash of the last fully acknowledged run, if any."""
        result = self.run(
            render_sql("read_definition", state_schema=self.tables.state_schema),
            {"sync_name": self.tables.sync_name},
        )
        return next(iter(result.rows()))[0]

    def record_definition(self, definition: str) -> None:
        self.run(
            render_sql("record_definition", state_schema=self.tables.state_schema),
            {
                "sync_name": self.tables.sync_name,
                "definition_hash": definition,
                "now_utc": utc_now(),
            },
        )

    def create_state(self) -> None:
        log.info(
            "creating the sync state of %s in schema %s",
            self.tables.sync_name,
            self.tables.state_schema,
        )
        self.create_tables(render_sql("create_state", state_table=self.tables.state))

    def create_tables(self, own: str) -> None:
        """Create the shared state tables and `own` (DDL text), in one request."""
        shared = render_sql(
            "create_shared_state", state_schema=self.tables.state_schema
        )
        statements = f"{shared};\n{own}"
        result = self.client.execute_multi(
            [s.strip() for s in statements.split(";") if s.strip()]
        )
        self.statement_handles.append(result.handle)

    def run(self, sql: str, bindings: Mapping[str, object] | None = None):
        """Execute one statement; create the state and retry if a table is missing."""
        try:
            result = self.client.execute(sql, dict(bindings or {}))
        except SnowflakeStatementError as error:
            if error.code != _OBJECT_DOES_NOT_EXIST:
                raise
            self.create_state()
            result = self.client.execute(sql, dict(bindings or {}))
        self.statement_handles.append(result.handle)
        return result


def _query_fault(error: SnowflakeStatementError) -> bool:
    """Whether the query itself is at fault: SQL state class 42 (syntax, an
    unknown object or column, a privilege) or 22 (its data, e.g. a failed cast).
    Anything else (an internal error) is Snowflake's, and may pass on a retry."""
    return (error.sql_state or "")[:2] in ("42", "22")


def _query_failed(query_name: str, error: SnowflakeStatementError) -> Exception:
    """Snowflake's refusal of an audience query, worded for the person who wrote it."""
    details = ", ".join(
        f"{label} {value}"
        for label, value in (
            ("code", error.code),
            ("statement handle", error.statement_handle),
        )
        if value is not None
    )
    return AudienceQueryError(
        f"query {query_name} failed in Snowflake: {error.message} ({details}); fix "
        f"connectors.snowflake.queries.{query_name} in tajo.yaml (it runs after a "
        "line of CREATE TABLE ... AS, so Snowflake's line N is the query's line "
        "N-1); nothing was sent to Brevo"
    )


def utc_now() -> datetime:
    """Now in UTC, naive, for the TIMESTAMP_NTZ columns of the state."""
    return datetime.now(UTC).replace(tzinfo=None)
