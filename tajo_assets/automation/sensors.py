"""Start the sync when a source table changed, told by Snowflake's metadata.

Each tick reads `LAST_ALTERED` of the watched tables from
`<DATABASE>.INFORMATION_SCHEMA.TABLES`: one small statement per database, with
the schema and table names bound, which reads no row of the tables
themselves. Snowflake moves LAST_ALTERED on every DDL and DML statement (even
one that changed no row) and on some background maintenance, so a run may
find nothing to send; fingerprints then keep it from sending anything.

The cursor holds each table's last LAST_ALTERED (JSON), so one change starts
one run. The first tick only records them. A table that appears in the
watch list later is recorded the same way, without a run.
"""

import hashlib
import json
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

import dagster as dg

from tajo_assets.assets.sources import SOURCES_GROUP
from tajo_assets.automation.jobs import SYNC_JOB_NAME
from tajo_assets.automation.partitions import open_window_key

log = logging.getLogger("tajo_assets.automation")

SENSOR_NAME = f"{SYNC_JOB_NAME}_on_source_change"
# A bound on each metadata statement, so a tick stays inside Dagster's
# sensor timeout (60 s by default) even with a busy warehouse.
STATEMENT_TIMEOUT_S = 30
CHANGED_TABLES_TAG = "tajo/changed_tables"
_TAG_VALUE_MAX = 63

# A part in double quotes ("" for a quote inside) or a plain one, each
# followed by a `.` or the end of the name.
_NAME_PART = re.compile(r'(?:"(?P<quoted>(?:[^"]|"")*)"|(?P<plain>[^."]+))(?:\.|$)')
_PLAIN_IDENTIFIER = re.compile(r"[A-Z_][A-Z0-9_$]*")


class WatchedTable(NamedTuple):
    """A table as INFORMATION_SCHEMA names it: unquoted parts upper-cased."""

    database: str
    schema: str
    name: str

    @property
    def label(self) -> str:
        """DATABASE.SCHEMA.TABLE as Snowflake reads it (quoted where needed)."""
        return ".".join(_identifier(part) for part in self)


def watched_table(table: str) -> WatchedTable:
    """Parse DATABASE.SCHEMA.TABLE; ValueError for any other number of parts."""
    parts = [
        match["plain"].strip().upper()
        if match["quoted"] is None
        else match["quoted"].replace('""', '"')
        for match in _NAME_PART.finditer(table.strip())
    ]
    if len(parts) != 3 or not all(parts):
        raise ValueError(
            f"table {table!r} is not DATABASE.SCHEMA.TABLE; the sensor needs "
            "the database and schema of every table it watches (set "
            "connectors.snowflake.database and schema, or qualify the name)"
        )
    return WatchedTable(*parts)


def source_tables(assets: Iterable[Any]) -> list[str]:
    """Names of the source tables among `assets`: sources and the observed scores.

    Tables that Tajo's own models build are not sources: watching them would
    let each run start the next.
    """
    tables = set()
    for asset in assets:
        specs = asset.specs if isinstance(asset, dg.AssetsDefinition) else [asset]
        for spec in specs:
            name = spec.metadata.get("dagster/table_name")
            if spec.group_name == SOURCES_GROUP and isinstance(name, str):
                tables.add(name)
    return sorted(tables)


def read_last_altered(client: Any, tables: Sequence[WatchedTable]) -> dict[str, str]:
    """LAST_ALTERED (ISO 8601, UTC) per table label; missing tables are left out.

    `client` is either transport's client (`execute(statement, bindings)`).
    A table the role cannot see is missing too: INFORMATION_SCHEMA lists only
    what the role has privileges on.
    """
    found: dict[str, str] = {}
    by_database: dict[str, list[WatchedTable]] = {}
    for table in tables:
        by_database.setdefault(table.database, []).append(table)
    for database, members in sorted(by_database.items()):
        statement, bindings = _last_altered_statement(database, members)
        result = client.execute(statement, bindings, timeout_s=STATEMENT_TIMEOUT_S)
        for schema, name, last_altered in result.rows():
            label = WatchedTable(database, schema, name).label
            found[label] = _utc_text(last_altered)
    return found


def build_source_change_sensors(
    tables: Sequence[str],
    job,
    partitions: dg.TimeWindowPartitionsDefinition | None = None,
    *,
    running: bool = False,
    interval_s: int = 300,
) -> list[dg.SensorDefinition]:
    """The sensor that requests one run of `job` per change of `tables`.

    With `partitions`, the run is for the window that contains the tick
    (the open window: what changed so far). `running` sets its default status.
    A name without its database or schema is left out with a warning (the
    project still loads); with nothing left to watch there is no sensor.
    """
    watched = sorted(_watchable(tables))
    if not watched:
        return []
    return [_sensor(watched, job, partitions, running, interval_s)]


def _watchable(tables: Iterable[str]) -> set[WatchedTable]:
    watched = set()
    for table in tables:
        try:
            watched.add(watched_table(table))
        except ValueError as error:
            log.warning("source-change sensor: %s; it is not watched", error)
    return watched


def _sensor(
    watched: list[WatchedTable],
    job,
    partitions: dg.TimeWindowPartitionsDefinition | None,
    running: bool,
    interval_s: int,
) -> dg.SensorDefinition:
    @dg.sensor(
        name=SENSOR_NAME,
        job=job,
        minimum_interval_seconds=interval_s,
        default_status=dg.DefaultSensorStatus.RUNNING
        if running
        else dg.DefaultSensorStatus.STOPPED,
        required_resource_keys={"snowflake"},
        description=f"Runs {SYNC_JOB_NAME} when LAST_ALTERED of a source table "
        f"changes ({', '.join(table.label for table in watched)}); reads "
        "INFORMATION_SCHEMA only.",
    )
    def _on_source_change(context: dg.SensorEvaluationContext):
        with context.resources.snowflake.get_client() as client:
            current = read_last_altered(client, watched)
        return _evaluate(context, watched, current, partitions)

    return _on_source_change


def _evaluate(
    context: dg.SensorEvaluationContext,
    watched: Sequence[WatchedTable],
    current: Mapping[str, str],
    partitions: dg.TimeWindowPartitionsDefinition | None,
) -> dg.SensorResult:
    """Compare with the cursor and decide: baseline, skip or one run request."""
    seen = {table.label: current.get(table.label) for table in watched}
    cursor = json.dumps(seen, sort_keys=True)
    missing = sorted(label for label, value in seen.items() if value is None)
    previous = json.loads(context.cursor) if context.cursor else None
    if previous is None:
        return dg.SensorResult(
            skip_reason=f"First evaluation: recorded LAST_ALTERED of {len(seen)} "
            f"tables as the baseline; a later change starts {SYNC_JOB_NAME}."
            + _missing_note(missing),
            cursor=cursor,
        )
    changed = sorted(
        label
        for label, value in seen.items()
        if label in previous and value is not None and previous[label] != value
    )
    if not changed:
        return dg.SensorResult(
            skip_reason=f"No source table changed since the last check "
            f"({len(seen)} watched)." + _missing_note(missing),
            cursor=cursor,
        )
    return _run_for(context, changed, seen, partitions, cursor)


def _run_for(
    context: dg.SensorEvaluationContext,
    changed: list[str],
    seen: Mapping[str, str | None],
    partitions: dg.TimeWindowPartitionsDefinition | None,
    cursor: str,
) -> dg.SensorResult:
    key = None
    if partitions is not None:
        now = datetime.now(UTC)
        key = open_window_key(partitions, now)
        if key is None:
            return dg.SensorResult(
                skip_reason=f"{', '.join(changed)} changed, but now "
                f"({now.isoformat()}) is before the first partition "
                f"({partitions.start.isoformat()}); nothing to sync.",
                cursor=cursor,
            )
    context.log.info("source tables changed: %s", ", ".join(changed))
    request = dg.RunRequest(
        run_key=_run_key(changed, seen),
        partition_key=key,
        tags={CHANGED_TABLES_TAG: _tag_value(changed)},
    )
    return dg.SensorResult(run_requests=[request], cursor=cursor)


def _last_altered_statement(
    database: str, tables: Sequence[WatchedTable]
) -> tuple[str, dict[str, str]]:
    """One INFORMATION_SCHEMA query for `tables` of one database, names bound.

    The database is an identifier and cannot be bound; it comes from a parsed
    name and is written as Snowflake reads it (quoted where needed).
    """
    conditions, bindings = [], {}
    for index, table in enumerate(tables, start=1):
        conditions.append(
            f"(TABLE_SCHEMA = :schema_{index} AND TABLE_NAME = :table_{index})"
        )
        bindings |= {f"schema_{index}": table.schema, f"table_{index}": table.name}
    statement = (
        "SELECT TABLE_SCHEMA, TABLE_NAME, LAST_ALTERED\n"
        f"FROM {_identifier(database)}.INFORMATION_SCHEMA.TABLES\n"
        f"WHERE {' OR '.join(conditions)}"
    )
    return statement, bindings


def _identifier(part: str) -> str:
    if _PLAIN_IDENTIFIER.fullmatch(part):
        return part
    return '"' + part.replace('"', '""') + '"'


def _utc_text(value: Any) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat()
    return str(value)


def _run_key(changed: list[str], seen: Mapping[str, str | None]) -> str:
    """The same change gives the same key: Dagster then starts no second run."""
    text = json.dumps({label: seen[label] for label in changed}, sort_keys=True)
    return "source-change-" + hashlib.sha256(text.encode()).hexdigest()[:16]


def _tag_value(changed: list[str]) -> str:
    # Dagster tag values are short; the run log names every table.
    names = [label.rsplit(".", 1)[-1] for label in changed]
    value = ",".join(names)
    return value if len(value) <= _TAG_VALUE_MAX else f"{len(changed)} tables"


def _missing_note(missing: list[str]) -> str:
    if not missing:
        return ""
    return (
        f" Not found in INFORMATION_SCHEMA (dropped, misspelled or not granted "
        f"to the role): {', '.join(missing)}."
    )
