"""Edge cases of the sync engine found by attacking it, kept as regressions."""

from tajo_assets_tests.assets.conftest import create_table, email, warehouse_client
from tajo_assets_tests.assets.test_sync_scenarios import (
    CHANGED_WINDOW,
    LATER_WINDOW,
    MAPPING,
    WINDOW_MAPPING,
    _failure_text,
    sync_counts,
    window_query,
)


def test_rows_of_a_failed_window_are_not_skipped_by_an_empty_window(
    write_project, sandbox_env, sandbox, instance
):
    rows = [
        f"('{email(i)}', 'Name {i}', '2026-06-01 {hour}:{i:02d}:00'::TIMESTAMP_NTZ)"
        for i, hour in [(i, "07") for i in range(1, 6)]
        + [(i, "13") for i in range(6, 11)]
    ]
    table = create_table(sandbox_env, "CHANGES", rows, "EMAIL, FIRST_NAME, CHANGED_AT")
    project = write_project(WINDOW_MAPPING, window_query(table))

    ok = project.run(instance, partition_range=CHANGED_WINDOW)
    sandbox.brevo.faults.fail_imports(times=1)
    failed = project.run(instance, partition_range=("2026-06-01-12:00",) * 2)
    empty = project.run(instance, partition_range=("2026-06-01-18:00",) * 2)

    assert ok.success and not failed.success and empty.success
    assert "skipped_reason" not in sync_counts(empty)
    assert {c["email"] for c in sandbox.brevo.contacts()} == {
        email(i) for i in range(1, 11)
    }


def test_an_incremental_query_that_gains_a_column_drops_its_stale_pending_rows(
    write_project, changes, sandbox, instance
):
    project = write_project(WINDOW_MAPPING, window_query(changes.table))
    sandbox.brevo.faults.refuse_rows({email(3)}, times=1)
    assert project.run(instance, partition_range=CHANGED_WINDOW).success

    # A normal edit of tajo.yaml: one more column, mapped.
    text = project.path.read_text()
    text = text.replace(
        "SELECT email, first_name FROM", "SELECT email, first_name, changed_at FROM"
    )
    text = text.replace(
        "  first_name: FIRSTNAME\n",
        "  first_name: FIRSTNAME\n  changed_at: LAST_CHANGED\n",
    )
    project.path.write_text(text)
    second = project.run(instance, partition_range=LATER_WINDOW)

    assert second.success, _failure_text(second)
    # The changed definition widened the window: every row, person 3 included,
    # arrives with the new attribute.
    assert sync_counts(second)["contacts_sent"] == 30
    assert sandbox.brevo.contact(email(3))["attributes"]["LAST_CHANGED"] == "2026-06-01"


def test_a_select_star_audience_whose_source_gains_a_column_keeps_running(
    write_project, changes, sandbox, instance
):
    project = write_project(WINDOW_MAPPING, window_query(changes.table, "*"))
    sandbox.brevo.faults.refuse_rows({email(3)}, times=1)
    assert project.run(instance, partition_range=CHANGED_WINDOW).success

    changes.execute("ALTER TABLE {table} ADD COLUMN PHONE VARCHAR")
    changes.execute(
        "INSERT INTO {table} VALUES "
        "('late@example.com', 'Late', '2026-06-02 01:00:00'::TIMESTAMP_NTZ, NULL)"
    )
    second = project.run(instance, partition_range=LATER_WINDOW)

    assert second.success, _failure_text(second)
    assert sandbox.brevo.contact("late@example.com") is not None
    # The row Brevo refused waited as pending, and joins by column name.
    assert sandbox.brevo.contact(email(3))["attributes"]["FIRSTNAME"] == "Name 3"


def test_rows_of_a_failed_window_survive_a_column_added_to_the_table(
    write_project, changes, sandbox, instance
):
    project = write_project(WINDOW_MAPPING, window_query(changes.table, "*"))
    sandbox.brevo.faults.fail_imports(times=1)
    failed = project.run(instance, partition_range=CHANGED_WINDOW)

    changes.execute("ALTER TABLE {table} ADD COLUMN NOTE VARCHAR")
    later = project.run(instance, partition_range=LATER_WINDOW)

    assert not failed.success and later.success, _failure_text(later)
    assert {c["email"] for c in sandbox.brevo.contacts()} == {
        email(i) for i in range(1, 31)
    }


def test_a_timestamp_that_moves_within_its_day_sends_nothing(
    write_project, sandbox_env, sandbox, instance
):
    rows = [
        f"('p{i}@example.com', '2026-06-01 08:00:00'::TIMESTAMP_NTZ)" for i in range(50)
    ]
    table = create_table(sandbox_env, "ORDERS", rows, "EMAIL, LAST_ORDER_AT")
    mapping = {"email": "email", "last_order_at": "LAST_ORDER_DATE"}
    project = write_project(mapping, f"SELECT email, last_order_at FROM {table}\n")  # noqa: S608
    assert project.run(instance).success

    with warehouse_client(sandbox_env) as client:
        client.execute(
            f"UPDATE {table} SET LAST_ORDER_AT = LAST_ORDER_AT + INTERVAL '90 MINUTES'"  # noqa: S608
        )
    same_day = project.run(instance)
    with warehouse_client(sandbox_env) as client:
        client.execute(
            f"UPDATE {table} SET LAST_ORDER_AT = LAST_ORDER_AT + INTERVAL '1 DAY'"  # noqa: S608
        )
    next_day = project.run(instance)

    assert sync_counts(same_day)["contacts_sent"] == 0
    assert sync_counts(next_day)["updated"] == 50
    assert (
        sandbox.brevo.contact("p7@example.com")["attributes"]["LAST_ORDER_DATE"]
        == "2026-06-02"
    )


def test_a_query_column_named_like_the_plan_columns_is_refused(
    write_project, people, sandbox, instance
):
    query = people.audience.replace("score FROM", "score, id AS tajo_seq FROM")
    project = write_project(MAPPING, query)

    result = project.run(instance)

    assert not result.success
    message = _failure_text(result)
    assert "returns TAJO_SEQ; column names starting with TAJO_ are reserved" in message
    assert sandbox.brevo.contacts() == []


def test_a_range_whose_ends_are_not_window_starts_is_refused(
    write_project, changes, sandbox, instance
):
    project = write_project(WINDOW_MAPPING, window_query(changes.table))

    result = project.run(instance, partition_range=("2026-06-01-07:00",) * 2)

    assert not result.success
    message = _failure_text(result)
    assert "2026-06-01-07:00 is not the start of a window of tajo_sync; " in message
    assert "try 2026-06-01-06:00 or 2026-06-01-12:00" in message
    assert sandbox.brevo.contacts() == []


def test_a_row_refused_before_sending_is_rejected_each_run_but_never_retried(
    write_project, people, sandbox, instance
):
    people.execute("UPDATE {table} SET EMAIL = 'not-an-email' WHERE ID = 11")
    project = write_project(MAPPING, people.audience)

    first = project.run(instance)
    second = project.run(instance)

    assert first.success and second.success
    for run in (first, second):
        counts = sync_counts(run)
        assert (counts["rejected_before_sending"], counts["retried"]) == (1, 0)
    assert sync_counts(second)["contacts_sent"] == 0
