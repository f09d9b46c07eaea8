"""Event syncs end to end: warehouse rows sent once each as Brevo events.

Each test writes a tajo.yaml with one `type: events` sync over a small table
of its own, runs tajo_sync in process against both sandboxes over real HTTP,
and asserts what Brevo received through the sandbox's counters.
"""

import textwrap
import threading
from datetime import UTC, datetime

import dagster as dg
import pytest

from tajo_assets_tests.assets.conftest import (
    Project,
    _schemas,
    create_table,
    warehouse_client,
)
from tajo_assets_tests.brevo.test_contract import validate

SYNC = "brevo__order_events"
WAREHOUSE_GONE = {
    "code": "000603",
    "message": "SQL execution internal error (injected by the test)",
    "sqlState": "XX000",
}
BATCH = ("POST", "/v3/events/batch")


def write_events_project(
    tmp_path, env, table: str, event: str, *, timezone: str = "UTC"
) -> Project:
    """A tajo.yaml whose only sync sends the rows of `table` as events."""
    state_schema = f"TAJO_STATE_TEST_{next(_schemas)}"
    text = textwrap.dedent(
        """\
        connectors:
          snowflake:
            account: "${{SNOWFLAKE_ACCOUNT}}"
            user: "${{SNOWFLAKE_USER}}"
            auth:
              method: key_pair
              private_key: ${{SNOWFLAKE_PRIVATE_KEY}}
            base_url: "${{SNOWFLAKE_BASE_URL}}"
            warehouse: TAJO_WH
            database: MARKETING_DB
            schema: PUBLIC
            role: TAJO_ROLE
            state_schema: {state_schema}
            timezone: {timezone}
            queries:
              order_events: SELECT * FROM {table}
          brevo:
            api_key: ${{BREVO_API_KEY}}
            base_url: "${{BREVO_BASE_URL}}"
        syncs:
          order_events:
            type: events
            query: order_events
            event:
        {event}
        """
    ).format(
        state_schema=state_schema,
        timezone=timezone,
        table=table,
        event=textwrap.indent(textwrap.dedent(event), " " * 6),
    )
    path = tmp_path / f"{state_schema.lower()}.yaml"
    path.write_text(text)
    return Project(path, env, state_schema)


ORDER_EVENT = """\
name_column: EVENT_NAME
id_column: ORDER_ID
date_column: ORDERED_AT
identifier: {email: EMAIL}
properties: [TOTAL, CURRENCY]
"""


@pytest.fixture
def orders(sandbox_env) -> str:
    """Three orders; the second's event name is one Brevo refuses."""
    rows = [
        "(1, 'order_completed', 'Ana@Example.com', 42.5, 'EUR', "
        "'2026-06-01 09:30:00'::TIMESTAMP_NTZ)",
        "(2, 'order completed', 'bo@example.com', 10, 'EUR', "
        "'2026-06-01 10:00:00'::TIMESTAMP_NTZ)",
        "(3, 'order_completed', 'cy@example.com', 7.25, 'USD', "
        "'2026-06-02 11:00:00'::TIMESTAMP_NTZ)",
    ]
    columns = "ORDER_ID, EVENT_NAME, EMAIL, TOTAL, CURRENCY, ORDERED_AT"
    return create_table(sandbox_env, "ORDERS", rows, columns)


def counts(result: dg.ExecuteInProcessResult) -> dict[str, object]:
    """The sync's numbers (a range of windows records them once per window)."""
    event = result.asset_materializations_for_node(SYNC)[0]
    return {key: value.value for key, value in event.metadata.items()}


def check_against_brevos_event_schema(received: list[dict]) -> None:
    """Each event as sent follows the spec's `components.schemas.event`.

    event_properties are left out: the schema lists only string, integer,
    object and array values, while its own description (and Brevo's docs)
    take numbers, booleans and dates too.
    """
    for event in received:
        sent = {
            k: v for k, v in event.items() if k not in ("contactId", "event_properties")
        }
        validate(sent, "event")


def batch_posts(sandbox) -> int:
    counted = sandbox.brevo.request_counts.by_route.get(BATCH)
    return counted.requests if counted else 0


def rejections(env, project: Project) -> list[tuple]:
    with warehouse_client(env) as client:
        result = client.execute(
            f"SELECT KEY, ACTION, REJECTED_BY, CODE, REASON FROM "  # noqa: S608
            f"{project.state_schema}.TAJO_REJECTIONS ORDER BY KEY"
        )
        return list(result.rows())


def event_states(env, project: Project) -> dict[str, str]:
    with warehouse_client(env) as client:
        result = client.execute(
            f"SELECT EVENT_ID, STATUS FROM "  # noqa: S608
            f"{project.state_schema}.SYNC_ORDER_EVENTS_EVENTS"
        )
        return dict(result.rows())


def test_a_batch_with_one_invalid_event_lands_the_others_and_resends_none(
    tmp_path, sandbox_env, sandbox, instance, orders
):
    project = write_events_project(tmp_path, sandbox_env, orders, ORDER_EVENT)

    first = project.run(instance)
    second = project.run(instance)

    assert first.success and second.success
    received = sandbox.brevo.events()
    check_against_brevos_event_schema(received)
    assert [e["event_properties"]["total"] for e in received] == [42.5, 7.25]
    assert received[0]["identifiers"] == {"email_id": "ana@example.com"}
    assert (counts(first)["events_sent"], counts(first)["events_rejected"]) == (2, 1)
    [(key, action, by, code, reason)] = rejections(sandbox_env, project)
    assert (key, action, by, code) == ("2", "event", "BREVO", "invalid_parameter")
    assert reason.startswith("event_name 'order completed' is invalid")
    assert event_states(sandbox_env, project) == {
        "1": "sent",
        "2": "rejected",
        "3": "sent",
    }
    assert batch_posts(sandbox) == 1
    assert (counts(second)["events_read"], counts(second)["events_sent"]) == (0, 0)
    assert len(sandbox.brevo.events()) == 2


def test_new_rows_are_sent_and_old_ones_are_not(
    tmp_path, sandbox_env, sandbox, instance, orders
):
    project = write_events_project(tmp_path, sandbox_env, orders, ORDER_EVENT)
    project.run(instance)
    with warehouse_client(sandbox_env) as client:
        client.execute(
            f"INSERT INTO {orders} VALUES (4, 'order_completed', "  # noqa: S608
            "'di@example.com', 3, 'EUR', '2026-06-03 08:00:00'::TIMESTAMP_NTZ)"
        )

    second = project.run(instance)

    assert counts(second)["events_sent"] == 1
    assert [e["identifiers"]["email_id"] for e in sandbox.brevo.events()][-1] == (
        "di@example.com"
    )


@pytest.mark.parametrize("fault", ["drop", "500"])
def test_an_answer_lost_after_brevo_stored_the_batch_never_sends_it_twice(
    tmp_path, sandbox_env, sandbox, instance, orders, fault
):
    """The post reached Brevo, the answer did not reach us: the run cannot tell
    whether the events landed, so it stops and no rerun sends them again."""
    project = write_events_project(tmp_path, sandbox_env, orders, ORDER_EVENT)
    faults = sandbox.brevo.faults
    if fault == "drop":
        faults.drop(*BATCH, after_execution=True)
    else:
        faults.add(*BATCH, 500, after_execution=True)

    first = project.run(instance)
    second = project.run(instance)

    assert not first.success
    failure = first.get_step_failure_events()[0].event_specific_data.error.message
    assert "Brevo's answer to 3 events never came" in failure
    assert "SYNC_ORDER_EVENTS_EVENTS" in failure
    assert second.success
    assert batch_posts(sandbox) == 1
    assert len(sandbox.brevo.events()) == 2
    assert counts(second)["events_unconfirmed"] == 3
    assert counts(second)["events_sent"] == 0
    assert set(event_states(sandbox_env, project).values()) == {"sending"}


def test_a_crash_between_the_send_and_its_commit_never_sends_twice(
    tmp_path, sandbox_env, sandbox, instance, orders
):
    """Brevo stores the batch, then the warehouse fails before the run records
    Brevo's answer: the ids were written as sending before the post, so the
    rerun leaves them alone."""
    project = write_events_project(tmp_path, sandbox_env, orders, ORDER_EVENT)
    held = sandbox.brevo.faults.hold(*BATCH)

    def fail_the_warehouse_then_let_brevo_answer() -> None:
        held.wait_for_waiting(1, timeout_s=30)
        sandbox.snowflake.faults.add(
            "POST", "/api/v2/statements", 422, times=1000, body=WAREHOUSE_GONE
        )
        held.release()

    crash = threading.Thread(target=fail_the_warehouse_then_let_brevo_answer)
    crash.start()
    first = project.run(instance)
    crash.join()
    sandbox.snowflake.faults.clear()
    sandbox.brevo.faults.clear()
    second = project.run(instance)

    assert not first.success
    assert held.succeeded == 1
    assert second.success
    assert batch_posts(sandbox) == 1
    assert len(sandbox.brevo.events()) == 2
    assert counts(second)["events_unconfirmed"] == 3
    assert set(event_states(sandbox_env, project).values()) == {"sending"}


def test_a_refused_batch_call_leaves_its_events_for_the_next_run(
    tmp_path, sandbox_env, sandbox, instance, orders
):
    """A 403 means Brevo stored nothing: the events are forgotten, not stuck."""
    project = write_events_project(tmp_path, sandbox_env, orders, ORDER_EVENT)
    sandbox.brevo.faults.add(*BATCH, 403, body={"code": "permission_denied"})

    first = project.run(instance)
    second = project.run(instance)

    assert not first.success
    assert second.success
    assert counts(second)["events_sent"] == 2
    assert len(sandbox.brevo.events()) == 2


def test_naive_timestamps_take_the_configured_zone_and_zoned_ones_keep_theirs(
    tmp_path, sandbox_env, sandbox, instance
):
    rows = [
        "(1, 'a@example.com', '2026-06-01 09:30:00'::TIMESTAMP_NTZ, "
        "'2026-06-01 09:30:00 +00:00'::TIMESTAMP_TZ)",
    ]
    table = create_table(
        sandbox_env, "DATED", rows, "ORDER_ID, EMAIL, ORDERED_AT, PAID_AT"
    )
    event = """\
    name: order_completed
    id_column: ORDER_ID
    date_column: ORDERED_AT
    identifier: {email: EMAIL}
    properties: {PAID_AT: paid_at}
    """
    project = write_events_project(
        tmp_path, sandbox_env, table, event, timezone="Europe/Paris"
    )

    assert project.run(instance).success

    [received] = sandbox.brevo.events()
    assert received["event_date"] == "2026-06-01T09:30:00+02:00"
    # The same instant; Snowflake keeps the column's offset, the sandbox's
    # DuckDB gives it in the session's zone.
    paid_at = datetime.fromisoformat(received["event_properties"]["paid_at"])
    assert paid_at == datetime(2026, 6, 1, 9, 30, tzinfo=UTC)
    assert paid_at.utcoffset() is not None


def test_rows_that_cannot_be_events_are_refused_before_sending(
    tmp_path, sandbox_env, sandbox, instance
):
    rows = [
        "(1, 'a@example.com', 'x')",
        "(1, 'a@example.com', 'again')",
        "(2, 'not-an-email', 'x')",
        "(NULL, 'c@example.com', 'x')",
        f"(3, 'd@example.com', '{'y' * 52_000}')",
    ]
    table = create_table(sandbox_env, "ODD", rows, "ORDER_ID, EMAIL, NOTE")
    event = """\
    name: order_completed
    id_column: ORDER_ID
    identifier: {email: EMAIL}
    properties: [NOTE]
    """
    project = write_events_project(tmp_path, sandbox_env, table, event)

    result = project.run(instance)

    assert result.success
    [received] = sandbox.brevo.events()
    assert received["event_properties"] == {"note": "x"}
    reasons = counts(result)["rejection_reasons"]
    assert sum(reasons.values()) == 4
    assert any("appears more than once" in reason for reason in reasons)
    assert any("invalid email address" in reason for reason in reasons)
    assert any("is empty" in reason for reason in reasons)
    assert any("over Brevo's limit" in reason for reason in reasons)
    refused = rejections(sandbox_env, project)
    assert {row[2] for row in refused} == {"TAJO"}
    assert sorted(row[3] for row in refused) == [
        "duplicate_key",
        "empty_key",
        "invalid_key",
        "invalid_value",
    ]


def test_a_dry_run_counts_the_events_and_sends_none(
    tmp_path, sandbox_env, sandbox, instance, orders
):
    project = write_events_project(tmp_path, sandbox_env, orders, ORDER_EVENT)
    dry = {"ops": {SYNC: {"config": {"dry_run": True}}}}

    result = project.run(instance, run_config=dry)

    assert result.success
    assert result.asset_materializations_for_node(SYNC) == []
    [observation] = [
        e.asset_observation_data.asset_observation
        for e in result.all_events
        if e.event_type == dg.DagsterEventType.ASSET_OBSERVATION
    ]
    assert observation.metadata["events_to_send"].value == 3
    sample = observation.metadata["sample"].value.records
    assert sample[0].data["identifiers"] == "email=a***@example.com"
    assert sandbox.brevo.events() == []
    assert batch_posts(sandbox) == 0
    assert event_states(sandbox_env, project) == {}


def test_an_event_block_naming_a_missing_column_fails_before_sending(
    tmp_path, sandbox_env, sandbox, instance, orders
):
    event = ORDER_EVENT.replace("CURRENCY", "COUNTRY")
    project = write_events_project(tmp_path, sandbox_env, orders, event)

    result = project.run(instance)

    assert not result.success
    failure = result.get_step_failure_events()[0].event_specific_data.error.message
    assert "names COUNTRY (properties)" in failure
    assert sandbox.brevo.events() == []


def test_a_windowed_query_sends_each_windows_events_once(
    tmp_path, sandbox_env, sandbox, instance, orders
):
    project = write_events_project(tmp_path, sandbox_env, orders, ORDER_EVENT)
    window = " WHERE ordered_at > :last_sync AND ordered_at <= :window_end"
    windowed = project.path.read_text().replace(orders, orders + window)
    project.path.write_text(windowed)

    first = project.run(instance, partition_range=("2026-06-01-06:00",) * 2)
    again = project.run(instance, partition_range=("2026-06-01-06:00",) * 2)
    later = project.run(
        instance, partition_range=("2026-06-01-12:00", "2026-06-02-06:00")
    )

    assert first.success and again.success and later.success
    assert counts(first)["events_sent"] == 1
    assert counts(again)["events_read"] == 0
    assert counts(later)["events_sent"] == 1
    assert [e["event_properties"]["total"] for e in sandbox.brevo.events()] == [
        42.5,
        7.25,
    ]


def test_the_sandboxs_order_events_go_out_in_batches_of_100(
    tmp_path, sandbox_env, sandbox, instance
):
    source = "MARKETING_DB.PUBLIC.ORDER_EVENTS WHERE ORDER_ID <= 1200"
    event = """\
    name_column: EVENT_NAME
    id_column: ORDER_ID
    date_column: ORDERED_AT
    identifier: {email: EMAIL}
    properties: {TOTAL: total, PRIORITY: priority}
    """
    project = write_events_project(tmp_path, sandbox_env, source, event)

    result = project.run(instance)

    assert result.success
    numbers = counts(result)
    sent = numbers["events_sent"]
    assert sent + numbers["events_rejected"] == numbers["events_read"] > 200
    assert len(sandbox.brevo.events()) == sent
    assert batch_posts(sandbox) == -(-sent // 100)
