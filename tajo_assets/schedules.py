"""The cron schedule from `connectors.snowflake.schedule`."""

import dagster as dg

from tajo_assets.config import TajoConfig

SYNC_JOB_NAME = "tajo_sync"


def build_sync_job():
    """Every warehouse audience and every Brevo sync, in dependency order."""
    return dg.define_asset_job(
        SYNC_JOB_NAME,
        selection=dg.AssetSelection.all(),
        description="Materialize the audiences in Snowflake, then sync them to Brevo.",
    )


def build_sync_schedule(config: TajoConfig, job) -> dg.ScheduleDefinition:
    snowflake = config.snowflake
    return dg.ScheduleDefinition(
        name=f"{SYNC_JOB_NAME}_schedule",
        job=job,
        cron_schedule=snowflake.schedule,
        execution_timezone=snowflake.timezone,
        description=f"Runs {SYNC_JOB_NAME} on '{snowflake.schedule}' "
        f"({snowflake.timezone}), as set in tajo.yaml.",
    )
