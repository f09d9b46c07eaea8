"""The schedule from `connectors.snowflake.schedule`, in its timezone.

It starts switched on: a schedule written in tajo.yaml is one the user asked
for. When the sync job is partitioned (some query uses `:last_sync`), each tick
requests the window that the tick has just closed, never the one it opens:
the closed window holds every row stamped in it, the open one has barely
begun. The window key is the run key, so a window is scheduled once.
"""

from datetime import UTC, datetime

import dagster as dg

from tajo_assets.automation.jobs import SYNC_JOB_NAME
from tajo_assets.automation.partitions import closed_window_key
from tajo_assets.config import TajoConfig

SCHEDULE_NAME = f"{SYNC_JOB_NAME}_schedule"


def build_sync_schedule(
    config: TajoConfig,
    job,
    partitions: dg.TimeWindowPartitionsDefinition | None = None,
) -> dg.ScheduleDefinition:
    """Run `job` on the configured cron; with `partitions`, one closed window a tick."""
    snowflake = config.snowflake
    settings = {
        "name": SCHEDULE_NAME,
        "job": job,
        "cron_schedule": snowflake.schedule,
        "execution_timezone": snowflake.timezone,
        "default_status": dg.DefaultScheduleStatus.RUNNING,
    }
    when = f"'{snowflake.schedule}' ({snowflake.timezone}), as set in tajo.yaml"
    if partitions is None:
        return dg.ScheduleDefinition(
            description=f"Runs {SYNC_JOB_NAME} on {when}.", **settings
        )
    return dg.ScheduleDefinition(
        execution_fn=_closed_window_requests(partitions),
        description=f"Runs {SYNC_JOB_NAME} on {when}, each time for the window "
        "that just closed.",
        **settings,
    )


def _closed_window_requests(partitions: dg.TimeWindowPartitionsDefinition):
    def request_closed_window(context: dg.ScheduleEvaluationContext):
        # Set on every daemon tick; a hand-built context may leave it out.
        tick = context.scheduled_execution_time or datetime.now(UTC)
        key = closed_window_key(partitions, tick)
        if key is None:
            return dg.SkipReason(
                f"The window that closed at {tick.isoformat()} starts before the "
                f"first partition ({partitions.start.isoformat()}); nothing to "
                "sync. Set connectors.snowflake.partition_start earlier to "
                "include it."
            )
        return dg.RunRequest(run_key=key, partition_key=key)

    return request_closed_window
