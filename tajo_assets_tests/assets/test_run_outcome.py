"""The lines `tajo sync` prints last when its run failed: each failed check and
failed step of that run, read back from DAGSTER_HOME."""

import dagster as dg

from tajo_assets.automation.orphans import LAUNCHED_BY_CLI, LAUNCHED_BY_TAG
from tajo_assets.automation.outcome import last_run_failures
from tajo_assets_tests.assets.test_sync_scenarios import MAPPING

CLI_RUN = {LAUNCHED_BY_TAG: LAUNCHED_BY_CLI}


def run_as_the_cli(project, home) -> dg.ExecuteInProcessResult:
    with dg.DagsterInstance.from_config(str(home)) as instance:
        return project.run(instance, tags=CLI_RUN)


def test_a_failed_check_and_a_failed_step_are_one_line_each(
    write_project, people, tmp_path
):
    home = tmp_path / "dagster_home"
    home.mkdir()
    renamed = people.audience.replace("score FROM", "score AS points FROM")
    broken = people.audience.replace("SELECT", "SELEC")

    checked = run_as_the_cli(write_project(MAPPING, renamed), home)
    check_lines = last_run_failures(str(home))
    failed = run_as_the_cli(write_project(MAPPING, broken), home)
    step_lines = last_run_failures(str(home))

    assert not checked.success and not failed.success
    assert check_lines == [
        "check mapped_columns_present on snowflake/customer_segments: "
        "field_mapping names column SCORE, but query customer_segments returns "
        "EMAIL, FIRST_NAME, POINTS; fix the mapping of sync customer_segments or "
        "the query (or a view or table it reads)"
    ]
    [step_line] = step_lines
    assert step_line.startswith(
        "step snowflake__customer_segments: query customer_segments failed in "
        "Snowflake: "
    )
    assert step_line.endswith("nothing was sent to Brevo")


def test_a_run_that_succeeded_leaves_nothing_to_say(write_project, people, tmp_path):
    home = tmp_path / "dagster_home"
    home.mkdir()

    result = run_as_the_cli(write_project(MAPPING, people.audience), home)

    assert result.success
    assert last_run_failures(str(home)) == []
