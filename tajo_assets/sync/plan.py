"""Change detection in the warehouse: what a run sends, removes and commits.

The plan is one table per sync, built by a single statement that joins the
audience snapshot with the sync state: every row gets its normalized key, a
fingerprint of its mapped values, a sequence number and an action (create,
update, relist, unchanged, duplicate, invalid). The engine reads only the rows
to send; after Brevo acknowledged them it commits their fingerprints from the
plan, so acknowledged state never travels out of Snowflake and back.
"""

import itertools
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
    # Members of one segment's list whose row now belongs in another's.
    moving: int = 0

    @property
    def to_send(self) -> int:
        return self.creates + self.updates + self.relists

    @property
    def removals(self) -> int:
        return self.leaving + self.moving


@dataclass(frozen=True)
class ListTargets:
    """Which Brevo list each row belongs in: one list for every row, or the
    list of the row's value in `segment_column` (`segment_lists`: value -> id).

    Rows whose segment value has no list (NULL) belong in no list: they are
    left out of the plan, like rows outside the audience.
    """

    list_id: int | None = None
    segment_column: str | None = None
    segment_lists: tuple[tuple[str, int], ...] = ()

    @property
    def by_segment(self) -> bool:
        return self.segment_column is not None


@dataclass(frozen=True)
class Removals:
    """Which members leave their list: `leavers` (rows that left a complete
    audience, for a mirror) and `movers` (rows now in another segment's list)."""

    leavers: bool
    movers: bool


@dataclass(frozen=True)
class RowRejection:
    """A planned row that was not acknowledged: its sequence number, the action
    it was sent for, and why, as a short code (Brevo's when Brevo refused it)
    and a sentence."""

    seq: int
    key: str
    action: str
    code: str
    reason: str
    by_brevo: bool


class Planner:
    """The plan statements of one sync, run through its `WarehouseState`."""

    def __init__(self, state: WarehouseState, run_id: str) -> None:
        self.state = state
        self.tables = state.tables
        self.run_id = run_id
        self._removals = Removals(leavers=False, movers=False)
        self._rejections_have_code = False
        self._tracks_filled = False

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
        filled: Sequence[tuple[str, str]] = (),
        definition: str,
        lists: ListTargets,
        removals: Removals,
        full_resync: bool,
        incremental: bool,
        dry_run: bool = False,
    ) -> PlanSummary:
        """Create the plan table and summarize it.

        `identifier` is (kind, column); `fingerprinted` are the columns whose
        values Brevo receives. The definition is part of every fingerprint, so
        a changed mapping sends every row again. An incremental audience also
        reads back the rows earlier runs left unacknowledged (`pending`).
        `filled` are the (column, attribute) of set_if_empty attributes: the
        state records which of them Brevo acknowledged a value of, per key,
        and only whether such a column is NULL counts in the fingerprint.
        """
        names = {column.name.upper(): column.name for column in columns}
        kind, identifier_column = identifier
        key_column = quote_identifier(names[identifier_column.upper()])
        pending = ""
        if incremental:
            kept = self._prepare_pending(columns, definition, dry_run)
            if kept is not None:
                pending = _pending_union(self.tables, kind, key_column, columns, kept)
        by_name = {column.name.upper(): column for column in columns}
        target, join, list_bindings = _list_sql(lists, names)
        filled_columns = {column.upper() for column, _ in filled}
        filled_sql, filled_bindings = self._filled_sql(filled, names)
        fragments = {
            "key": key_sql(kind, key_column),
            "fingerprint": _fingerprint(
                [by_name[c.upper()] for c in fingerprinted], filled_columns
            ),
            "pending": pending,
            "target_list": target,
            "list_join": join,
            "filled": filled_sql,
        }
        self.state.run(
            render_sql("create_plan", fragments=fragments, **self._names()),
            {
                "definition": definition,
                "full_resync": full_resync,
                **list_bindings,
                **filled_bindings,
            },
        )
        self._removals = removals
        conditions = _removal_conditions(self.tables.plan, "state", removals)
        result = self.state.run(
            render_sql("summarize_plan", fragments=conditions, **self._names())
        )
        values = [int(value or 0) for value in next(iter(result.rows()))]
        return PlanSummary(*values)

    def _filled_sql(
        self, filled: Sequence[tuple[str, str]], names: dict[str, str]
    ) -> tuple[str, dict[str, object]]:
        """The plan's TAJO_FILLED (what the state says this sync filled) and
        TAJO_FILLED_AFTER (that, plus what this row fills), with bindings.

        State tables made before set_if_empty existed lack FILLED: it is
        added first (one statement, only for syncs that use the policy).
        """
        self._tracks_filled = bool(filled)
        if not filled:
            return "", {}
        self.state.run(render_sql("add_filled_column", **self._names()))
        terms, bindings = [], {}
        for i, (column, attribute) in enumerate(filled):
            quoted = f"counted.{quote_identifier(names[column.upper()])}"
            terms.append(
                f"CASE WHEN CONTAINS(COALESCE(state.FILLED, ''), :filled_{i}) "
                f"OR {quoted} IS NOT NULL THEN :attribute_{i} || '|' ELSE '' END"
            )
            bindings |= {f"filled_{i}": f"|{attribute}|", f"attribute_{i}": attribute}
        after = " || ".join(["'|'", *terms])
        sql = f",\n    state.FILLED AS TAJO_FILLED,\n    {after} AS TAJO_FILLED_AFTER"
        return sql, bindings

    def segment_values(self, column: str, incremental: bool) -> list[str]:
        """The distinct values of a segment column in the snapshot (and the rows
        an incremental audience left pending), NULL left out, in order."""
        pending = ""
        if incremental:
            self.state.run(render_sql("create_pending", **self._names()))
            pending = render_sql(
                "pending_segments",
                fragments={"column": quote_identifier(column)},
                pending_table=self.tables.pending,
            )
        result = self.state.run(
            render_sql(
                "read_segments",
                fragments={"column": quote_identifier(column), "pending": pending},
                **self._names(),
            )
        )
        return [row[0] for batch in result.batches() for row in batch]

    def _prepare_pending(
        self, columns: Sequence[Column], definition: str, dry_run: bool
    ) -> set[str] | None:
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
        if dry_run:
            # A real run would drop them; a dry run leaves them and plans
            # without them (None: no pending rows).
            return None
        log.info(
            "sync %s: the query or its mapping changed; rows left pending by "
            "earlier runs are dropped",
            self.tables.sync_name,
        )
        self.state.run(render_sql("reset_pending", **self._names()))
        return {column.name for column in columns}

    def record_invalid_rows(self) -> None:
        """Log the rows the plan refused (empty or repeated keys) as rejections."""
        self._add_rejection_code()
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

    def removals(self) -> Iterator[tuple[int, list[str]]]:
        """Members who must leave a list, as (list id, keys in key order)."""
        result = self.state.run(
            render_sql(
                "read_removals", fragments=self._leaving("state"), **self._names()
            )
        )
        for batch in result.batches():
            for list_id, rows in itertools.groupby(batch, key=lambda row: row[1]):
                yield int(list_id), [row[0] for row in rows]

    def record_rejections(self, rejections: Sequence[RowRejection]) -> None:
        """Write rejected rows to TAJO_REJECTIONS, a few hundred per statement."""
        if rejections:
            self._add_rejection_code()
        for start in range(0, len(rejections), REJECTION_ROWS_PER_STATEMENT):
            chunk = rejections[start : start + REJECTION_ROWS_PER_STATEMENT]
            self.state.run(*_insert_rejections(self, chunk))

    def _add_rejection_code(self) -> None:
        """Give a TAJO_REJECTIONS made before the CODE column that column, once
        per run and only in runs that reject rows."""
        if not self._rejections_have_code:
            self.state.run(render_sql("add_rejection_code", **self._names()))
            self._rejections_have_code = True

    def commit_sent(self, first_seq: int, last_seq: int) -> None:
        """Make the acknowledged rows first_seq..last_seq the state, each in the
        list the plan put it in."""
        self.state.run(
            render_sql(
                "commit_sent",
                fragments=_filled_commit(self._tracks_filled),
                **self._names(),
            ),
            {
                "run_id": self.run_id,
                "sync_name": self.tables.sync_name,
                "first_seq": first_seq,
                "last_seq": last_seq,
                "now_utc": utc_now(),
            },
        )

    def commit_removed(self, last_key: str, list_id: int) -> None:
        """Record that every member up to `last_key` who had to leave list
        `list_id` is out of it."""
        self.state.run(
            render_sql(
                "commit_removed",
                fragments=self._leaving(self.tables.state),
                **self._names(),
            ),
            {"last_key": last_key, "list_id": list_id, "now_utc": utc_now()},
        )

    def _leaving(self, state: str) -> dict[str, str]:
        conditions = _removal_conditions(self.tables.plan, state, self._removals)
        return {"leaving": conditions["leaving"]}

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


def _list_sql(
    lists: ListTargets, names: dict[str, str]
) -> tuple[str, str, dict[str, object]]:
    """The plan's TAJO_LIST_ID expression, its join, and their bindings.

    Segment values and list ids enter as bindings of a VALUES list; the
    inner join leaves out rows whose segment has no list.
    """
    if not lists.by_segment:
        return "CAST(:list_id AS NUMBER)", "", {"list_id": lists.list_id}
    column = quote_identifier(names[lists.segment_column.upper()])
    rows = ", ".join(
        f"(:segment_{i}, CAST(:list_{i} AS NUMBER))"
        for i in range(len(lists.segment_lists))
    )
    join = (
        f"JOIN (VALUES {rows}) AS segment_lists (SEGMENT, LIST_ID) "
        f"ON segment_lists.SEGMENT = TRIM(CAST(source.{column} AS VARCHAR))"
    )
    bindings: dict[str, object] = {}
    for i, (segment, list_id) in enumerate(lists.segment_lists):
        bindings |= {f"segment_{i}": segment, f"list_{i}": list_id}
    return "segment_lists.LIST_ID", join, bindings


def _removal_conditions(
    plan_table: str, state: str, removals: Removals
) -> dict[str, str]:
    """SQL conditions on a state row `state`: it left the audience, it moved to
    another list, and either that makes it leave (per `removals`)."""
    names = {"plan_table": plan_table, "state": state}
    left = _without_comment(render_sql("left_audience", **names))
    moved = _without_comment(render_sql("moved_list", **names))
    chosen = [c for c, on in ((left, removals.leavers), (moved, removals.movers)) if on]
    return {
        "left_audience": left if removals.leavers else "FALSE",
        "moved": moved if removals.movers else "FALSE",
        "leaving": " OR ".join(chosen) or "FALSE",
    }


def _without_comment(condition: str) -> str:
    """A condition file's SQL without its leading `--` comment line."""
    return "\n".join(
        line for line in condition.splitlines() if not line.startswith("--")
    )


def _fingerprint(columns: Sequence[Column], presence_only: set[str]) -> str:
    """SQL text of the string a row's fingerprint hashes.

    Each value is written as its length, a colon and its text, and NULL as "~",
    so no two different rows give the same string: "" and NULL differ, and no
    value can pass for a separator. Timestamps are hashed as the day Brevo
    receives (in the session timezone, the configured one), so a time that
    moves within a day sends nothing. Columns in `presence_only` (set_if_empty
    attributes, upper-case names) count only as NULL or not: once filled, a
    new value is not sent, so it must not make the row change.
    """
    parts = [":definition"]
    for column in columns:
        if column.name.upper() in presence_only:
            quoted = quote_identifier(column.name)
            parts.append(f"CASE WHEN {quoted} IS NULL THEN '~' ELSE 'set' END")
            continue
        text = f"CAST({_as_sent(column)} AS VARCHAR)"
        parts.append(f"COALESCE(LENGTH({text}) || ':' || {text}, '~')")
    return " || '|' || ".join(parts)


def _filled_commit(tracks_filled: bool) -> dict[str, str]:
    """The pieces of commit_sent that carry TAJO_FILLED_AFTER into the state."""
    if not tracks_filled:
        return dict.fromkeys(
            ("filled_select", "filled_update", "filled_column", "filled_value"), ""
        )
    return {
        "filled_select": ",\n        plan.TAJO_FILLED_AFTER AS FILLED",
        "filled_update": ",\n    FILLED = acknowledged.FILLED",
        "filled_column": ", FILLED",
        "filled_value": ",\n        acknowledged.FILLED",
    }


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
        f"(:seq_{i}, :key_{i}, :action_{i}, :code_{i}, :reason_{i}, :by_{i})"
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
            f"code_{i}": rejection.code,
            f"reason_{i}": rejection.reason,
            f"by_{i}": "BREVO" if rejection.by_brevo else "TAJO",
        }
    return sql, bindings
