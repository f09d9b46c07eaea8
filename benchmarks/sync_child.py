"""One sync run for the benchmark, in a process of its own so its memory is its own.

`python -m benchmarks.sync_child CONFIG` materializes the audience and the sync
of the project at CONFIG in this process (Dagster's in-process executor) and
prints one JSON line: the wall time and both assets' metadata. With
TAJO_BENCH_PROFILE set it runs under cProfile and writes its statistics there.
"""

import cProfile
import json
import os
import sys
import time
from pathlib import Path

import dagster as dg

from tajo_assets.build import build_definitions
from tajo_assets.config import load_config

SYNC_NAME = "bench_contacts"
# Set by `sync_bench --profile`: where the run's cProfile statistics go.
PROFILE_VARIABLE = "TAJO_BENCH_PROFILE"


def main(config_path: str) -> int:
    definitions = build_definitions(load_config(Path(config_path)))
    job = definitions.resolve_job_def("tajo_sync")
    selection = [
        dg.AssetKey(["snowflake", SYNC_NAME]),
        dg.AssetKey(["brevo", SYNC_NAME]),
    ]
    started = time.perf_counter()
    with dg.instance_for_test() as instance:
        result = job.execute_in_process(
            instance=instance, asset_selection=selection, raise_on_error=False
        )
    wall_s = time.perf_counter() - started
    metadata = {}
    for key in selection:
        events = result.asset_materializations_for_node("__".join(key.path))
        if events:
            metadata["/".join(key.path)] = {
                # Lists (import process ids, handles) as their lengths.
                name: len(value.value) if isinstance(value.value, list) else value.value
                for name, value in events[0].metadata.items()
                if isinstance(value.value, int | float | str | list)
            }
    peak = own_peak_rss_kb()
    print(
        json.dumps(
            {
                "ok": result.success,
                "wall_s": wall_s,
                "peak_rss_kb": peak,
                "metadata": metadata,
            }
        )
    )
    return 0 if result.success else 1


def own_peak_rss_kb() -> int | None:
    """This process's peak resident memory since it started its program.

    Not getrusage: Linux carries ru_maxrss across exec, so a child forked from
    a large parent reports the parent's size. VmHWM belongs to this program's
    own address space. None where /proc is not there.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def profiled(config_path: str, stats_path: str) -> int:
    """`main` under cProfile, its statistics written to `stats_path`."""
    profile = cProfile.Profile()
    try:
        return profile.runcall(main, config_path)
    finally:
        profile.dump_stats(stats_path)


if __name__ == "__main__":
    stats = os.environ.get(PROFILE_VARIABLE)
    sys.exit(profiled(sys.argv[1], stats) if stats else main(sys.argv[1]))
