"""Source assets: the warehouse tables Tajo reads but does not build.

Plain sources (orders, contacts, any table an audience query reads) are
`AssetSpec`s in group `sources`, so lineage starts at them. The ML scores are
written by a job outside this project; Tajo observes them with one cheap
statement per run and checks their freshness against `scores_freshness_hours`.
"""

import logging
import time
import warnings
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta

import dagster as dg

from tajo_assets.assets.failures import configuration_errors_as_failures
from tajo_assets.config.models import ModelsConfig
from tajo_assets.models import customer_scores_observation
from tajo_assets.snowflake import SnowflakeSqlApiResource

log = logging.getLogger("tajo_assets.sync")

SOURCES_GROUP = "sources"
# The metadata key Dagster's freshness checks read for the time an observed
# asset's data last changed (dagster/_core/.../asset_check_factories/utils.py).
LAST_UPDATED_TIMESTAMP = "dagster/last_updated_timestamp"


def table_key(table: str) -> dg.AssetKey:
    """The asset key of a warehouse table: its lower-case name parts."""
    return dg.AssetKey([part.lower() for part in table.split(".")])


def build_source_specs(tables: Iterable[str]) -> list[dg.AssetSpec]:
    """One external asset per table, in group `sources`."""
    return [
        dg.AssetSpec(
            key=table_key(table),
            group_name=SOURCES_GROUP,
            kinds={"snowflake"},
            description=f"Table `{table}`, maintained outside Tajo.",
            metadata={"dagster/table_name": table},
        )
        for table in sorted(set(tables))
    ]


def tables_read_by(sql: str, database: str | None, schema: str | None) -> list[str]:
    """The tables a query reads, as DATABASE.SCHEMA.TABLE where known.

    Unqualified names are completed with the configured database and schema;
    unquoted parts are upper-cased as Snowflake does, and names of the query's
    own CTEs are left out. Returns [] (and logs a warning) when the query
    cannot be parsed or sqlglot is not installed: lineage is a convenience,
    never a reason to fail loading.
    """
    try:
        # sqlglot comes with fakesnow (the sandbox extra); imported here so a
        # production install without it still loads, only without lineage.
        import sqlglot
        from sqlglot import exp
    except ImportError:
        log.warning("lineage: sqlglot is not installed, so audiences have no upstream")
        return []
    try:
        tree = sqlglot.parse_one(sql, dialect="snowflake")
    except sqlglot.errors.SqlglotError as error:
        log.warning("lineage: cannot parse a query, so it has no upstream: %s", error)
        return []
    ctes = {cte.alias_or_name.upper() for cte in tree.find_all(exp.CTE)}
    tables = set()
    for table in tree.find_all(exp.Table):
        parts = _name_parts(table)
        if not parts or (len(parts) == 1 and parts[0].upper() in ctes):
            continue
        defaults = [database, schema][: 3 - len(parts)]
        if all(defaults):
            parts = [*(name.upper() for name in defaults), *parts]
        tables.add(".".join(parts))
    return sorted(tables)


def _name_parts(table) -> list[str]:
    """Catalog, schema and name of a sqlglot table reference; unquoted parts
    upper-cased, quoted ones kept as written."""
    parts = []
    for key in ("catalog", "db", "this"):
        node = table.args.get(key)
        if node is not None and node.key == "identifier" and node.name:
            parts.append(node.name if node.quoted else node.name.upper())
    return parts


def build_customer_scores_asset(models: ModelsConfig) -> dg.AssetsDefinition:
    """The ML scores table, observed: row count, latest SCORE_DATE, data version.

    The data version changes when either changes, so downstream models show as
    stale in the UI. `dagster/last_updated_timestamp` is the latest SCORE_DATE
    (midnight UTC), which the freshness check compares with the window.
    """
    key = table_key(models.customer_scores)
    spec = dg.AssetSpec(
        key=key,
        group_name=SOURCES_GROUP,
        kinds={"snowflake"},
        description=f"ML scores in `{models.customer_scores}` (EMAIL, PREDICTED_LTV, "
        "CHURN_SCORE, SCORE_DATE), written by a job outside Tajo; observed, never "
        "materialized.",
        metadata={"dagster/table_name": models.customer_scores},
    )
    statement = customer_scores_observation(models)
    with warnings.catch_warnings():
        # Observable sources are beta in Dagster 1.13, yet they are its way to
        # watch a table built elsewhere; the warning would repeat at every load.
        warnings.simplefilter("ignore", dg.BetaWarning)
        return _observable(spec, statement)


def _observable(spec: dg.AssetSpec, statement: str) -> dg.AssetsDefinition:
    """The observation step: one statement, one `ObserveResult`."""
    key = spec.key

    @dg.multi_observable_source_asset(specs=[spec], name="observe_customer_scores")
    def _observe(snowflake: SnowflakeSqlApiResource) -> Iterator[dg.ObserveResult]:
        started = time.monotonic()
        with configuration_errors_as_failures(), snowflake.get_client() as client:
            result = client.execute(statement)
            row_count, latest = next(iter(result.rows()))
        yield dg.ObserveResult(
            asset_key=key,
            data_version=dg.DataVersion(f"{row_count}:{latest or '-'}"),
            metadata=_observation_metadata(
                int(row_count), latest, result.handle, time.monotonic() - started
            ),
        )

    return _observe


def _observation_metadata(
    row_count: int, latest: date | None, handle: str, elapsed_s: float
) -> dict:
    metadata = {
        "dagster/row_count": row_count,
        "latest_score_date": latest.isoformat() if latest else "",
        "snowflake_statements": 1,
        "statement_handles": dg.MetadataValue.json([handle]),
        "snowflake_elapsed_s": round(elapsed_s, 3),
    }
    if latest is not None:
        midnight = datetime.combine(latest, datetime.min.time(), tzinfo=UTC)
        metadata[LAST_UPDATED_TIMESTAMP] = dg.MetadataValue.timestamp(midnight)
    return metadata


def build_scores_freshness_checks(
    models: ModelsConfig, scores: dg.AssetsDefinition
) -> list[dg.AssetChecksDefinition]:
    """A check that warns when the latest SCORE_DATE is older than the window.

    Dagster 1.13's `FreshnessPolicy` judges only materializations, and an
    observed asset has none, so the freshness check (which reads
    `dagster/last_updated_timestamp` from observations) is what shows the ML
    scores as fresh or overdue. Severity WARN: stale scores do not stop a sync.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.SupersessionWarning)
        checks = dg.build_last_update_freshness_checks(
            assets=[scores],
            lower_bound_delta=timedelta(hours=models.scores_freshness_hours),
            severity=dg.AssetCheckSeverity.WARN,
        )
    return list(checks)
