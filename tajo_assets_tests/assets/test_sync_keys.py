"""Syncs keyed by ext_id or SMS number, end to end against both sandboxes.

Each test owns a small MEMBERS table in its own schema, runs the job, changes
the table between runs, and checks what the Brevo sandbox ends up holding.
"""

import pytest

from tajo_assets_tests.assets.conftest import People, create_table
from tajo_assets_tests.assets.test_sync_scenarios import (
    posts,
    sync_counts,
)

MEMBERS = 20
LOOKUP_ROUTE = ("GET", "/v3/contacts/{identifier}")
REMOVE_ROUTE = ("POST", "/v3/contacts/lists/{listId}/contacts/remove")


def raw_ext_id(member: int) -> str:
    # The case is the user's own; the spaces around it are not part of the id.
    return f"  Cust-{member:03d}-aB "


def ext_id(member: int) -> str:
    return f"Cust-{member:03d}-aB"


def raw_phone(member: int) -> str:
    return f"0033 6 12 34 {member:02d} 78"


def sms(member: int) -> str:
    return f"+3361234{member:02d}78"


@pytest.fixture
def members(sandbox_env) -> People:
    """MEMBERS: ID, CUSTOMER_ID (ext_id), PHONE, FIRST_NAME, IN_AUDIENCE."""
    rows = [
        f"({i}, '{raw_ext_id(i)}', '{raw_phone(i)}', 'Name {i}', TRUE)"
        for i in range(1, MEMBERS + 1)
    ]
    columns = "ID, CUSTOMER_ID, PHONE, FIRST_NAME, IN_AUDIENCE"
    return People(create_table(sandbox_env, "MEMBERS", rows, columns), sandbox_env)


def audience(members: People, key_column: str) -> str:
    return f"SELECT {key_column}, first_name FROM {members.table} WHERE in_audience\n"  # noqa: S608


def the_list(sandbox) -> dict:
    [synced] = [
        item
        for item in sandbox.brevo.lists()
        if item["name"] == "Customer segments (Snowflake)"
    ]
    return synced


def member_contacts(sandbox) -> list[dict]:
    ids = set(the_list(sandbox)["contactIds"])
    return [c for c in sandbox.brevo.contacts() if c["id"] in ids]


def checks_passed(result) -> dict[str, bool]:
    return {e.check_name: e.passed for e in result.get_asset_check_evaluations()}


def requests_to(sandbox, route: tuple[str, str]) -> int:
    count = sandbox.brevo.request_counts.by_route.get(route)
    return count.requests if count else 0


def test_an_ext_id_keyed_audience_keeps_case_removes_leavers_and_then_rests(
    write_project, members, sandbox, instance
):
    mapping = {"customer_id": "ext_id", "first_name": "FIRSTNAME"}
    project = write_project(
        mapping, audience(members, "customer_id"), sync="mode: mirror"
    )

    first = project.run(instance)
    members.execute("UPDATE {table} SET IN_AUDIENCE = FALSE WHERE ID = 7")
    second = project.run(instance)
    writes_after_second = posts(sandbox)
    third = project.run(instance)

    assert first.success and second.success and third.success
    assert checks_passed(first) == {
        "mapped_columns_present": True,
        "keys_unique_and_not_null": True,
        "valid_ext_id_rate": True,
        "row_count_not_collapsed": True,
    }
    assert sync_counts(first)["created"] == MEMBERS
    assert sync_counts(second)["removed"] == 1
    counts = sync_counts(third)
    assert (counts["contacts_sent"], counts["removed"]) == (0, 0)
    assert counts["unchanged"] == MEMBERS - 1
    assert posts(sandbox) == writes_after_second
    contacts = {c["ext_id"]: c for c in sandbox.brevo.contacts()}
    assert set(contacts) == {ext_id(i) for i in range(1, MEMBERS + 1)}
    assert all(c["email"] is None for c in contacts.values())
    assert contacts[ext_id(3)]["attributes"]["FIRSTNAME"] == "Name 3"
    listed = {c["ext_id"] for c in member_contacts(sandbox)}
    assert listed == {ext_id(i) for i in range(1, MEMBERS + 1) if i != 7}
    # Removed by extIds: no contact had to be looked up first.
    assert requests_to(sandbox, REMOVE_ROUTE) == 1
    assert requests_to(sandbox, LOOKUP_ROUTE) == 0


def test_ext_ids_that_differ_only_in_case_are_two_contacts(
    write_project, sandbox_env, sandbox, instance
):
    rows = ["('K-1', 'Upper')", "('k-1', 'Lower')", "(' K-2\t', 'Tabbed')"]
    table = create_table(sandbox_env, "IDS", rows, "CUSTOMER_ID, FIRST_NAME")
    query = f"SELECT customer_id, first_name FROM {table}\n"  # noqa: S608
    project = write_project({"customer_id": "ext_id", "first_name": "FIRSTNAME"}, query)

    result = project.run(instance)

    assert result.success
    names = {
        c["ext_id"]: c["attributes"]["FIRSTNAME"] for c in sandbox.brevo.contacts()
    }
    assert names == {"K-1": "Upper", "k-1": "Lower", "K-2": "Tabbed"}


def test_an_sms_keyed_audience_lands_in_international_format_and_removes_leavers(
    write_project, members, sandbox, instance
):
    mapping = {"phone": "sms", "first_name": "FIRSTNAME"}
    project = write_project(mapping, audience(members, "phone"), sync="mode: mirror")

    first = project.run(instance)
    contacts_after_first = sandbox.brevo.contacts()
    members.execute("UPDATE {table} SET IN_AUDIENCE = FALSE WHERE ID IN (4, 12)")
    second = project.run(instance)
    writes_after_second = posts(sandbox)
    third = project.run(instance)

    assert first.success and second.success and third.success
    assert checks_passed(first)["valid_sms_rate"]
    assert all(checks_passed(first).values())
    assert sync_counts(first)["created"] == MEMBERS
    assert sync_counts(second)["removed"] == 2
    counts = sync_counts(third)
    assert (counts["contacts_sent"], counts["removed"]) == (0, 0)
    assert posts(sandbox) == writes_after_second
    numbers = {c["attributes"]["SMS"] for c in contacts_after_first}
    assert numbers == {sms(i) for i in range(1, MEMBERS + 1)}
    assert sms(1) == "+33612340178"
    assert all(c["email"] is None and c["ext_id"] is None for c in contacts_after_first)
    # The leavers are still contacts, only out of the list.
    assert len(sandbox.brevo.contacts()) == MEMBERS
    listed = {c["attributes"]["SMS"] for c in member_contacts(sandbox)}
    assert listed == {sms(i) for i in range(1, MEMBERS + 1) if i not in (4, 12)}
    # Lists take no SMS numbers: each leaver was looked up for its contact id.
    assert requests_to(sandbox, LOOKUP_ROUTE) == 2
    assert requests_to(sandbox, REMOVE_ROUTE) == 1
