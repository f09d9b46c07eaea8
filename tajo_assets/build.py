"""Every Dagster definition of the project, built from one configuration."""

import logging
import warnings

import dagster as dg

from tajo_assets.assets.brevo import build_contact_sync_asset
from tajo_assets.assets.events import build_event_sync_asset
from tajo_assets.assets.models import build_model_assets, produced_tables
from tajo_assets.assets.sources import (
    build_customer_scores_asset,
    build_scores_freshness_checks,
    build_source_specs,
    table_key,
    tables_read_by,
)
from tajo_assets.assets.warehouse import build_audience_asset
from tajo_assets.automation.jobs import build_sync_job
from tajo_assets.automation.partitions import (
    is_incremental,
    job_partitions,
    sync_partitions,
)
from tajo_assets.automation.schedules import build_sync_schedule
from tajo_assets.automation.sensors import build_source_change_sensors, source_tables
from tajo_assets.checks import build_checks, build_row_count_check
from tajo_assets.config import SyncSpec, TajoConfig
from tajo_assets.resources import build_resources
from tajo_assets.sync.state import SyncTables, definition_hash, sync_definition

# Incremental audiences and syncs run a range of windows as one run (see
# tajo_assets.automation.partitions); Dagster marks that parameter as beta.
warnings.filterwarnings(
    "ignore", message="Parameter `backfill_policy`", category=dg.BetaWarning
)

# Dagster sets the level of the loggers it manages (`tajo_assets`, see
# dagster.yaml) when a run starts; levels set on these children still decide.
TAJO_LOGGERS = (
    "tajo_assets.config",
    "tajo_assets.snowflake",
    "tajo_assets.brevo",
    "tajo_assets.sync",
)


def _set_log_levels(level: int) -> None:
    """Apply tajo.yaml's log_level/debug to our loggers, inside Dagster runs too."""
    for name in TAJO_LOGGERS:
        logging.getLogger(name).setLevel(level)


def build_definitions(config: TajoConfig) -> dg.Definitions:
    """Assets, job, schedule and resources for one configuration."""
    _set_log_levels(config.python_log_level)
    # httpx logs every URL at INFO, and Brevo URLs can hold an email address.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    snowflake = config.snowflake
    assets, source_checks, observed = [], [], []
    if snowflake.enabled:
        assets, source_checks = _warehouse_assets(config)
        observed = [key for a in assets if _observes(a) for key in a.keys]
    if snowflake.enabled and snowflake.sync.customers:
        assets += [_contact_sync_asset(config, spec) for spec in config.syncs()]
        assets += [_event_sync_asset(config, spec) for spec in config.event_syncs()]
    job = build_sync_job(observed)
    partitions = job_partitions(config)
    return dg.Definitions(
        assets=assets,
        asset_checks=[*source_checks, *build_checks(config)],
        jobs=[job],
        schedules=[build_sync_schedule(config, job, partitions)],
        sensors=_sensors(config, assets, job, partitions),
        resources=build_resources(config),
        # Syncs are I/O-bound and run one after another; one process avoids
        # re-importing the code location for every step.
        executor=dg.in_process_executor,
    )


def _sensors(config: TajoConfig, assets: list, job, partitions) -> list:
    """The source-change sensor, when there are source tables to watch."""
    snowflake = config.snowflake
    return build_source_change_sensors(
        source_tables(assets),
        job,
        partitions,
        running=snowflake.sync_on_change,
        interval_s=snowflake.sync_on_change_interval_s,
    )


def _warehouse_assets(config: TajoConfig) -> tuple[list, list]:
    """Sources, models and audiences, each audience depending on what it reads.

    A table an audience reads is produced by a model, observed (the ML
    scores) or else shown as an external source, so lineage reads sources,
    then models, then audiences.
    """
    assets, checks, produced = [], [], {}
    sources: set[str] = set()
    models = config.models
    if models is not None:
        scores = build_customer_scores_asset(models)
        model_assets = build_model_assets(models)
        assets += [scores, *model_assets]
        checks += build_scores_freshness_checks(models, scores)
        checks += _model_row_count_checks(config, model_assets)
        produced = produced_tables(models)
        sources |= {models.orders, models.customers}
    by_key = {table_key(table): key for table, key in produced.items()}
    specs = {spec.query_name: spec for spec in config.syncs()}
    for name, sql in config.queries().items():
        tables = tables_read_by(
            sql, config.snowflake.database, config.snowflake.schema_
        )
        # Matched by key, not text: "customer_scores" quoted and unquoted
        # differ as names but would be the same asset.
        sources |= {table for table in tables if table_key(table) not in by_key}
        upstream = [
            by_key.get(table_key(table)) or table_key(table) for table in tables
        ]
        spec = specs.get(name)
        definition = (
            definition_hash(sql, None) if spec is None else sync_definition(spec)
        )
        assets.append(
            build_audience_asset(
                _tables(config, name),
                sql,
                config,
                definition,
                upstream,
                sync_partitions(config) if is_incremental(sql) else None,
            )
        )
    assets += build_source_specs(sources - set(produced))
    return assets, checks


def _tables(config: TajoConfig, query_name: str) -> SyncTables:
    """The state tables of the sync a query feeds (its own name if none)."""
    sync = next((s.name for s in config.syncs() if s.query_name == query_name), None)
    return SyncTables(config.snowflake.state_schema, sync or query_name, query_name)


def _contact_sync_asset(config: TajoConfig, spec: SyncSpec) -> dg.AssetsDefinition:
    partitions = sync_partitions(config) if is_incremental(spec.sql) else None
    return build_contact_sync_asset(
        spec, config, _tables(config, spec.query_name), partitions
    )


def _event_sync_asset(config: TajoConfig, spec) -> dg.AssetsDefinition:
    partitions = sync_partitions(config) if is_incremental(spec.sql) else None
    return build_event_sync_asset(spec, config, partitions)


def _model_row_count_checks(
    config: TajoConfig, model_assets: list[dg.AssetsDefinition]
) -> list[dg.AssetChecksDefinition]:
    """The models rebuild whole tables, so a collapse there is always a fault."""
    tables = {key: table for table, key in produced_tables(config.models).items()}
    return [
        build_row_count_check(
            key, tables[key], max_drop=config.checks.max_row_count_drop
        )
        for model in model_assets
        for key in model.keys
    ]


def _observes(asset: dg.AssetsDefinition | dg.AssetSpec) -> bool:
    return isinstance(asset, dg.AssetsDefinition) and asset.is_observable
