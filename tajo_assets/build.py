"""Every Dagster definition of the project, built from one configuration."""

import logging

import dagster as dg

from tajo_assets.assets.brevo import build_contact_sync_asset
from tajo_assets.assets.warehouse import build_audience_asset
from tajo_assets.config import TajoConfig
from tajo_assets.resources import build_resources
from tajo_assets.schedules import build_sync_job, build_sync_schedule
from tajo_assets.sync.state import definition_hash

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
    assets = []
    if snowflake.enabled:
        mappings = {spec.query_name: spec.mapping.as_dict() for spec in config.syncs()}
        assets += [
            build_audience_asset(
                name, sql, config, definition_hash(sql, mappings.get(name))
            )
            for name, sql in config.queries().items()
        ]
    if snowflake.enabled and snowflake.sync.customers:
        assets += [build_contact_sync_asset(spec, config) for spec in config.syncs()]
    job = build_sync_job()
    return dg.Definitions(
        assets=assets,
        jobs=[job],
        schedules=[build_sync_schedule(config, job)],
        resources=build_resources(config),
        # Syncs are I/O-bound and run one after another; one process avoids
        # re-importing the code location for every step.
        executor=dg.in_process_executor,
    )
