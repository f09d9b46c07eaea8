"""Runs the `tajo` command started and that died with it, found and closed.

`tajo sync` runs the job through `dagster job execute`, which runs it in the
command's own processes: no daemon watches such a run. When those processes are
killed (SIGKILL, a container stopped, a machine lost), the run stays STARTED in
Dagster's storage for ever, and so do the pool slots its steps held (assets use
pools `snowflake` and `brevo`, two slots each by default): after two such
deaths every later run waits for a `brevo` slot that nobody will free.

So the command holds an OS lock on a file in DAGSTER_HOME while its run lives,
and tags the run with `tajo/launched_by`. The kernel drops the lock with the
process, whatever killed it. The next command takes the lock; any tagged run
still in progress then has no living owner: it is marked failed, and its pool
slots are freed. Runs started by the UI, schedules or sensors are not tagged and
not touched; for those, Dagster's run monitoring (daemon) is the remedy.
"""

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg

LAUNCHED_BY_TAG = "tajo/launched_by"
LAUNCHED_BY_CLI = "tajo-cli"
LOCK_FILE = ".tajo_cli.lock"
IN_PROGRESS = [
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]


class CommandBusyError(RuntimeError):
    """Another `tajo` command is running a job on the same DAGSTER_HOME."""


@contextmanager
def owned_runs(dagster_home: str | None) -> Iterator[dict[str, str]]:
    """Hold the command's lock on `dagster_home` while its run lives.

    On entry, runs an earlier command left in progress are marked failed and
    their pool slots freed; yields the tags the new run must carry. Without a
    DAGSTER_HOME, Dagster keeps no run history between commands and there is
    nothing to guard. Raises `CommandBusyError` when another command holds the
    lock.
    """
    if not dagster_home or not Path(dagster_home).is_dir():
        # Dagster itself says what is wrong with a DAGSTER_HOME that is missing.
        yield {}
        return
    lock_path = Path(dagster_home) / LOCK_FILE
    with lock_path.open("a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise CommandBusyError(
                f"another tajo command is running a job with DAGSTER_HOME="
                f"{dagster_home} (it holds {lock_path}); wait for it to finish, "
                "then run this again"
            ) from None
        lock.seek(0)
        lock.truncate()
        lock.write(f"{os.getpid()}\n")
        lock.flush()
        close_orphaned_runs(dagster_home)
        yield {LAUNCHED_BY_TAG: LAUNCHED_BY_CLI}


def close_orphaned_runs(dagster_home: str) -> list[str]:
    """Mark failed the tagged runs still in progress, free their pool slots, and
    return their ids. Call only while holding the lock: then none has an owner."""
    with dg.DagsterInstance.from_config(dagster_home) as instance:
        orphans = instance.get_runs(
            filters=dg.RunsFilter(
                statuses=IN_PROGRESS, tags={LAUNCHED_BY_TAG: LAUNCHED_BY_CLI}
            )
        )
        for run in orphans:
            instance.report_run_failed(
                run,
                "the tajo command running this run stopped (killed or crashed) "
                "before the run ended; the next tajo command marked it failed and "
                "freed its pool slots",
            )
            instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
            print(
                f"tajo: run {run.run_id} was left in progress by a tajo command "
                "that died; marked it failed and freed its pool slots",
                flush=True,
            )
    return [run.run_id for run in orphans]
