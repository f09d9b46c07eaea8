"""The one job that runs every sync, and the run tags it understands."""

from collections.abc import Mapping, Sequence

import dagster as dg

SYNC_JOB_NAME = "tajo_sync"

# Every run of the job carries this tag; dagster.yaml lets one run with it go
# at a time, since runs of one sync share its snapshot tables in Snowflake.
SERIAL_TAG = "tajo/job"
# Read by the sync assets: re-send every row / go past the shrink guard.
FULL_RESYNC_TAG = "tajo/full_resync"
FORCE_TAG = "tajo/force"


def tag_is_set(tags: Mapping[str, str], tag: str) -> bool:
    """Whether run `tags` set `tag` to true (yes, 1 and true count)."""
    return tags.get(tag, "").strip().lower() in ("true", "yes", "1")


def build_sync_job(
    observed: Sequence[dg.AssetKey] = (),
):
    """Observations, models, audiences, their checks and the Brevo syncs, in
    dependency order.

    `AssetSelection.all()` leaves out observable source assets, so the observed
    ones (the ML scores) are added by key; their steps then run first, since
    the models depend on them. Plain external sources have nothing to run.
    The job is partitioned when its incremental assets are.
    """
    return dg.define_asset_job(
        SYNC_JOB_NAME,
        selection=dg.AssetSelection.all() | dg.AssetSelection.assets(*observed),
        description="Observe the ML scores, build the models and audiences in "
        "Snowflake, check them, then sync them to Brevo.",
        tags={SERIAL_TAG: SYNC_JOB_NAME},
    )
