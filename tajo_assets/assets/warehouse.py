"""Warehouse assets: audiences materialized by SQL that runs in Snowflake."""

import time
from collections.abc import Sequence

import dagster as dg

from tajo_assets.assets.failures import configuration_errors_as_failures
from tajo_assets.automation.jobs import FULL_RESYNC_TAG, tag_is_set
from tajo_assets.automation.partitions import window_key_problem
from tajo_assets.config import TajoConfig
from tajo_assets.snowflake import SnowflakeSqlApiResource
from tajo_assets.sync.state import SyncTables, WarehouseState

WAREHOUSE_GROUP = "warehouse"


def audience_key(query_name: str) -> dg.AssetKey:
    return dg.AssetKey(["snowflake", query_name])


def build_audience_asset(
    tables: SyncTables,
    sql: str,
    config: TajoConfig,
    definition: str,
    upstream: Sequence[dg.AssetKey] = (),
    partitions_def: dg.TimeWindowPartitionsDefinition | None = None,
) -> dg.AssetsDefinition:
    """The audience of one configured query, snapshotted in the state schema.

    The query runs entirely in Snowflake (CREATE TABLE ... AS); no row leaves
    the warehouse. With `partitions_def` the query is incremental: `:last_sync`
    and `:window_end` are bound to the run's window (a range of windows in a
    backfill). `definition` is the hash of the query and its sync's mapping;
    `upstream` are the assets of the tables the query reads (lineage only).
    """
    query_name = tables.query_name
    window_text = (
        " for the run's time window (`:last_sync` to `:window_end`)"
        if partitions_def
        else ""
    )

    @dg.asset(
        key=audience_key(query_name),
        deps=list(upstream),
        group_name=WAREHOUSE_GROUP,
        kinds={"snowflake"},
        pool="snowflake",
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run() if partitions_def else None,
        description=f"Audience `{query_name}` from tajo.yaml, run in Snowflake into "
        f"`{tables.snapshot}`{window_text}.",
        metadata={"sql": dg.MetadataValue.md(f"```sql\n{sql.strip()}\n```")},
    )
    def _audience(
        context: dg.AssetExecutionContext, snowflake: SnowflakeSqlApiResource
    ) -> dg.MaterializeResult:
        started = time.monotonic()
        window = None
        if partitions_def is not None:
            _check_window_keys(context, partitions_def)
            span = context.partition_time_window
            window = (span.start, span.end)
        with configuration_errors_as_failures(), snowflake.get_client() as client:
            state = WarehouseState(client, tables)
            snapshot = state.take_snapshot(
                sql,
                definition,
                window,
                full_resync=tag_is_set(context.run.tags, FULL_RESYNC_TAG),
            )
        metadata = {
            "dagster/row_count": snapshot.row_count,
            "rows": snapshot.row_count,
            "snapshot_table": snapshot.table,
            "snowflake_statements": len(state.statement_handles),
            "statement_handles": dg.MetadataValue.json(state.statement_handles),
            "snowflake_elapsed_s": round(time.monotonic() - started, 3),
        }
        if snapshot.window_start is not None and snapshot.window_end is not None:
            metadata |= {
                "window_start": snapshot.window_start.isoformat(),
                "window_end": snapshot.window_end.isoformat(),
                "window_widened": snapshot.widened,
            }
        return dg.MaterializeResult(metadata=metadata)

    return _audience


def _check_window_keys(
    context: dg.AssetExecutionContext,
    partitions_def: dg.TimeWindowPartitionsDefinition,
) -> None:
    """Refuse a range whose ends are not window starts (see window_key_problem)."""
    keys = context.partition_key_range
    problems = {window_key_problem(partitions_def, k) for k in (keys.start, keys.end)}
    problems.discard(None)
    if problems:
        raise dg.Failure("; ".join(sorted(problems)), allow_retries=False)
