"""Sync modes, segment lists and dry runs: full runs against both sandboxes.

Each test writes its own tajo.yaml and small warehouse table, runs the
tajo_sync job in process over real HTTP, and asserts Brevo's final state and
the run's counts.
"""

import dagster as dg
import pytest

from tajo_assets_tests.assets.conftest import brevo_api, create_table, warehouse_client

SYNC = "brevo__customer_segments"
MAPPING = {"email": "email", "first_name": "FIRSTNAME"}
KNOWN, NEW = "known@example.com", "new@example.com"


def sync_counts(result: dg.ExecuteInProcessResult) -> dict[str, object]:
    [event] = result.asset_materializations_for_node(SYNC)
    return {key: value.value for key, value in event.metadata.items()}


def create_by_hand(sandbox, address: str, first_name: str) -> None:
    """A contact someone made in Brevo before any sync ran."""
    with brevo_api(sandbox) as api:
        body = {"email": address, "attributes": {"FIRSTNAME": first_name}}
        api.post("/contacts", json=body).raise_for_status()


def first_name(sandbox, address: str) -> str | None:
    contact = sandbox.brevo.contact(address)
    return None if contact is None else contact["attributes"].get("FIRSTNAME")


def members(sandbox, list_name: str) -> set[str]:
    """Emails of the members of the list called `list_name` (none if missing)."""
    found = [item for item in sandbox.brevo.lists() if item["name"] == list_name]
    if not found:
        return set()
    ids = set(found[0]["contactIds"])
    return {c["email"] for c in sandbox.brevo.contacts() if c["id"] in ids}


def writes(sandbox) -> int:
    """Brevo requests that write (anything but GET) so far."""
    counts = sandbox.brevo.request_counts.by_route
    return sum(c.requests for (method, _), c in counts.items() if method != "GET")


LIST = "Customer segments (Snowflake)"


def change(env: dict[str, str], table: str, *statements: str) -> None:
    """Run statements on a test's table, named `{table}` in their text."""
    with warehouse_client(env) as client:
        for statement in statements:
            client.execute(statement.format(table=table))


@pytest.fixture
def two_people(sandbox_env) -> str:
    """A table with one person Brevo already has and one it does not."""
    rows = [f"('{KNOWN}', 'Ana')", f"('{NEW}', 'Bo')"]
    return create_table(sandbox_env, "TWO", rows, "EMAIL, FIRST_NAME")


def query_of(table: str) -> str:
    return f"SELECT email, first_name FROM {table}\n"  # noqa: S608


@pytest.mark.parametrize(
    ("mode", "known_name", "new_exists", "listed"),
    [
        ("upsert", "Ana", True, {KNOWN, NEW}),
        ("mirror", "Ana", True, {KNOWN, NEW}),
        ("insert", "Old", True, {KNOWN, NEW}),
        ("update", "Ana", False, {KNOWN}),
    ],
)
def test_each_mode_on_a_contact_that_exists_and_one_that_does_not(
    write_project, two_people, sandbox, instance, mode, known_name, new_exists, listed
):
    create_by_hand(sandbox, KNOWN, "Old")
    project = write_project(MAPPING, query_of(two_people), sync=f"mode: {mode}")

    result = project.run(instance)

    assert result.success
    assert first_name(sandbox, KNOWN) == known_name
    assert (first_name(sandbox, NEW) == "Bo") is new_exists
    assert members(sandbox, LIST) == listed
    counts = sync_counts(result)
    assert counts["rejected_by_brevo"] == (0 if new_exists else 1)


def test_update_only_rejects_the_unknown_contact_and_retries_it_next_run(
    write_project, two_people, sandbox, instance
):
    create_by_hand(sandbox, KNOWN, "Old")
    project = write_project(MAPPING, query_of(two_people), sync="mode: update")

    first = project.run(instance)
    create_by_hand(sandbox, NEW, "Made in Brevo")
    second = project.run(instance)

    assert first.success and second.success
    assert sync_counts(first)["rejection_reasons"] == {
        "Brevo has no contact with this identifier": 1
    }
    counts = sync_counts(second)
    assert (counts["retried"], counts["contacts_sent"], counts["rejected"]) == (1, 1, 0)
    assert first_name(sandbox, NEW) == "Bo"
    assert members(sandbox, LIST) == {KNOWN, NEW}


def test_a_batch_with_one_unknown_contact_rejects_only_that_row(
    write_project, sandbox_env, sandbox, instance
):
    people = [f"p{i}@example.com" for i in range(1, 8)]
    for address in people:
        if address != "p4@example.com":
            create_by_hand(sandbox, address, "Old")
    rows = [f"('{a}', 'Name {i}')" for i, a in enumerate(people, start=1)]
    table = create_table(sandbox_env, "SEVEN", rows, "EMAIL, FIRST_NAME")
    project = write_project(MAPPING, query_of(table), sync="mode: update")

    result = project.run(instance)

    assert result.success
    counts = sync_counts(result)
    assert (counts["rejected_by_brevo"], counts["contacts_acknowledged"]) == (1, 6)
    [sample] = counts["rejected_sample"].records
    assert sample.data["key"].startswith("p") and "@example.com" in sample.data["key"]
    assert sample.data["key"] != "p4@example.com"  # masked
    # New to the sync state, so planned as a create, which update-only sends
    # as an update.
    assert (sample.data["action"], sample.data["rejected_by"]) == ("create", "BREVO")
    assert sample.data["code"] == "document_not_found"
    assert [first_name(sandbox, a) for a in people] == [
        "Name 1",
        "Name 2",
        "Name 3",
        None,
        "Name 5",
        "Name 6",
        "Name 7",
    ]


SEGMENT_DESTINATION = (
    "segment_column: segment\nlist_name: 'Segment {segment}'\nfolder_name: Segments"
)


def test_a_contact_moving_segment_leaves_the_old_list_and_joins_the_new(
    write_project, sandbox_env, sandbox, instance
):
    rows = [
        "('a@example.com', 'Ana', 'Gold')",
        "('b@example.com', 'Bo', 'Gold')",
        "('c@example.com', 'Cy', 'Silver')",
        "('d@example.com', 'Di', NULL)",
    ]
    table = create_table(sandbox_env, "SEGMENTED", rows, "EMAIL, FIRST_NAME, SEGMENT")
    query = f"SELECT email, first_name, segment FROM {table}\n"  # noqa: S608
    project = write_project(MAPPING, query, destination=SEGMENT_DESTINATION)

    first = project.run(instance)
    change(
        sandbox_env,
        table,
        "UPDATE {table} SET SEGMENT = 'Silver' WHERE EMAIL = 'b@example.com'",
    )
    second = project.run(instance)
    third = project.run(instance)

    assert first.success and second.success and third.success
    assert members(sandbox, "Segment Gold") == {"a@example.com"}
    assert members(sandbox, "Segment Silver") == {"b@example.com", "c@example.com"}
    # A NULL segment belongs in no list, and its row is not sent.
    assert sandbox.brevo.contact("d@example.com") is None
    counts = sync_counts(second)
    assert (counts["members_moving_list"], counts["removed"]) == (1, 1)
    assert (counts["re_added"], counts["contacts_sent"]) == (1, 1)
    assert sync_counts(third)["contacts_sent"] == 0
    folders = {f["id"]: f["name"] for f in sandbox.brevo.folders()}
    assert {folders[item["folderId"]] for item in sandbox.brevo.lists()} == {"Segments"}


def state_rows(project, sandbox_env) -> list[tuple]:
    with warehouse_client(sandbox_env) as client:
        table = f"{project.state_schema}.SYNC_CUSTOMER_SEGMENTS_STATE"
        return sorted(client.execute(f"SELECT * FROM {table}").rows())  # noqa: S608


def dry_run_plan(result: dg.ExecuteInProcessResult) -> dict[str, object]:
    [observation] = [
        event.asset_observation_data.asset_observation
        for event in result.all_events
        if event.event_type_value == "ASSET_OBSERVATION"
        and event.asset_key == dg.AssetKey(["brevo", "customer_segments"])
    ]
    return {key: value.value for key, value in observation.metadata.items()}


DRY_RUN = {"ops": {SYNC: {"config": {"dry_run": True}}}}


def test_a_dry_run_plans_what_the_next_run_does_and_writes_nothing(
    write_project, sandbox_env, sandbox, instance
):
    rows = [f"('p{i}@example.com', 'Name {i}', TRUE)" for i in range(1, 11)]
    table = create_table(sandbox_env, "TEN", rows, "EMAIL, FIRST_NAME, IN_AUDIENCE")
    query = f"SELECT email, first_name FROM {table} WHERE in_audience\n"  # noqa: S608
    project = write_project(MAPPING, query, sync="mode: mirror")
    assert project.run(instance).success
    change(
        sandbox_env,
        table,
        "UPDATE {table} SET FIRST_NAME = 'Renamed' WHERE EMAIL = 'p2@example.com'",
        "UPDATE {table} SET IN_AUDIENCE = FALSE WHERE EMAIL = 'p3@example.com'",
        "INSERT INTO {table} VALUES ('p11@example.com', 'Eleven', TRUE)",
    )
    state_before, writes_before = state_rows(project, sandbox_env), writes(sandbox)
    contacts_before = sandbox.brevo.contacts()

    dry = project.run(instance, run_config=DRY_RUN)

    assert dry.success
    assert dry.asset_materializations_for_node(SYNC) == []
    plan = dry_run_plan(dry)
    assert (plan["to_create"], plan["to_update"], plan["to_remove_from_list"]) == (
        1,
        1,
        1,
    )
    actions = {record.data["action"] for record in plan["sample"].records}
    assert actions == {"create", "update"}
    sample = sorted(
        (r.data["key"], r.data["attributes"]) for r in plan["sample"].records
    )
    # Keys and text values are masked: the UI shows no address or name.
    assert sample == [
        ("p***@example.com", "FIRSTNAME=E***"),
        ("p***@example.com", "FIRSTNAME=R***"),
    ]
    assert writes(sandbox) == writes_before
    assert sandbox.brevo.contacts() == contacts_before
    assert state_rows(project, sandbox_env) == state_before

    real = project.run(instance)

    counts = sync_counts(real)
    assert (counts["created"], counts["updated"], counts["removed"]) == (1, 1, 1)
    assert first_name(sandbox, "p2@example.com") == "Renamed"


def test_a_dry_run_counts_rows_it_would_refuse_as_invalid_not_to_create(
    write_project, sandbox_env, sandbox, instance
):
    rows = ["('p1@example.com', 'Ana')", "('not-an-email', 'Bo')", "(NULL, 'Cy')"]
    table = create_table(sandbox_env, "THREE", rows, "EMAIL, FIRST_NAME")
    # The audience checks would stop a result this bad: let the rows through.
    checks = "checks:\n  max_null_keys: 5\n  min_valid_email_rate: 0.1\n"
    project = write_project(MAPPING, query_of(table), checks)

    dry = project.run(instance, run_config=DRY_RUN)
    real = project.run(instance)

    plan, counts = dry_run_plan(dry), sync_counts(real)
    assert (plan["to_create"], plan["invalid"]) == (1, 2)
    assert (counts["created"], counts["rejected_before_sending"]) == (1, 2)


def test_a_dry_run_of_a_new_sync_names_the_lists_it_would_create(
    write_project, two_people, sandbox, instance
):
    project = write_project(MAPPING, query_of(two_people))

    dry = project.run(instance, run_config=DRY_RUN)

    assert dry.success
    plan = dry_run_plan(dry)
    assert plan["lists_to_create"] == [LIST]
    assert plan["to_create"] == 2
    assert sandbox.brevo.lists() == [] and sandbox.brevo.folders() == []
    assert writes(sandbox) == 0


def test_an_insert_only_sync_switched_to_upsert_sends_its_values_again(
    write_project, two_people, sandbox, instance
):
    create_by_hand(sandbox, KNOWN, "Old")
    project = write_project(MAPPING, query_of(two_people), sync="mode: insert")
    assert project.run(instance).success
    assert first_name(sandbox, KNOWN) == "Old"

    text = project.path.read_text().replace("mode: insert", "mode: upsert")
    project.path.write_text(text)
    upsert = project.run(instance)

    assert upsert.success
    assert first_name(sandbox, KNOWN) == "Ana"
    assert sync_counts(upsert)["contacts_sent"] == 2


def segmented(sandbox_env, rows: list[str]) -> str:
    table = create_table(sandbox_env, "SEGMENTED", rows, "EMAIL, FIRST_NAME, SEGMENT")
    return f"SELECT email, first_name, segment FROM {table}\n"  # noqa: S608


def test_a_segment_list_deleted_in_brevo_is_made_again_and_filled(
    write_project, sandbox_env, sandbox, instance
):
    rows = ["('a@example.com', 'Ana', 'Gold')", "('b@example.com', 'Bo', 'Silver')"]
    project = write_project(
        MAPPING, segmented(sandbox_env, rows), destination=SEGMENT_DESTINATION
    )
    assert project.run(instance).success
    [gold] = [item["id"] for item in sandbox.brevo.lists() if "Gold" in item["name"]]
    with brevo_api(sandbox) as api:
        assert api.delete(f"/contacts/lists/{gold}").status_code == 204

    again = project.run(instance)
    settled = project.run(instance)

    assert again.success and settled.success
    assert members(sandbox, "Segment Gold") == {"a@example.com"}
    assert members(sandbox, "Segment Silver") == {"b@example.com"}
    assert sync_counts(again)["removed"] == 1  # out of the deleted list
    assert sync_counts(settled)["contacts_sent"] == 0


def test_segment_values_with_outer_spaces_share_the_trimmed_list(
    write_project, sandbox_env, sandbox, instance
):
    rows = [
        "('a@example.com', 'Ana', 'Gold')",
        "('b@example.com', 'Bo', 'Gold  ')",
        "('c@example.com', 'Cy', '  Silver')",
    ]
    project = write_project(
        MAPPING, segmented(sandbox_env, rows), destination=SEGMENT_DESTINATION
    )

    first = project.run(instance)
    second = project.run(instance)

    assert first.success and second.success
    assert sorted(item["name"] for item in sandbox.brevo.lists()) == [
        "Segment Gold",
        "Segment Silver",
    ]
    assert members(sandbox, "Segment Gold") == {"a@example.com", "b@example.com"}
    assert members(sandbox, "Segment Silver") == {"c@example.com"}
    assert sync_counts(second)["contacts_sent"] == 0
