"""The schedule from tajo.yaml: a partitioned job syncs the window each tick closed."""

from datetime import datetime
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from tajo_assets.automation.jobs import SERIAL_TAG, SYNC_JOB_NAME
from tajo_assets.automation.schedules import SCHEDULE_NAME
from tajo_assets.build import build_definitions
from tajo_assets_tests.automation.support import FULL_QUERY, project_text

MADRID = ZoneInfo("Europe/Madrid")


@pytest.fixture
def definitions(load_text):
    def build(query: str | None = None, **snowflake: str) -> dg.Definitions:
        settings = {"schedule": '"0 */6 * * *"', "timezone": "Europe/Madrid"}
        settings |= snowflake
        text = (
            project_text(**settings)
            if query is None
            else project_text(query, **settings)
        )
        return build_definitions(load_text(text))

    return build


def tick(definitions: dg.Definitions, at: datetime):
    """Evaluate the schedule as the daemon would at `at`."""
    schedule = definitions.resolve_schedule_def(SCHEDULE_NAME)
    context = dg.build_schedule_context(
        scheduled_execution_time=at, repository_def=definitions.get_repository_def()
    )
    return schedule.evaluate_tick(context)


@pytest.mark.parametrize(
    ("at", "window"),
    [
        pytest.param(datetime(2026, 6, 15, 12, 0, tzinfo=MADRID), "2026-06-15-06:00"),
        pytest.param(datetime(2026, 6, 16, 0, 0, tzinfo=MADRID), "2026-06-15-18:00"),
        # The night clocks go forward: the closed window is 5 hours long.
        pytest.param(datetime(2026, 3, 29, 6, 0, tzinfo=MADRID), "2026-03-29-00:00"),
        # A late tick (here 06:05) still syncs the window that closed, not the open one.
        pytest.param(datetime(2026, 6, 15, 6, 5, tzinfo=MADRID), "2026-06-15-00:00"),
    ],
    ids=["noon", "midnight", "clocks-forward", "late-tick"],
)
def test_each_tick_requests_the_window_it_closed_in_the_configured_timezone(
    definitions, at, window
):
    data = tick(definitions(), at)

    [request] = data.run_requests
    assert request.partition_key == window
    assert request.run_key == window


def test_the_closed_window_ends_at_the_tick(definitions):
    defs = definitions()
    partitions = defs.resolve_job_def(SYNC_JOB_NAME).partitions_def
    at = datetime(2026, 6, 15, 12, 0, tzinfo=MADRID)

    [request] = tick(defs, at).run_requests

    window = partitions.time_window_for_partition_key(request.partition_key)
    assert window.end == at
    assert window.start == datetime(2026, 6, 15, 6, 0, tzinfo=MADRID)


def test_a_window_before_partition_start_is_skipped_with_the_setting_named(
    definitions,
):
    defs = definitions(partition_start="2026-06-15")

    data = tick(defs, datetime(2026, 6, 15, 0, 0, tzinfo=MADRID))

    assert data.run_requests == []
    assert "connectors.snowflake.partition_start" in data.skip_message
    first = tick(defs, datetime(2026, 6, 15, 6, 0, tzinfo=MADRID))
    assert [r.partition_key for r in first.run_requests] == ["2026-06-15-00:00"]


def test_a_full_audience_is_scheduled_without_a_partition(definitions):
    defs = definitions(FULL_QUERY)

    data = tick(defs, datetime(2026, 6, 15, 12, 0, tzinfo=MADRID))

    [request] = data.run_requests
    assert request.partition_key is None
    assert defs.resolve_job_def(SYNC_JOB_NAME).partitions_def is None


@pytest.mark.parametrize("query", [None, FULL_QUERY], ids=["incremental", "full"])
def test_the_schedule_follows_tajo_yaml_and_starts_switched_on(definitions, query):
    schedule = definitions(query).resolve_schedule_def(SCHEDULE_NAME)

    assert schedule.cron_schedule == "0 */6 * * *"
    assert schedule.execution_timezone == "Europe/Madrid"
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    assert schedule.job_name == SYNC_JOB_NAME


def test_every_run_of_the_job_carries_the_tag_that_serializes_it(definitions):
    job = definitions().resolve_job_def(SYNC_JOB_NAME)

    assert job.tags[SERIAL_TAG] == SYNC_JOB_NAME
