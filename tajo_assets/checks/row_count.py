"""Row-count collapse: a table that shrank too much since its previous snapshot.

A query that silently broke (a join on a renamed key, a filter on a new
status value) often still succeeds, with far fewer rows. The previous count
comes from the Dagster instance: the latest earlier materialization whose run
did not fail this check.
Incremental audiences (`:last_sync`) change size by design; never attach this
check to them.
"""

import math
from decimal import Decimal

import dagster as dg
from dagster._core.storage.asset_check_execution_record import (
    AssetCheckExecutionRecordStatus,
)

from tajo_assets.assets.failures import configuration_errors_as_failures
from tajo_assets.checks.profile import SnapshotProfiler
from tajo_assets.snowflake import SnowflakeSqlApiResource

ROW_COUNT_CHECK = "row_count_not_collapsed"
# How many earlier materializations are searched for one that passed the check.
REFERENCE_LOOKBACK = 20
_ROW_COUNT_KEYS = ("dagster/row_count", "rows")


def materialized_row_counts(
    instance: dg.DagsterInstance,
    asset_key: dg.AssetKey,
    check_name: str = ROW_COUNT_CHECK,
) -> tuple[int | None, int | None]:
    """Row counts of the latest materialization and of the reference before it.

    The reference is the newest earlier materialization whose run did not fail
    this check: a collapsed snapshot that was stopped must not become the
    count the next run is held to, or simply running again would let the
    collapse through. Only the last REFERENCE_LOOKBACK materializations are
    looked at. None where there is no such materialization, or it recorded no
    count.
    """
    records = instance.fetch_materializations(
        asset_key, limit=REFERENCE_LOOKBACK
    ).records
    if not records:
        return None, None
    failed = instance.event_log_storage.get_asset_check_execution_history(
        dg.AssetCheckKey(asset_key, check_name),
        limit=REFERENCE_LOOKBACK,
        status={AssetCheckExecutionRecordStatus.FAILED},
    )
    failed_runs = {execution.run_id for execution in failed}
    earlier = (r for r in records[1:] if r.run_id not in failed_runs)
    reference = next(earlier, None)
    return _row_count(records[0]), _row_count(reference) if reference else None


def _row_count(record: dg.EventLogRecord) -> int | None:
    materialization = record.asset_materialization
    metadata = materialization.metadata if materialization else {}
    for key in _ROW_COUNT_KEYS:
        if key in metadata:
            return int(metadata[key].value)
    return None


def row_count_result(
    asset_key: dg.AssetKey,
    current: int,
    previous: int | None,
    max_drop: float,
    *,
    check_name: str = ROW_COUNT_CHECK,
    metadata: dict[str, object] | None = None,
) -> dg.AssetCheckResult:
    """Pass unless `current` < (1 - max_drop) x `previous`.

    The bound is computed exactly (a drop of exactly `max_drop` passes) and
    reported as `minimum_rows`, the smallest whole row count that passes.
    """
    metadata = {"rows": current, "max_row_count_drop": max_drop, **(metadata or {})}
    if not previous:
        return dg.AssetCheckResult(
            asset_key=asset_key,
            check_name=check_name,
            passed=True,
            metadata=metadata,
            description="no earlier non-empty row count to compare with; this one "
            "becomes the reference",
        )
    metadata["previous_rows"] = previous
    minimum = minimum_rows(previous, max_drop)
    drop = 1 - current / previous
    metadata |= {"drop": round(drop, 4), "minimum_rows": minimum}
    passed = current >= minimum
    return dg.AssetCheckResult(
        asset_key=asset_key,
        check_name=check_name,
        passed=passed,
        metadata=metadata,
        description=_describe(current, previous, drop, max_drop, passed),
    )


def minimum_rows(previous: int, max_drop: float) -> int:
    """The fewest rows that keep a drop from `previous` within `max_drop`.

    Hazard: in floating point (1 - 0.7) x 10 is 3.0000000000000004, which
    would fail 3 rows, a drop of exactly 70%. The setting is read as the
    decimal it was written as, and the bound rounded up to a whole row.
    """
    bound = (1 - Decimal(str(max_drop))) * previous
    return math.ceil(bound)


def _describe(
    current: int, previous: int, drop: float, max_drop: float, passed: bool
) -> str:
    trend = f"{drop:.0%} fewer" if drop >= 0 else f"{-drop:.0%} more"
    change = f"{current} rows against {previous} before ({trend})"
    if passed:
        return f"{change}; checks.max_row_count_drop allows {max_drop:.0%}"
    return (
        f"{change}, more than checks.max_row_count_drop ({max_drop:.0%}) allows. "
        "Look for a query or upstream table that lost rows; if the drop is real, "
        "raise max_row_count_drop in tajo.yaml for one run (1 turns it off)"
    )


def build_row_count_check(
    asset_key: dg.AssetKey,
    table: str,
    *,
    max_drop: float = 0.5,
    name: str = ROW_COUNT_CHECK,
) -> dg.AssetChecksDefinition:
    """A blocking check that `table` (the asset's full table) has not collapsed.

    It counts `table` now (one COUNT(*), answered from Snowflake's metadata) and
    compares with the row count (`dagster/row_count` or `rows` metadata) of the
    asset's materialization before the latest. Only for assets that rebuild a
    whole table; an asset that records no row count is never blocked.
    """

    @dg.asset_check(
        asset=asset_key,
        name=name,
        blocking=True,
        pool="snowflake",
        description=f"`{table}` keeps at least {1 - max_drop:.0%} of the rows of "
        "the previous materialization (checks.max_row_count_drop); a collapse "
        "blocks everything downstream.",
    )
    def _row_count_check(
        context: dg.AssetCheckExecutionContext, snowflake: SnowflakeSqlApiResource
    ) -> dg.AssetCheckResult:
        _, previous = materialized_row_counts(context.instance, asset_key, name)
        with configuration_errors_as_failures(), snowflake.get_client() as client:
            profiler = SnapshotProfiler(client, table)
            current = profiler.row_count()
        return row_count_result(
            asset_key,
            current,
            previous,
            max_drop,
            check_name=name,
            metadata=statement_metadata(profiler.statement_handles),
        )

    return _row_count_check


def statement_metadata(handles: list[str]) -> dict[str, object]:
    """How many statements a check ran, and their handles (for QUERY_HISTORY)."""
    return {
        "snowflake_statements": dg.MetadataValue.int(len(handles)),
        "statement_handles": dg.MetadataValue.json(handles),
    }
