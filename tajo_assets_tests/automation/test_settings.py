"""The automation settings of tajo.yaml: first window, the sensor's switch and pace."""

import dagster as dg
import pytest

from tajo_assets.automation.partitions import partition_start
from tajo_assets.automation.sensors import SENSOR_NAME
from tajo_assets.build import build_definitions
from tajo_assets_tests.automation.support import project_text
from tajo_assets_tests.config.support import SNOWFLAKE_ONLY, line_about

SNOWFLAKE = "connectors.snowflake"


def _snowflake_with(*settings: str) -> str:
    return SNOWFLAKE_ONLY + "".join(f"    {setting}\n" for setting in settings)


@pytest.mark.parametrize(
    ("setting", "key", "expected"),
    [
        pytest.param(
            "partition_start: soon",
            "partition_start",
            "got 'soon'; expected a date such as 2026-01-01, or a date and time",
            id="start-words",
        ),
        pytest.param(
            "partition_start: 20260101",
            "partition_start",
            "got 20260101; expected a date such as 2026-01-01",
            id="start-number",
        ),
        pytest.param(
            "partition_start: '2026-13-01'",
            "partition_start",
            "got '2026-13-01'; expected a date",
            id="start-month-13-quoted",
        ),
        pytest.param(
            "sync_on_change: sometimes",
            "sync_on_change",
            "got 'sometimes'",
            id="switch-not-boolean",
        ),
        pytest.param(
            "sync_on_change_interval_s: 5",
            "sync_on_change_interval_s",
            "got 5",
            id="interval-too-short",
        ),
        pytest.param(
            "sync_on_change_interval_s: true",
            "sync_on_change_interval_s",
            "expected a whole number, not true or false",
            id="interval-boolean",
        ),
    ],
)
def test_a_bad_automation_setting_names_the_key_and_what_is_allowed(
    load_error, setting, key, expected
):
    message = load_error(_snowflake_with(setting))

    assert expected in line_about(message, f"{SNOWFLAKE}.{key}")


def test_an_impossible_unquoted_date_is_a_configuration_error(load_error):
    message = load_error(_snowflake_with("partition_start: 2026-02-30"))

    assert "a date in the file does not exist" in message
    assert "2026-01-31" in message


@pytest.mark.parametrize(
    ("written", "timezone", "start"),
    [
        pytest.param("2026-03-01", "Europe/Madrid", "2026-03-01-00:00", id="date"),
        pytest.param(
            "'2026-03-01 06:00'", "Europe/Madrid", "2026-03-01-06:00", id="wall-clock"
        ),
        pytest.param(
            "2026-03-01T06:00:00+00:00",
            "Europe/Madrid",
            "2026-03-01-07:00",
            id="offset-converted-to-the-timezone",
        ),
        pytest.param(
            "${START}", "UTC", "2026-04-01-12:00", id="from-an-environment-variable"
        ),
    ],
)
def test_partition_start_is_read_in_the_configured_timezone(
    load_text, written, timezone, start
):
    config = load_text(
        _snowflake_with(f"partition_start: {written}", f"timezone: {timezone}"),
        env={"START": "2026-04-01T12:00"},
    )

    assert partition_start(config) == start


def test_partition_start_defaults_to_the_start_of_2026(load_text):
    assert partition_start(load_text(SNOWFLAKE_ONLY)) == "2026-01-01-00:00"


@pytest.mark.parametrize(
    ("setting", "status"),
    [
        pytest.param(None, dg.DefaultSensorStatus.STOPPED, id="default-stopped"),
        pytest.param("false", dg.DefaultSensorStatus.STOPPED, id="false-stopped"),
        pytest.param("true", dg.DefaultSensorStatus.RUNNING, id="true-running"),
    ],
)
def test_sync_on_change_decides_whether_the_sensor_starts_running(
    load_text, setting, status
):
    settings = {} if setting is None else {"sync_on_change": setting}
    settings["sync_on_change_interval_s"] = "600"
    definitions = build_definitions(load_text(project_text(**settings)))

    sensor = definitions.resolve_sensor_def(SENSOR_NAME)

    assert sensor.default_status == status
    assert sensor.minimum_interval_seconds == 600


def test_without_database_and_schema_the_project_loads_without_a_sensor(
    load_text, caplog
):
    text = project_text().replace(
        "    database: MARKETING_DB\n    schema: PUBLIC\n", ""
    )

    definitions = build_definitions(load_text(text))

    assert list(definitions.sensors or []) == []
    assert "CUSTOMER_SEGMENTS" in caplog.text
    assert "is not DATABASE.SCHEMA.TABLE" in caplog.text
