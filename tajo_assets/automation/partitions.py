"""Time-window partitions of incremental syncs, cut by the configured cron.

An audience query that uses `:last_sync` (the window's start) or `:window_end`
is incremental: each run reads the rows of one window (or of a range of windows
in a backfill), bound from the partition. A query with only `:last_sync` reads
everything since the window started; add `AND updated_at < :window_end` to read
exactly the window.
The windows follow `connectors.snowflake.schedule` in its timezone, so every
scheduled tick closes exactly one window. The window still open is a partition
too (`end_offset=1`), so a sensor or a person can sync what changed so far; the
tick that closes it reads it again, and fingerprints keep that from resending.

The first window is the first one that starts at or after
`connectors.snowflake.partition_start` (minute precision).
"""

from datetime import datetime
from zoneinfo import ZoneInfo

import dagster as dg

from tajo_assets.config import TajoConfig
from tajo_assets.snowflake import placeholder_names

PARTITION_FORMAT = "%Y-%m-%d-%H:%M"
DEFAULT_PARTITION_START = "2026-01-01-00:00"


def is_incremental(sql: str) -> bool:
    """Whether an audience query reads a window (`:last_sync`, `:window_end`)
    or everything."""
    return bool({"last_sync", "window_end"} & placeholder_names(sql))


def sync_partitions(config: TajoConfig) -> dg.TimeWindowPartitionsDefinition:
    """The windows of every incremental audience and sync of `config`."""
    snowflake = config.snowflake
    return dg.TimeWindowPartitionsDefinition(
        cron_schedule=snowflake.schedule,
        start=partition_start(config),
        fmt=PARTITION_FORMAT,
        timezone=snowflake.timezone,
        end_offset=1,
    )


def job_partitions(config: TajoConfig) -> dg.TimeWindowPartitionsDefinition | None:
    """The windows of the sync job: None when no query is incremental."""
    if not config.snowflake.enabled:
        return None
    if not any(is_incremental(sql) for sql in config.queries().values()):
        return None
    return sync_partitions(config)


def partition_start(config: TajoConfig) -> str:
    """`partition_start` as Dagster's start string, in the configured timezone.

    A naive value is a wall-clock time there; one with an offset is converted.
    """
    snowflake = config.snowflake
    start = snowflake.partition_start
    if start is None:
        return DEFAULT_PARTITION_START
    if start.tzinfo is not None:
        start = start.astimezone(ZoneInfo(snowflake.timezone)).replace(tzinfo=None)
    return start.strftime(PARTITION_FORMAT)


def closed_window_key(
    partitions: dg.TimeWindowPartitionsDefinition, tick: datetime
) -> str | None:
    """The last window that ended at or before `tick` (aware), if it is a partition.

    A schedule on the partitions' own cron ticks exactly when a window ends;
    that window, not the one the tick opens, is complete. None when the window
    starts before the first partition.
    """
    key = partitions.get_partition_key_for_timestamp(tick.timestamp(), end_closed=True)
    window = partitions.time_window_for_partition_key(key)
    if window.end > tick:
        # A tick off the cron falls inside a window; the one before it ended.
        key = partitions.get_partition_key_for_timestamp(
            window.start.timestamp(), end_closed=True
        )
    return key if partitions.has_partition_key(key) else None


def open_window_key(
    partitions: dg.TimeWindowPartitionsDefinition, now: datetime
) -> str | None:
    """The window that contains `now` (aware), if it is a partition."""
    key = partitions.get_partition_key_for_timestamp(now.timestamp())
    return key if partitions.has_partition_key(key) else None


WINDOW_KEY_SHAPE = "YYYY-MM-DD-HH:MM"


def window_key_problem(
    partitions: dg.TimeWindowPartitionsDefinition, key: str
) -> str | None:
    """Why `key` is not the start of a window, naming the nearest; None if it is.

    Dagster takes partition range tags as given, and a mistyped key would
    read the window it falls in, or one that has not started.
    """
    try:
        if partitions.has_partition_key(key):
            return None
    except OverflowError:
        pass  # a year like 9999 is past what the calendar can step through
    nearest = _nearest_keys(partitions, key)
    hint = f"; try {' or '.join(nearest)}" if nearest else ""
    return (
        f"{key} is not the start of a window of tajo_sync{hint}. Windows follow "
        f"connectors.snowflake.schedule ({partitions.cron_schedule}) in "
        f"{partitions.timezone}, keyed {WINDOW_KEY_SHAPE}, from "
        f"{partitions.get_first_partition_key()} to the open window "
        f"{partitions.get_last_partition_key()}"
    )


def _nearest_keys(partitions: dg.TimeWindowPartitionsDefinition, key: str) -> list[str]:
    """The windows that hold and follow the moment `key` spells, clamped to
    the first and the open window; none when `key` spells no moment."""
    try:
        moment = datetime.strptime(key, PARTITION_FORMAT)
        instant = moment.replace(tzinfo=ZoneInfo(partitions.timezone)).timestamp()
        holding = partitions.get_partition_key_for_timestamp(instant)
        following = partitions.get_partition_key_for_timestamp(
            partitions.end_time_for_partition_key(holding).timestamp()
        )
    except (ValueError, OverflowError):
        # Not a moment, or one too far off for the calendar (0001, 9999).
        return []
    valid = [k for k in (holding, following) if partitions.has_partition_key(k)]
    if valid:
        return valid
    first = partitions.get_first_partition_key()
    before_first = partitions.start_time_for_partition_key(first).timestamp() > instant
    return [first if before_first else partitions.get_last_partition_key()]
