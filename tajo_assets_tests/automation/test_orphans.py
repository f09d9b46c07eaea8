"""The `tajo` command's lock on DAGSTER_HOME, and the runs a dead command left."""

import dagster as dg
import pytest

from tajo_assets.automation.orphans import (
    LAUNCHED_BY_CLI,
    LAUNCHED_BY_TAG,
    CommandBusyError,
    owned_runs,
)


@dg.op
def _step() -> None:
    return None


@dg.job
def _job() -> None:
    _step()


@pytest.fixture
def dagster_home(tmp_path) -> str:
    return str(tmp_path)


def left_running(dagster_home: str, tags: dict[str, str]) -> str:
    """A run recorded as STARTED that holds a `brevo` pool slot, as a run whose
    process was killed leaves it; returns its id."""
    with dg.DagsterInstance.from_config(dagster_home) as instance:
        run = instance.create_run_for_job(
            _job, tags=tags, status=dg.DagsterRunStatus.STARTED
        )
        instance.event_log_storage.set_concurrency_slots("brevo", 1)
        instance.event_log_storage.claim_concurrency_slot("brevo", run.run_id, "_step")
        return run.run_id


def status_and_brevo_slots(dagster_home: str, run_id: str) -> tuple:
    with dg.DagsterInstance.from_config(dagster_home) as instance:
        info = instance.event_log_storage.get_concurrency_info("brevo")
        return instance.get_run_by_id(run_id).status, info.active_run_ids


def test_a_run_a_dead_command_left_is_failed_and_frees_its_pool_slot(
    dagster_home, capsys
):
    run_id = left_running(dagster_home, {LAUNCHED_BY_TAG: LAUNCHED_BY_CLI})
    assert status_and_brevo_slots(dagster_home, run_id) == (
        dg.DagsterRunStatus.STARTED,
        {run_id},
    )

    with owned_runs(dagster_home) as tags:
        assert tags == {LAUNCHED_BY_TAG: LAUNCHED_BY_CLI}

    assert status_and_brevo_slots(dagster_home, run_id) == (
        dg.DagsterRunStatus.FAILURE,
        set(),
    )
    assert f"run {run_id} was left in progress" in capsys.readouterr().out


def test_runs_the_command_did_not_start_are_left_alone(dagster_home):
    run_id = left_running(dagster_home, {"dagster/schedule_name": "tajo_sync"})

    with owned_runs(dagster_home):
        pass

    assert status_and_brevo_slots(dagster_home, run_id) == (
        dg.DagsterRunStatus.STARTED,
        {run_id},
    )


def test_a_second_command_on_the_same_home_is_refused_while_one_runs(dagster_home):
    with owned_runs(dagster_home), pytest.raises(CommandBusyError) as busy:
        with owned_runs(dagster_home):
            pass

    assert (
        f"another tajo command is running a job with DAGSTER_HOME={dagster_home}"
        in str(busy.value)
    )
    with owned_runs(dagster_home) as tags:  # released when the first ended
        assert tags


def test_without_a_dagster_home_there_is_nothing_to_guard(tmp_path):
    with owned_runs(None) as tags:
        assert tags == {}
    with owned_runs(str(tmp_path / "missing")) as tags:
        assert tags == {}
