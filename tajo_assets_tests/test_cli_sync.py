"""`tajo sync`: the windows and tags it asks Dagster for, and one real run."""

import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pytest
import yaml

from tajo_assets.automation.partitions import window_key_problem
from tajo_assets.cli import WindowError, _parser, dry_run_config, sync_tags
from tajo_assets.config import load_config
from tajo_assets_tests.test_cli import REPO, tajo

# The shipped tajo.yaml reads a window (`updated_at > :last_sync`).
SHIPPED = REPO / "tajo.yaml"
STAND_INS = {
    "SNOWFLAKE_ACCOUNT": "sandbox",
    "SNOWFLAKE_USER": "TAJO_INTEGRATION",
    "SNOWFLAKE_PRIVATE_KEY": "unused",
    "BREVO_API_KEY": "unused",
}
# Inside the window 2026-06-15 06:00-12:00 of the shipped `0 */6 * * *` in UTC.
NOW = datetime(2026, 6, 15, 7, 30, tzinfo=UTC)


def tags_for(*argv: str, config: Path = SHIPPED) -> dict[str, str]:
    args = _parser().parse_args(["sync", *argv])
    return sync_tags(load_config(config, env=STAND_INS), args, NOW)


@pytest.fixture
def full_audience(tmp_path) -> Path:
    """The shipped configuration with a query that reads everything."""
    text = SHIPPED.read_text().replace("WHERE updated_at > :last_sync", "")
    path = tmp_path / "tajo.yaml"
    path.write_text(text)
    return path


def test_by_default_the_window_open_now_is_synced():
    assert tags_for() == {"dagster/partition": "2026-06-15-06:00"}


def test_one_window_or_a_range_read_in_one_run():
    one = tags_for("--window", "2026-06-14-18:00")
    scope = tags_for("--from", "2026-06-14-00:00", "--to", "2026-06-14-12:00")

    assert one == {"dagster/partition": "2026-06-14-18:00"}
    assert scope == {
        "dagster/asset_partition_range_start": "2026-06-14-00:00",
        "dagster/asset_partition_range_end": "2026-06-14-12:00",
    }


def test_full_resync_and_force_add_their_tags_to_the_window():
    tags = tags_for("--window", "2026-06-14-18:00", "--full-resync", "--force")

    assert tags == {
        "dagster/partition": "2026-06-14-18:00",
        "tajo/full_resync": "true",
        "tajo/force": "true",
    }


def test_a_job_without_windows_gets_no_partition_tag(full_audience):
    assert tags_for(config=full_audience) == {}
    assert tags_for("--full-resync", config=full_audience) == {
        "tajo/full_resync": "true"
    }


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(
            ["--window", "2026-06-15-07:00"],
            "--window 2026-06-15-07:00 is not the start of a window of tajo_sync; "
            "try 2026-06-15-06:00 or 2026-06-15-12:00. Windows follow "
            "connectors.snowflake.schedule (0 */6 * * *) in UTC, keyed "
            "YYYY-MM-DD-HH:MM, from 2026-01-01-00:00 to the open window ",
            id="inside-a-window",
        ),
        pytest.param(
            ["--from", "2025-12-31-18:00", "--to", "2026-01-01-06:00"],
            "--from 2025-12-31-18:00 is not the start of a window of tajo_sync; "
            "try 2026-01-01-00:00. ",
            id="before-the-first-window",
        ),
        pytest.param(
            ["--from", "2026-01-01-00:00", "--to", "2099-01-01-00:00"],
            "--to 2099-01-01-00:00 is not the start of a window of tajo_sync; try ",
            id="after-the-open-window",
        ),
        pytest.param(
            ["--window", "2026-06-15"],
            "--window 2026-06-15 is not the start of a window of tajo_sync. "
            "Windows follow",
            id="not-a-key",
        ),
        pytest.param(
            ["--from", "2026-06-14-12:00", "--to", "2026-06-14-00:00"],
            "--from 2026-06-14-12:00 comes after --to 2026-06-14-00:00",
            id="range-backwards",
        ),
        pytest.param(
            ["--from", "2026-06-14-00:00"],
            "a range needs both --from and --to",
            id="range-without-end",
        ),
        pytest.param(
            ["--window", "2026-06-14-00:00", "--to", "2026-06-14-06:00"],
            "give either --window KEY or --from KEY --to KEY, not both",
            id="window-and-range",
        ),
    ],
)
def test_windows_the_job_does_not_have_are_refused(argv, message):
    with pytest.raises(WindowError) as refused:
        tags_for(*argv)

    assert str(refused.value).startswith(message)


def test_windows_are_refused_when_no_query_reads_one(full_audience):
    with pytest.raises(WindowError, match="tajo_sync has no windows; drop --window"):
        tags_for("--window", "2026-06-15-06:00", config=full_audience)


def test_a_sync_under_sandbox_run_finds_the_venv_tools_and_records_its_window(
    tmp_path,
):
    home = tmp_path / "home"
    # As for a new user who did not activate the venv: a bare `tajo` must work.
    venv_tools = str(Path(sys.executable).parent)
    path = os.pathsep.join(
        entry for entry in os.environ["PATH"].split(os.pathsep) if entry != venv_tools
    )
    command = ["sandbox", "run", "--scale-factor", "0.01", "--home", str(home)]
    # A dry run first: it plans and writes nothing, so the real run after it
    # still creates every contact.
    command += ["--", "sh", "-c", "tajo sync --dry-run && tajo sync --full-resync"]

    result = tajo(*command, PATH=path)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "tajo sync: dry run done" in result.stdout
    sync_key = dg.AssetKey(["brevo", "customer_segments"])
    with dg.DagsterInstance.from_config(str(home / "dagster_home")) as instance:
        run, dry = instance.get_runs()  # newest first
        event = instance.get_latest_materialization_event(sync_key)
        [planned] = instance.fetch_observations(sync_key, limit=1).records
    plan = planned.asset_event.metadata
    assert planned.run_id == dry.run_id and plan["dry_run"].value is True
    assert plan["to_create"].value + plan["invalid"].value > 1400
    assert event.run_id == run.run_id
    materialization = event.asset_materialization
    metadata = materialization.metadata
    assert run.tags["tajo/full_resync"] == "true"
    assert materialization.partition == run.tags["dagster/partition"]
    # 1,500 contacts, a few with an invalid email.
    assert metadata["created"].value + metadata["rejected"].value == 1500
    assert metadata["created"].value > 1400


@pytest.mark.parametrize("key", ["0001-01-01-00:00", "9999-12-31-23:00"])
def test_a_window_key_far_outside_the_calendar_gets_the_same_clear_error(key):
    partitions = dg.TimeWindowPartitionsDefinition(
        cron_schedule="0 */6 * * *",
        start="2026-01-01-00:00",
        fmt="%Y-%m-%d-%H:%M",
        timezone="UTC",
        end_offset=1,
    )

    problem = window_key_problem(partitions, key)

    assert problem.startswith(f"{key} is not the start of a window of tajo_sync. ")


def test_a_dry_run_makes_event_syncs_dry_too(tmp_path):
    """Left out of the dry-run config, an event sync would send its events."""
    events = """\
  order_events:
    type: events
    query: SELECT 1 AS order_id, 'a@example.com' AS email
    event: {name: order_completed, id_column: ORDER_ID, identifier: {email: EMAIL}}
"""
    path = tmp_path / "tajo.yaml"
    # The shipped file ends with its syncs: block.
    path.write_text(SHIPPED.read_text().rstrip() + "\n" + events)

    ops = yaml.safe_load(dry_run_config(load_config(path, env=STAND_INS)))["ops"]

    assert ops["brevo__order_events"] == {"config": {"dry_run": True}}
    assert len(ops) == 2
