"""Source assets: the warehouse tables Tajo reads but does not build.

Plain sources (orders, contacts, any table an audience query reads) are
`AssetSpec`s in group `sources`, so lineage starts at them. The ML scores are
written by a job outside this project; Tajo observes them with one cheap
statement per run and checks their freshness against `scores_freshness_hours`.
"""

import logging
import re
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
_PLAIN_PART = re.compile(r"[A-Z_][A-Z0-9_$]*")
# A quoted part (with "" for a quote inside) or an unquoted one, each followed
# by a `.` or the end of the name.
_NAME_PART = re.compile(r'(?:"(?P<quoted>(?:[^"]|"")*)"|(?P<plain>[^."]+))(?:\.|$)')
_NOT_IN_KEY = re.compile(r"[^a-z0-9_.-]")
# The metadata key Dagster's freshness checks read for the time an observed
# asset's data last changed (dagster/_core/.../asset_check_factories/utils.py).
LAST_UPDATED_TIMESTAMP = "dagster/last_updated_timestamp"


def table_key(table: str) -> dg.AssetKey:
    """The asset key of a warehouse table: its lower-case name parts.

    `table` is a name as `tables_read_by` writes it (a part in double quotes
    when it needs them) or a configured plain name. Each quoted part stays one
    key part, even with a `.` inside; characters Dagster refuses in a key part
    become `_` (`"Audience 2024"` -> `audience_2024`), so no table name can
    stop the code location from loading.
    """
    return dg.AssetKey([_key_part(part) for part in name_parts(table)])


def name_parts(table: str) -> list[str]:
    """The parts of a possibly quoted DATABASE.SCHEMA.TABLE name, unquoted.

    `"a.b"` is one part `a.b`, and `""` inside quotes is one `"`. Unquoted
    parts are returned as written.
    """
    return [
        match["plain"]
        if match["quoted"] is None
        else match["quoted"].replace('""', '"')
        for match in _NAME_PART.finditer(table)
    ]


def quoted_name(parts: Iterable[str]) -> str:
    """DATABASE.SCHEMA.TABLE as Snowflake reads it: a part in double quotes
    unless it is a plain upper-case identifier, which means the same unquoted."""
    return ".".join(
        part if _PLAIN_PART.fullmatch(part) else '"' + part.replace('"', '""') + '"'
        for part in parts
    )


def _key_part(part: str) -> str:
    # Dagster derives op input names from key parts and accepts only
    # [A-Za-z0-9_] there once `-` and `.` are replaced; anything else fails
    # the whole code location.
    return _NOT_IN_KEY.sub("_", part.lower())


def build_source_specs(tables: Iterable[str]) -> list[dg.AssetSpec]:
    """One external asset per asset key, in group `sources`.

    Tables whose keys coincide (`"customers"` read by a query, CUSTOMERS
    configured) give one asset, the first name in sort order: two assets with
    one key would stop the code location from loading.
    """
    return [
        dg.AssetSpec(
            key=table_key(table),
            group_name=SOURCES_GROUP,
            kinds={"snowflake"},
            description=f"Table `{table}`, maintained outside Tajo.",
            metadata={"dagster/table_name": table},
        )
        for table in _one_per_key(sorted(set(tables)))
    ]


def tables_read_by(sql: str, database: str | None, schema: str | None) -> list[str]:
    """The tables a query reads, as DATABASE.SCHEMA.TABLE where known.

    Unqualified names are completed with the configured database and schema;
    unquoted parts are upper-cased as Snowflake does, a part that needs them
    keeps its double quotes (`MARKETING_DB.PUBLIC."Audience 2024"`), and names
    of the query's own CTEs are left out. Returns [] (and logs a warning) when
    the query cannot be parsed or sqlglot is not installed; skips (with a
    warning) a name it cannot read and a table whose asset key another table
    already has. Lineage is a convenience, never a reason to fail loading.
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
    tables = []
    for table in tree.find_all(exp.Table):
        parts = _name_parts(table)
        if not parts or (len(parts) == 1 and parts[0].upper() in ctes):
            continue
        defaults = [database, schema][: 3 - len(parts)]
        if all(defaults):
            parts = [*(name.upper() for name in defaults), *parts]
        tables.append(quoted_name(parts))
    return _one_per_key(sorted(set(tables)))


def _name_parts(table) -> list[str]:
    """Catalog, schema and name of a sqlglot table reference; unquoted parts
    upper-cased, quoted ones kept as written. [] for a reference that is not
    a table name (a table function) or has more than three parts."""
    parts = []
    for key in ("catalog", "db", "this"):
        node = table.args.get(key)
        if node is None:
            continue
        if node.key != "identifier":
            if key == "this" and node.key == "dot":
                log.warning(
                    "lineage: %s has more than three name parts; it is left out",
                    table.sql(dialect="snowflake"),
                )
            return []
        if node.name:
            parts.append(node.name if node.quoted else node.name.upper())
    return parts


def _one_per_key(tables: list[str]) -> list[str]:
    """Drop a table whose asset key an earlier one has (`"MixedCase"` and
    `MIXEDCASE` are both `mixedcase`): one upstream per key."""
    kept: dict[dg.AssetKey, str] = {}
    for table in tables:
        key = table_key(table)
        if key in kept:
            log.warning(
                "lineage: %s and %s share the asset key %s; only the first is shown",
                kept[key],
                table,
                key.to_user_string(),
            )
            continue
        kept[key] = table
    return list(kept.values())


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
