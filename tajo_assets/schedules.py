"""The cron schedule from `connectors.snowflake.schedule`."""

from collections.abc import Sequence

import dagster as dg

from tajo_assets.config import TajoConfig

SYNC_JOB_NAME = "tajo_sync"


def build_sync_job(observed: Sequence[dg.AssetKey] = ()):
    """Observations, models, audiences, their checks and the Brevo syncs, in
    dependency order.

    `AssetSelection.all()` leaves out observable source assets, so the observed
    ones (the ML scores) are added by key; their steps then run first, since
    the models depend on them. Plain external sources have nothing to run.
    """
    return dg.define_asset_job(
        SYNC_JOB_NAME,
        selection=dg.AssetSelection.all() | dg.AssetSelection.assets(*observed),
        description="Observe the ML scores, build the models and audiences in "
        "Snowflake, check them, then sync them to Brevo.",
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
