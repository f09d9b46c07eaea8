"""Multi-run scenarios of the sync engine against both sandboxes, over HTTP.

Each test owns a small PEOPLE table in its own warehouse schema, changes it
between runs, and checks the Brevo sandbox's final state and each run's counts.
"""

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg

from tajo_assets_tests.assets.conftest import (
    PEOPLE,
    brevo_api,
    create_table,
    email,
)

SYNC = "brevo__customer_segments"
MIRROR = "mode: mirror"
MAPPING = {"email": "email", "first_name": "FIRSTNAME", "score": "SCORE"}


def sync_counts(result: dg.ExecuteInProcessResult) -> dict[str, object]:
    [event] = result.asset_materializations_for_node(SYNC)
    return {key: value.value for key, value in event.metadata.items()}


def sync_counts_of_range(result: dg.ExecuteInProcessResult) -> dict[str, object]:
    """The sync's metadata in a run over several windows: the same on each."""
    events = result.asset_materializations_for_node(SYNC)
    assert events and all(e.metadata == events[0].metadata for e in events)
    return {key: value.value for key, value in events[0].metadata.items()}


def list_members(sandbox) -> set[str]:
    """The emails of the members of the sync's list."""
    [synced] = [
        item
        for item in sandbox.brevo.lists()
        if item["name"] == "Customer segments (Snowflake)"
    ]
    ids = set(synced["contactIds"])
    return {c["email"] for c in sandbox.brevo.contacts() if c["id"] in ids}


def posts(sandbox) -> int:
    """Brevo requests that write (anything but GET) so far."""
    counts = sandbox.brevo.request_counts.by_route
    return sum(c.requests for (method, _), c in counts.items() if method != "GET")


def everyone() -> set[str]:
    return {email(i) for i in range(1, PEOPLE + 1)}


def test_a_second_run_without_change_sends_nothing_to_brevo(
    write_project, people, sandbox, instance
):
    project = write_project(MAPPING, people.audience)

    first = project.run(instance)
    writes_after_first = posts(sandbox)
    second = project.run(instance)

    assert first.success and second.success
    assert sync_counts(first)["created"] == PEOPLE
    counts = sync_counts(second)
    assert (counts["created"], counts["updated"], counts["unchanged"]) == (0, 0, PEOPLE)
    assert counts["contacts_sent"] == 0 and counts["removed"] == 0
    assert posts(sandbox) == writes_after_first
    assert list_members(sandbox) == everyone()


def test_changing_one_percent_of_rows_sends_only_those_contacts(
    write_project, people, sandbox, instance
):
    project = write_project(MAPPING, people.audience)
    assert project.run(instance).success
    imports_before = len(sandbox.brevo.processes())

    people.execute("UPDATE {table} SET SCORE = SCORE + 100 WHERE MOD(ID, 100) = 0")
    second = project.run(instance)

    assert second.success
    counts = sync_counts(second)
    assert (counts["created"], counts["updated"], counts["unchanged"]) == (0, 2, 198)
    assert counts["contacts_sent"] == 2
    [new_import] = sandbox.brevo.processes()[imports_before:]
    assert new_import["summary"]["updated"] == 2
    assert sandbox.brevo.contact(email(100))["attributes"]["SCORE"] == 200.5
    assert sandbox.brevo.contact(email(200))["attributes"]["SCORE"] == 300.5
    assert sandbox.brevo.contact(email(99))["attributes"]["SCORE"] == 99.5


def test_members_who_leave_are_removed_and_come_back_when_they_return(
    write_project, people, sandbox, instance
):
    project = write_project(MAPPING, people.audience, sync=MIRROR)
    leavers = {email(i) for i in (3, 50, 170)}
    assert project.run(instance).success

    people.execute("UPDATE {table} SET IN_AUDIENCE = FALSE WHERE ID IN (3, 50, 170)")
    second = project.run(instance)
    members_after_leaving = list_members(sandbox)
    people.execute("UPDATE {table} SET IN_AUDIENCE = TRUE")
    third = project.run(instance)

    assert second.success and third.success
    assert sync_counts(second)["removed"] == 3
    assert members_after_leaving == everyone() - leavers
    # Removed from the list, not deleted: the contacts are still in Brevo.
    assert all(sandbox.brevo.contact(e) is not None for e in leavers)
    counts = sync_counts(third)
    assert (counts["re_added"], counts["created"], counts["removed"]) == (3, 0, 0)
    assert list_members(sandbox) == everyone()


def test_only_members_this_project_added_are_ever_removed(
    write_project, people, sandbox, instance
):
    project = write_project(MAPPING, people.audience, sync=MIRROR)
    assert project.run(instance).success
    outsider = "added.by.hand@example.com"
    add_to_the_list_by_hand(sandbox, outsider)

    people.execute("UPDATE {table} SET IN_AUDIENCE = FALSE WHERE ID = 7")
    second = project.run(instance)

    assert second.success
    assert sync_counts(second)["removed"] == 1
    assert list_members(sandbox) == (everyone() - {email(7)}) | {outsider}


def test_an_audience_that_suddenly_returns_no_rows_stops_and_removes_nobody(
    write_project, people, sandbox, instance
):
    project = write_project(MAPPING, people.audience, models=_checks(1), sync=MIRROR)
    assert project.run(instance).success
    writes_before = posts(sandbox)

    people.execute("UPDATE {table} SET IN_AUDIENCE = FALSE")
    stopped = project.run(instance)

    assert not stopped.success
    message = _failure_text(stopped)
    assert "returned no rows" in message and "tajo/force=true" in message
    assert "200 of the 200 contacts" in message
    assert posts(sandbox) == writes_before
    assert list_members(sandbox) == everyone()

    forced = project.run(instance, tags={"tajo/force": "true"})
    assert forced.success and sync_counts(forced)["removed"] == PEOPLE
    assert list_members(sandbox) == set()


def test_the_force_tag_also_lets_a_collapsed_audience_past_its_row_count_check(
    write_project, people, sandbox, instance
):
    project = write_project(MAPPING, people.audience, sync=MIRROR)
    assert project.run(instance).success
    people.execute("UPDATE {table} SET IN_AUDIENCE = FALSE WHERE ID > 20")

    blocked = project.run(instance)
    forced = project.run(instance, tags={"tajo/force": "true"})

    # Without the tag the blocking row-count check stops the sync first.
    assert not blocked.success
    assert blocked.asset_materializations_for_node(SYNC) == []
    assert forced.success and sync_counts(forced)["removed"] == PEOPLE - 20
    assert list_members(sandbox) == {email(i) for i in range(1, 21)}


def test_a_shrink_beyond_the_configured_share_stops_the_run(
    write_project, people, sandbox, instance
):
    project = write_project(MAPPING, people.audience, models=_checks(1), sync=MIRROR)
    assert project.run(instance).success

    people.execute("UPDATE {table} SET IN_AUDIENCE = FALSE WHERE ID <= 50")
    stopped = project.run(instance)

    assert not stopped.success
    assert "50 of the 200 contacts" in _failure_text(stopped)
    assert "(25.0%) would be removed, more than the 20.0% allowed" in _failure_text(
        stopped
    )
    assert list_members(sandbox) == everyone()


def test_a_row_brevo_rejects_is_retried_on_the_next_run_without_a_change(
    write_project, people, sandbox, instance
):
    project = write_project(MAPPING, people.audience)
    sandbox.brevo.faults.refuse_rows({email(42)}, times=1)

    first = project.run(instance)

    assert first.success
    counts = sync_counts(first)
    assert (counts["rejected_by_brevo"], counts["created"]) == (1, PEOPLE - 1)
    assert counts["rejection_reasons"] == {
        "invalid email address, or no identifier at all": 1
    }
    assert sandbox.brevo.contact(email(42)) is None

    second = project.run(instance)

    assert second.success
    counts = sync_counts(second)
    assert (counts["retried"], counts["created"], counts["rejected"]) == (1, 1, 0)
    assert counts["contacts_sent"] == 1
    assert sandbox.brevo.contact(email(42))["attributes"]["SCORE"] == 42.5
    assert list_members(sandbox) == everyone()
    logged = people.execute(
        f"SELECT KEY, ACTION, CODE, REJECTED_BY "  # noqa: S608
        f"FROM {project.state_schema}.TAJO_REJECTIONS"
    )
    assert logged == [(email(42), "create", "invalid_emails", "BREVO")]


def test_a_rejections_table_made_before_codes_gains_the_code_column(
    write_project, people, sandbox, instance
):
    project = write_project(MAPPING, people.audience)
    rejections = f"{project.state_schema}.TAJO_REJECTIONS"
    people.execute(f"CREATE SCHEMA {project.state_schema}")
    people.execute(
        f"CREATE TABLE {rejections} (RUN_ID VARCHAR NOT NULL, "
        "SYNC_NAME VARCHAR NOT NULL, SEQ NUMBER, KEY VARCHAR, ACTION VARCHAR, "
        "REASON VARCHAR NOT NULL, REJECTED_BY VARCHAR NOT NULL, "
        "REJECTED_AT_UTC TIMESTAMP_NTZ NOT NULL)"
    )
    sandbox.brevo.faults.refuse_rows({email(42)}, times=1)

    result = project.run(instance)

    assert result.success
    logged = people.execute(f"SELECT KEY, CODE FROM {rejections}")  # noqa: S608
    assert logged == [(email(42), "invalid_emails")]


def test_duplicate_keys_are_rejected_as_invalid_rows_and_never_sent(
    write_project, people, sandbox, instance
):
    people.execute(
        "INSERT INTO {table} VALUES "
        "(1001, ' Person5@Example.com', 'Twin', 1, NULL, TRUE)"
    )
    project = write_project(
        MAPPING, people.audience, models=_checks(1, max_duplicate_keys=10)
    )

    result = project.run(instance)

    assert result.success
    counts = sync_counts(result)
    assert counts["rejected_before_sending"] == 2
    assert counts["created"] == PEOPLE - 1
    assert counts["rejection_reasons"] == {"duplicate key": 2}
    assert sandbox.brevo.contact(email(5)) is None
    rejected = people.execute(
        f"SELECT KEY, CODE, REASON FROM {project.state_schema}.TAJO_REJECTIONS"  # noqa: S608
    )
    reason = "the key appears 2 times in the query result"
    assert rejected == [(email(5), "duplicate_key", reason)] * 2


def test_a_full_resync_sends_every_row_and_still_removes_leavers(
    write_project, people, sandbox, instance
):
    project = write_project(MAPPING, people.audience, sync=MIRROR)
    assert project.run(instance).success
    people.execute("UPDATE {table} SET IN_AUDIENCE = FALSE WHERE ID = 9")

    resync = project.run(instance, tags={"tajo/full_resync": "true"})

    assert resync.success
    counts = sync_counts(resync)
    assert (counts["updated"], counts["removed"]) == (PEOPLE - 1, 1)
    assert counts["contacts_sent"] == PEOPLE - 1
    assert list_members(sandbox) == everyone() - {email(9)}


def _checks(max_row_count_drop: float, **more: object) -> str:
    lines = [f"  max_row_count_drop: {max_row_count_drop}"]
    lines += [f"  {name}: {value}" for name, value in more.items()]
    return "checks:\n" + "\n".join(lines) + "\n"


def _failure_text(result: dg.ExecuteInProcessResult) -> str:
    failures = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    return "\n".join(e.step_failure_data.error.to_string() for e in failures)


def add_to_the_list_by_hand(sandbox, address: str) -> None:
    """What a marketer does in Brevo: a contact put in the synced list."""
    [synced] = [i for i in sandbox.brevo.lists() if i["contactIds"]]
    body = {"email": address, "listIds": [synced["id"]], "updateEnabled": True}
    _brevo_post(sandbox, "/contacts", body)


def _brevo_post(sandbox, path: str, body: dict) -> None:
    with brevo_api(sandbox) as brevo:
        brevo.post(path, json=body).raise_for_status()


def test_a_run_that_fails_after_some_imports_loses_and_repeats_nothing(
    write_project, people, sandbox, instance
):
    # Small bodies: about a dozen imports for the 200 people.
    project = write_project(MAPPING, people.audience, brevo="import_body_bytes: 2000\n")
    sandbox.brevo.faults.fail_imports(times=1, skip=3)

    failed = project.run(instance)

    assert not failed.success
    assert "ended 'failed'" in _failure_text(failed)
    imports = len(sandbox.brevo.processes())
    assert imports > 4
    landed = {c["email"] for c in sandbox.brevo.contacts()}
    assert 0 < len(landed) < PEOPLE

    rerun = project.run(instance)

    assert rerun.success
    assert sync_counts(rerun)["created"] == PEOPLE
    contacts = [c["email"] for c in sandbox.brevo.contacts()]
    assert sorted(contacts) == sorted(everyone())
    [synced] = [i for i in sandbox.brevo.lists() if i["contactIds"]]
    assert len(synced["contactIds"]) == len(set(synced["contactIds"])) == PEOPLE
    writes = posts(sandbox)
    assert project.run(instance).success
    assert posts(sandbox) == writes


def test_a_run_that_fails_while_removing_members_finishes_them_on_the_rerun(
    write_project, people, sandbox, instance
):
    project = write_project(MAPPING, people.audience, sync=MIRROR)
    assert project.run(instance).success
    people.execute("UPDATE {table} SET IN_AUDIENCE = FALSE WHERE ID <= 20")
    sandbox.brevo.faults.add(
        "POST", "/v3/contacts/lists/*/contacts/remove", 500, times=20
    )

    failed = project.run(instance)
    sandbox.brevo.faults.clear()
    rerun = project.run(instance)

    assert not failed.success
    assert rerun.success and sync_counts(rerun)["removed"] == 20
    assert list_members(sandbox) == everyone() - {email(i) for i in range(1, 21)}


def test_a_backfill_of_three_windows_syncs_exactly_their_rows(
    write_project, sandbox_env, sandbox, instance
):
    # Wall-clock times in Asia/Kolkata, in a column without a timezone; the
    # windows are 00:00, 06:00, 12:00 and 18:00 there.
    stamps = {
        "before@example.com": "2026-06-01 05:59:59.999999",
        "first@example.com": "2026-06-01 06:00:00",
        "second@example.com": "2026-06-01 11:59:59.999999",
        "third@example.com": "2026-06-01 12:00:00",
        "fourth@example.com": "2026-06-01 23:59:59",
        "after@example.com": "2026-06-02 00:00:00",
    }
    rows = [f"('{e}', '{t}'::TIMESTAMP_NTZ)" for e, t in stamps.items()]
    table = create_table(sandbox_env, "CHANGES", rows, "EMAIL, CHANGED_AT")
    query = (
        f"SELECT email FROM {table}\n"  # noqa: S608
        "WHERE changed_at >= :last_sync AND changed_at < :window_end\n"
    )
    project = write_project({"email": "email"}, query, timezone="Asia/Kolkata")

    result = project.run(
        instance, partition_range=("2026-06-01-06:00", "2026-06-01-18:00")
    )

    assert result.success
    synced = {c["email"] for c in sandbox.brevo.contacts()}
    assert synced == {
        "first@example.com",
        "second@example.com",
        "third@example.com",
        "fourth@example.com",
    }
    windows = {e.partition for e in result.asset_materializations_for_node(SYNC)}
    assert windows == {"2026-06-01-06:00", "2026-06-01-12:00", "2026-06-01-18:00"}
    assert sync_counts_of_range(result)["windows_in_run"] == 3


def window_query(table: str, columns: str = "email, first_name") -> str:
    """An audience of the rows of `table` changed in the run's window."""
    return (
        f"SELECT {columns} FROM {table}\n"  # noqa: S608
        "WHERE changed_at >= :last_sync AND changed_at < :window_end\n"
    )


WINDOW_MAPPING = {"email": "email", "first_name": "FIRSTNAME"}
CHANGED_WINDOW = ("2026-06-01-06:00", "2026-06-01-06:00")
LATER_WINDOW = ("2026-06-02-00:00", "2026-06-02-00:00")


def test_a_rejected_row_of_a_window_is_retried_by_the_next_window(
    write_project, changes, sandbox, instance
):
    project = write_project(WINDOW_MAPPING, window_query(changes.table))
    sandbox.brevo.faults.refuse_rows({email(7)}, times=1)

    first = project.run(instance, partition_range=CHANGED_WINDOW)
    later = project.run(instance, partition_range=LATER_WINDOW)
    quiet = project.run(instance, partition_range=LATER_WINDOW)

    assert first.success and later.success and quiet.success
    assert sync_counts(first)["rejected_by_brevo"] == 1
    assert sync_counts(first)["pending_rows"] == 1
    counts = sync_counts(later)
    assert (counts["retried"], counts["created"], counts["pending_rows"]) == (1, 1, 0)
    assert sandbox.brevo.contact(email(7))["attributes"]["FIRSTNAME"] == "Name 7"
    # Nothing awaits a retry any more: the empty window makes no request at all.
    assert "skipped_reason" in sync_counts(quiet)
    assert len(sandbox.brevo.contacts()) == 30


def test_rows_of_a_failed_window_are_sent_by_the_next_window(
    write_project, changes, sandbox, instance
):
    project = write_project(WINDOW_MAPPING, window_query(changes.table))
    sandbox.brevo.faults.fail_imports(times=1)

    failed = project.run(instance, partition_range=CHANGED_WINDOW)
    later = project.run(instance, partition_range=LATER_WINDOW)

    assert not failed.success and later.success
    counts = sync_counts(later)
    assert (counts["created"], counts["contacts_sent"]) == (30, 30)
    assert {c["email"] for c in sandbox.brevo.contacts()} == {
        email(i) for i in range(1, 31)
    }
    assert list_members(sandbox) == {email(i) for i in range(1, 31)}


def test_a_backfill_from_the_cli_runs_its_windows_in_one_run(
    write_project, changes, sandbox, tmp_path
):
    project = write_project(WINDOW_MAPPING, window_query(changes.table))
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    env = {
        **os.environ,
        **project.env,
        "TAJO_CONFIG": str(project.path),
        "DAGSTER_HOME": str(dagster_home),
    }
    command = [
        str(Path(sys.executable).with_name("dagster")),
        "asset",
        "materialize",
        "-m",
        "tajo_assets.definitions",
        "--select",
        "snowflake/customer_segments,brevo/customer_segments",
        "--partition-range",
        "2026-06-01-00:00...2026-06-01-12:00",
    ]

    done = subprocess.run(command, env=env, capture_output=True, text=True)

    assert done.returncode == 0, done.stderr[-2000:]
    assert "RUN_SUCCESS" in done.stdout + done.stderr
    assert {c["email"] for c in sandbox.brevo.contacts()} == {
        email(i) for i in range(1, 31)
    }
