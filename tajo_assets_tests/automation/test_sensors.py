"""The source-change sensor against the running sandbox, over real HTTP.

Every test changes tables of its own sandbox (this package's session one), by
SQL through the SQL API, and reads LAST_ALTERED the way production does.
"""

import json

import dagster as dg
import pytest

from tajo_assets.automation.jobs import SYNC_JOB_NAME
from tajo_assets.automation.sensors import SENSOR_NAME
from tajo_assets_tests.assets.conftest import warehouse_client
from tajo_assets_tests.automation.support import FULL_QUERY

SEGMENTS = "MARKETING_DB.PUBLIC.CUSTOMER_SEGMENTS"
# Rewrites one row with its own values: a real DML statement that changes no
# data the other tests could notice.
TOUCH_SEGMENTS = """
UPDATE MARKETING_DB.PUBLIC.CUSTOMER_SEGMENTS SET LTV_SCORE = LTV_SCORE
WHERE EMAIL = (SELECT MIN(EMAIL) FROM MARKETING_DB.PUBLIC.CUSTOMER_SEGMENTS)
"""


def execute(env: dict[str, str], statement: str) -> None:
    with warehouse_client(env) as client:
        client.execute(statement)


class Sensor:
    """The project's sensor, evaluated tick by tick as the daemon would."""

    def __init__(self, definitions: dg.Definitions, instance: dg.DagsterInstance):
        self.definitions = definitions
        self.instance = instance
        self.sensor = definitions.resolve_sensor_def(SENSOR_NAME)

    def tick(self, cursor: str | None):
        context = dg.build_sensor_context(
            cursor=cursor,
            instance=self.instance,
            resources={"snowflake": self.definitions.resources["snowflake"]},
            repository_def=self.definitions.get_repository_def(),
        )
        return self.sensor.evaluate_tick(context)

    def open_window(self) -> str | None:
        partitions = self.definitions.resolve_job_def(SYNC_JOB_NAME).partitions_def
        return partitions.get_last_partition_key() if partitions else None


@pytest.fixture
def sensor(write_project, instance):
    def build(**project) -> Sensor:
        return Sensor(write_project(**project).definitions(), instance)

    return build


def test_the_first_tick_records_a_baseline_and_starts_nothing(sensor):
    data = sensor().tick(None)

    assert data.run_requests == []
    assert "First evaluation" in data.skip_message
    assert "baseline" in data.skip_message
    assert set(json.loads(data.cursor)) == {SEGMENTS}
    assert json.loads(data.cursor)[SEGMENTS] is not None


def test_without_a_change_no_run_is_requested(sensor):
    watcher = sensor()
    baseline = watcher.tick(None)

    data = watcher.tick(baseline.cursor)

    assert data.run_requests == []
    assert data.skip_message.startswith("No source table changed")
    assert data.cursor == baseline.cursor


def test_a_changed_source_table_starts_exactly_one_run_for_the_open_window(
    sensor, sandbox_env
):
    watcher = sensor()
    baseline = watcher.tick(None)

    execute(sandbox_env, TOUCH_SEGMENTS)
    windows = {watcher.open_window()}
    changed = watcher.tick(baseline.cursor)
    windows.add(watcher.open_window())
    again = watcher.tick(changed.cursor)

    [request] = changed.run_requests
    # The window that holds now (read before and after, in case a window
    # closed in between).
    assert request.partition_key in windows
    assert request.tags["tajo/changed_tables"] == "CUSTOMER_SEGMENTS"
    assert again.run_requests == []
    assert again.skip_message.startswith("No source table changed")


def test_one_change_seen_twice_gives_the_same_run_key(sensor, sandbox_env):
    watcher = sensor()
    baseline = watcher.tick(None)
    execute(sandbox_env, TOUCH_SEGMENTS)

    first = watcher.tick(baseline.cursor)
    repeated = watcher.tick(baseline.cursor)

    assert first.run_requests[0].run_key == repeated.run_requests[0].run_key


def test_a_full_audience_runs_without_a_partition(sensor, sandbox_env):
    watcher = sensor(query=FULL_QUERY)
    baseline = watcher.tick(None)

    execute(sandbox_env, TOUCH_SEGMENTS)
    [request] = watcher.tick(baseline.cursor).run_requests

    assert request.partition_key is None


def test_a_missing_table_is_named_and_its_creation_starts_a_run(sensor, sandbox_env):
    table = "MARKETING_DB.PUBLIC.LATE_ARRIVALS"
    watcher = sensor(query="SELECT email FROM late_arrivals")

    baseline = watcher.tick(None)
    execute(sandbox_env, f"CREATE TABLE {table} (EMAIL VARCHAR)")
    created = watcher.tick(baseline.cursor)

    assert "Not found in INFORMATION_SCHEMA" in baseline.skip_message
    assert table in baseline.skip_message
    assert json.loads(baseline.cursor) == {table: None}
    assert len(created.run_requests) == 1


def test_each_tick_is_one_bound_metadata_statement_per_database(sensor, sandbox):
    watcher = sensor()
    before = set(sandbox.snowflake.statements)

    watcher.tick(None)

    new = [
        record
        for handle, record in sandbox.snowflake.statements.items()
        if handle not in before
    ]
    [record] = new
    assert "MARKETING_DB.INFORMATION_SCHEMA.TABLES" in record.sql
    assert "CUSTOMER_SEGMENTS" not in record.sql
    assert [b["value"] for b in record.bindings.values()] == [
        "PUBLIC",
        "CUSTOMER_SEGMENTS",
    ]
