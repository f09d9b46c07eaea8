"""Change detection in the warehouse: what a run sends, removes and commits.

The plan is one table per sync, built by a single statement that joins the
audience snapshot with the sync state: every row gets its normalized key, a
fingerprint of its mapped values, a sequence number and an action (create,
update, relist, unchanged, duplicate, invalid). The engine reads only the rows
to send; after Brevo acknowledged them it commits their fingerprints from the
plan, so acknowledged state never travels out of Snowflake and back.
"""

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from tajo_assets.snowflake import Column
from tajo_assets.sync.keys import key_sql
from tajo_assets.sync.state import (
    SyncTables,
    WarehouseState,
    quote_identifier,
    render_sql,
    utc_now,
)

log = logging.getLogger("tajo_assets.sync")

SEND_ACTIONS = ("create", "update", "relist")
# Rejections are written in statements of at most this many rows.
REJECTION_ROWS_PER_STATEMENT = 500


@dataclass(frozen=True)
class PlanSummary:
    """The plan in numbers; `leaving` counts members a mirror would remove."""

    creates: int
    updates: int
    relists: int
    unchanged: int
    duplicates: int
    invalid: int
    retries: int
    audience_keys: int
    listed_before: int
    leaving: int

    @property
    def to_send(self) -> int:
        return self.creates + self.updates + self.relists


@dataclass(frozen=True)
class RowRejection:
    """A planned row that was not acknowledged: its sequence number and why."""

    seq: int
    key: str
    action: str
    reason: str
    by_brevo: bool


class Planner:
    """The plan statements of one sync, run through its `WarehouseState`."""

    def __init__(self, state: WarehouseState, run_id: str) -> None:
        self.state = state
        self.tables = state.tables
        self.run_id = run_id

    def snapshot_columns(self) -> list[Column]:
        """The snapshot's columns, read without reading a row."""
        result = self.state.run(
            render_sql("describe_snapshot", snapshot_table=self.tables.snapshot)
        )
        return list(result.columns)

    def build(
        self,
        columns: Sequence[Column],
        identifier: tuple[str, str],
        fingerprinted: Sequence[str],
        *,
        definition: str,
        list_id: int,
        full_resync: bool,
        incremental: bool,
    ) -> PlanSummary:
        """Create the plan table and summarize it.

        `identifier` is (kind, column); `fingerprinted` are the columns whose
        values Brevo receives. The definition is part of every fingerprint, so
        a changed mapping sends every row again. An incremental audience also
        reads back the rows earlier runs left unacknowledged (`pending`).
        """
        names = {column.name.upper(): column.name for column in columns}
        kind, identifier_column = identifier
        key_column = quote_identifier(names[identifier_column.upper()])
        pending = ""
        if incremental:
            kept = self._prepare_pending(columns, definition)
            pending = _pending_union(self.tables, kind, key_column, columns, kept)
        by_name = {column.name.upper(): column for column in columns}
        fragments = {
            "key": key_sql(kind, key_column),
            "fingerprint": _fingerprint([by_name[c.upper()] for c in fingerprinted]),
            "pending": pending,
        }
        self.state.run(
            render_sql("create_plan", fragments=fragments, **self._names()),
            {"definition": definition, "full_resync": full_resync, "list_id": list_id},
        )
        result = self.state.run(
            render_sql("summarize_plan", **self._names()),
            {"list_id": list_id, "complete": not incremental},
        )
        values = [int(value or 0) for value in next(iter(result.rows()))]
        return PlanSummary(*values)

    def _prepare_pending(self, columns: Sequence[Column], definition: str) -> set[str]:
        """The columns of the pending rows, which join this snapshot's by name.

        They are dropped when the definition changed since the last
        acknowledged run: the audience then reads every row again, and a row
        the new query leaves out must not be sent. A `SELECT *` whose source
        gained or lost a column keeps them (see `_pending_union`).
        """
        self.state.run(render_sql("create_pending", **self._names()))
        kept = self.state.run(render_sql("describe_pending", **self._names()))
        if self.state.acknowledged_definition() in (None, definition):
            return {column.name for column in kept.columns}
        log.info(
            "sync %s: the query or its mapping changed; rows left pending by "
            "earlier runs are dropped",
            self.tables.sync_name,
        )
        self.state.run(render_sql("reset_pending", **self._names()))
        return {column.name for column in columns}

    def record_invalid_rows(self) -> None:
        """Log the rows the plan refused (empty or repeated keys) as rejections."""
        self.state.run(
            render_sql("record_invalid_rows", **self._names()),
            {
                "run_id": self.run_id,
                "sync_name": self.tables.sync_name,
                "now_utc": utc_now(),
            },
        )

    def changes(self):
        """The rows to send, in sequence order, as a streaming result."""
        return self.state.run(render_sql("read_changes", **self._names()))

    def removals(self, list_id: int) -> Iterator[list[str]]:
        """Keys of members who left the audience, in key order, batch by batch."""
        result = self.state.run(
            render_sql("read_removals", **self._names()), {"list_id": list_id}
        )
        for batch in result.batches():
            yield [row[0] for row in batch]

    def record_rejections(self, rejections: Sequence[RowRejection]) -> None:
        """Write rejected rows to TAJO_REJECTIONS, a few hundred per statement."""
        for start in range(0, len(rejections), REJECTION_ROWS_PER_STATEMENT):
            chunk = rejections[start : start + REJECTION_ROWS_PER_STATEMENT]
            self.state.run(*_insert_rejections(self, chunk))

    def commit_sent(self, first_seq: int, last_seq: int, list_id: int) -> None:
        """Make the acknowledged rows first_seq..last_seq the state."""
        self.state.run(
            render_sql("commit_sent", **self._names()),
            {
                "run_id": self.run_id,
                "sync_name": self.tables.sync_name,
                "first_seq": first_seq,
                "last_seq": last_seq,
                "list_id": list_id,
                "now_utc": utc_now(),
            },
        )

    def commit_removed(self, last_key: str, list_id: int) -> None:
        """Record that every leaving member up to `last_key` is out of the list."""
        self.state.run(
            render_sql("commit_removed", **self._names()),
            {"last_key": last_key, "list_id": list_id, "now_utc": utc_now()},
        )

    def save_pending(
        self, columns: Sequence[Column], last_acknowledged_seq: int
    ) -> None:
        """Keep the unacknowledged rows of an incremental audience for the next run."""
        selected = ", ".join(f"plan.{quote_identifier(c.name)}" for c in columns)
        self.state.run(
            render_sql(
                "save_pending", fragments={"columns": selected}, **self._names()
            ),
            {
                "run_id": self.run_id,
                "sync_name": self.tables.sync_name,
                "last_acknowledged_seq": last_acknowledged_seq,
            },
        )

    def _names(self) -> dict[str, str]:
        return self.tables.names()


def _fingerprint(columns: Sequence[Column]) -> str:
    """SQL text of the string a row's fingerprint hashes.

    Each value is written as its length, a colon and its text, and NULL as "~",
    so no two different rows give the same string: "" and NULL differ, and no
    value can pass for a separator. Timestamps are hashed as the day Brevo
    receives (in the session timezone, the configured one), so a time that
    moves within a day sends nothing.
    """
    parts = [":definition"]
    for column in columns:
        text = f"CAST({_as_sent(column)} AS VARCHAR)"
        parts.append(f"COALESCE(LENGTH({text}) || ':' || {text}, '~')")
    return " || '|' || ".join(parts)


def _as_sent(column: Column) -> str:
    """The column as SQL, reduced to what its Brevo attribute holds."""
    quoted = quote_identifier(column.name)
    kind = column.type.lower()
    if kind == "timestamp_tz":
        # Its own offset would decide the day; Brevo's day is the configured
        # zone's, which is the session's: go through the instant.
        return f"CAST(CAST({quoted} AS TIMESTAMP_LTZ) AS DATE)"
    if kind in ("timestamp_ntz", "timestamp_ltz"):
        return f"CAST({quoted} AS DATE)"
    return quoted


def _pending_union(
    tables: SyncTables,
    kind: str,
    key_column: str,
    columns: Sequence[Column],
    kept: set[str],
) -> str:
    """Pending rows whose key the new snapshot does not carry again, with the
    snapshot's columns in its order (NULL for one the pending rows lack)."""
    selected = ", ".join(
        f"pending.{quote_identifier(c.name)}"
        if c.name in kept
        else f"NULL AS {quote_identifier(c.name)}"
        for c in columns
    )
    fragments = {
        "fresh_key": key_sql(kind, f"fresh.{key_column}"),
        "pending_key": key_sql(kind, f"pending.{key_column}"),
        "pending_columns": selected,
    }
    return render_sql("pending_union", fragments=fragments, **tables.names())


def _insert_rejections(
    planner: Planner, chunk: Sequence[RowRejection]
) -> tuple[str, dict[str, object]]:
    rows = ", ".join(
        f"(:seq_{i}, :key_{i}, :action_{i}, :reason_{i}, :by_{i})"
        for i in range(len(chunk))
    )
    sql = render_sql(
        "record_rejections", fragments={"rows": rows}, **planner.tables.names()
    )
    bindings: dict[str, object] = {
        "run_id": planner.run_id,
        "sync_name": planner.tables.sync_name,
        "now_utc": utc_now(),
    }
    for i, rejection in enumerate(chunk):
        bindings |= {
            f"seq_{i}": rejection.seq,
            f"key_{i}": rejection.key,
            f"action_{i}": rejection.action,
            f"reason_{i}": rejection.reason,
            f"by_{i}": "BREVO" if rejection.by_brevo else "TAJO",
        }
    return sql, bindings
