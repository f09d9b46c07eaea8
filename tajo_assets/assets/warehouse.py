"""Warehouse assets: audiences materialized by SQL that runs in Snowflake."""

import time
from collections.abc import Sequence

import dagster as dg

from tajo_assets.assets.failures import configuration_errors_as_failures
from tajo_assets.config import TajoConfig
from tajo_assets.snowflake import SnowflakeSqlApiResource
from tajo_assets.sync.state import (
    WarehouseState,
    snapshot_table,
)

WAREHOUSE_GROUP = "warehouse"


def audience_key(query_name: str) -> dg.AssetKey:
    return dg.AssetKey(["snowflake", query_name])


def build_audience_asset(
    query_name: str,
    sql: str,
    config: TajoConfig,
    definition: str,
    upstream: Sequence[dg.AssetKey] = (),
) -> dg.AssetsDefinition:
    """The audience of one configured query, snapshotted in the state schema.

    The query runs entirely in Snowflake (CREATE TABLE ... AS), with `:last_sync`
    bound to the last watermark Brevo acknowledged; no row leaves the warehouse.
    `definition` is the hash of the query and its sync's mapping (see
    `tajo_assets.sync.state.definition_hash`); `upstream` are the assets of the
    tables the query reads (lineage only: nothing is passed between them).
    """
    state_schema = config.snowflake.state_schema

    @dg.asset(
        key=audience_key(query_name),
        deps=list(upstream),
        group_name=WAREHOUSE_GROUP,
        kinds={"snowflake"},
        pool="snowflake",
        description=f"Audience `{query_name}` from tajo.yaml, run in Snowflake into "
        f"`{snapshot_table(state_schema, query_name)}`.",
        metadata={"sql": dg.MetadataValue.md(f"```sql\n{sql.strip()}\n```")},
    )
    def _audience(snowflake: SnowflakeSqlApiResource) -> dg.MaterializeResult:
        started = time.monotonic()
        with configuration_errors_as_failures(), snowflake.get_client() as client:
            state = WarehouseState(client, state_schema)
            snapshot = state.take_snapshot(query_name, sql, definition)
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": snapshot.row_count,
                "rows": snapshot.row_count,
                "snapshot_table": snapshot.table,
                "as_of": snapshot.as_of.isoformat(),
                "last_sync": snapshot.last_sync.isoformat(),
                "snowflake_statements": len(state.statement_handles),
                "statement_handles": dg.MetadataValue.json(state.statement_handles),
                "snowflake_elapsed_s": round(time.monotonic() - started, 3),
            }
        )

    return _audience
