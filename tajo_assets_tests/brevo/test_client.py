"""The Brevo client against the Brevo sandbox, over real HTTP on 127.0.0.1."""

import json
import logging

import pytest

from tajo_assets.brevo import (
    AttributeOption,
    BrevoAuthError,
    BrevoClient,
    BrevoConfigurationError,
    BrevoNotFoundError,
    BrevoProcessTimeoutError,
    BrevoRequestError,
    contacts_budget,
    split_import_bodies,
)
from tajo_assets.brevo.imports import BREVO_MAX_BODY_BYTES, encode_json
from tajo_assets.sandbox.brevo import BrevoSandbox
from tajo_assets_tests.brevo.conftest import BrevoStand
from tajo_assets_tests.brevo.fakes import FakeClock

ADD_ROUTE = ("POST", "/v3/contacts/lists/{listId}/contacts/add")
IMPORT_ROUTE = ("POST", "/v3/contacts/import")


def customers(count: int, start: int = 0) -> list[dict]:
    return [
        {
            "email": f"customer{n}@example.com",
            "attributes": {"FIRSTNAME": f"Name{n}", "LTV": round(n * 1.25, 2)},
        }
        for n in range(start, start + count)
    ]


def members_of(sandbox: BrevoSandbox, list_id: int) -> list[int]:
    [members] = [lst["contactIds"] for lst in sandbox.lists() if lst["id"] == list_id]
    return members


def sent_import_bodies(sandbox: BrevoSandbox) -> list[dict]:
    return [
        json.loads(exchange.request_body)
        for exchange in sandbox.traffic.take()
        if (exchange.method, exchange.path) == IMPORT_ROUTE
    ]


def import_and_wait(client: BrevoClient, contacts: list[dict], list_id: int):
    process_id = client.import_contacts(contacts, [list_id])
    return client.wait_for_import(process_id, deadline_s=30, first_poll_s=0.05)


def test_the_key_is_accepted(client: BrevoClient, sandbox: BrevoSandbox) -> None:
    client.check_key()

    assert sandbox.request_counts.by_route[("GET", "/v3/account")].requests == 1


def test_attributes_are_read_and_created(
    client: BrevoClient, sandbox: BrevoSandbox
) -> None:
    client.create_attribute("LTV", "float")
    client.create_attribute(
        "RFM_CLASS",
        "category",
        category="category",
        enumeration=[AttributeOption(value=1, label="champion")],
    )

    attributes = {a.name: a for a in client.get_attributes()}

    assert {"FIRSTNAME", "LASTNAME", "LTV", "RFM_CLASS"} <= attributes.keys()
    assert (attributes["LTV"].category, attributes["LTV"].type) == ("normal", "float")
    assert attributes["RFM_CLASS"].enumeration == [
        AttributeOption(value=1, label="champion")
    ]
    stored = {a["name"] for a in sandbox.attributes()}
    assert {"LTV", "RFM_CLASS"} <= stored


def test_creating_an_existing_attribute_keeps_brevos_words(
    client: BrevoClient,
) -> None:
    client.create_attribute("LTV", "float")

    with pytest.raises(BrevoRequestError) as raised:
        client.create_attribute("LTV", "float")

    assert raised.value.status == 400
    assert raised.value.code is not None
    assert "Brevo refused to create the normal attribute LTV (400 " in str(raised.value)


def test_a_list_is_created_in_its_folder_once(
    client: BrevoClient, sandbox: BrevoSandbox
) -> None:
    created = client.find_or_create_list("VIP customers", "Warehouse audiences")
    found = client.find_or_create_list("VIP customers", "Warehouse audiences")

    assert found == created
    assert [f["name"] for f in sandbox.folders()] == ["Warehouse audiences"]
    [stored] = sandbox.lists()
    assert (stored["id"], stored["name"]) == (created.id, "VIP customers")
    assert stored["folderId"] == created.folder_id


def test_a_list_of_the_same_name_in_another_folder_is_not_taken(
    client: BrevoClient,
) -> None:
    other_folder = client.create_folder("Old imports")
    stale = client.create_list("VIP customers", other_folder)

    created = client.find_or_create_list("VIP customers", "Warehouse audiences")

    assert created.id != stale
    assert created.folder_id != other_folder


def test_two_folders_of_the_same_name_are_ambiguous(client: BrevoClient) -> None:
    first = client.create_folder("Warehouse audiences")
    second = client.create_folder("Warehouse audiences")

    with pytest.raises(BrevoConfigurationError) as raised:
        client.find_or_create_list("VIP", "Warehouse audiences")

    assert (
        f"Brevo has 2 folders named 'Warehouse audiences' (ids {first}, {second})"
        in str(raised.value)
    )
    assert "rename all but one in Brevo" in str(raised.value)


def test_lists_are_read_past_one_page(serve_brevo, api_key: str) -> None:
    stand: BrevoStand = serve_brevo(contacts_per_second=None)
    with BrevoClient(api_key, stand.base_url) as client:
        folder = client.create_folder("Many")
        made = [client.create_list(f"segment {n}", folder) for n in range(53)]

        lists = client.get_lists()

    assert [item.id for item in lists] == made
    assert (
        stand.sandbox.request_counts.by_route[("GET", "/v3/contacts/lists")].requests
        == 2
    )


def test_an_unknown_list_is_a_clear_error(client: BrevoClient) -> None:
    with pytest.raises(BrevoNotFoundError) as raised:
        client.get_list(4242)

    message = str(raised.value)
    assert message.startswith("Brevo has no list 4242 (404 document_not_found:")
    assert "check the list id in the sync's destination" in message


def test_adding_to_an_unknown_list_is_a_clear_error(client: BrevoClient) -> None:
    with pytest.raises(BrevoNotFoundError, match="Brevo has no list 77"):
        client.add_contacts_to_list(77, emails=["customer1@example.com"])


def test_an_import_of_several_bodies_lands_with_its_rejections(
    client: BrevoClient, sandbox: BrevoSandbox
) -> None:
    client.create_attribute("LTV", "float")
    audience = client.find_or_create_list("Audience", "Warehouse audiences")
    contacts = customers(3000)
    broken = {17: "broken17@", 1400: "broken1400@", 2999: "broken2999@"}
    for position, email in broken.items():
        contacts[position] = {"email": email, "attributes": {}}
    sandbox.traffic.enabled = True

    bodies = list(split_import_bodies(contacts, max_body_bytes=60_000))
    results = [import_and_wait(client, body, audience.id) for body in bodies]

    sent = sent_import_bodies(sandbox)
    assert len(bodies) >= 3
    assert [body["jsonBody"] for body in sent] == bodies
    assert all(len(encode_json(body["jsonBody"])) <= 60_000 for body in sent)
    assert not any(result.rejections_unknown for result in results)
    rejected = [
        (rejection, body)
        for result, body in zip(results, bodies, strict=True)
        for rejection in result.rejected
    ]
    assert sorted(rejection.identifier for rejection, _ in rejected) == sorted(
        broken.values()
    )
    for rejection, body in rejected:
        assert body[rejection.row - 1]["email"] == rejection.identifier
        assert rejection.reason.startswith("invalid email address")
    assert len(sandbox.contacts()) == 2997
    assert sandbox.contact("customer2@example.com")["attributes"]["LTV"] == 2.5
    assert len(members_of(sandbox, audience.id)) == 2997


def test_imported_contacts_are_read_back(
    client: BrevoClient, sandbox: BrevoSandbox
) -> None:
    audience = client.find_or_create_list("Audience", "Warehouse audiences")
    plus = {"email": "jane+vip@example.com", "attributes": {"FIRSTNAME": "Jane"}}
    import_and_wait(client, [*customers(24), plus], audience.id)

    first_page = client.get_contacts(limit=10)
    every = list(client.iter_contacts(page_size=7))
    one = client.get_contact("customer3@example.com")
    by_id = client.get_contact(one.id, identifier_type="contact_id")
    jane = client.get_contact("jane+vip@example.com")

    assert first_page.count == 25
    assert len(first_page.contacts) == 10
    expected = [f"customer{n}@example.com" for n in range(24)] + [plus["email"]]
    assert [contact.email for contact in every] == expected
    assert one.attributes["FIRSTNAME"] == "Name3"
    assert audience.id in one.list_ids
    assert by_id == one
    assert jane.attributes["FIRSTNAME"] == "Jane"


def test_an_unknown_contact_is_not_found(client: BrevoClient) -> None:
    with pytest.raises(BrevoNotFoundError) as raised:
        client.get_contact("nobody@example.com")

    assert "nobody@example.com" not in str(raised.value).split("(")[0]
    assert "check the identifier and its identifier type" in str(raised.value)


def test_400_emails_are_added_in_three_calls(
    client: BrevoClient, sandbox: BrevoSandbox
) -> None:
    audience = client.find_or_create_list("Audience", "Warehouse audiences")
    vip = client.find_or_create_list("VIP", "Warehouse audiences")
    import_and_wait(client, customers(400), audience.id)
    emails = [f"customer{n}@example.com" for n in range(400)]

    result = client.add_contacts_to_list(vip.id, emails=emails)

    assert sandbox.request_counts.by_route[ADD_ROUTE].requests == 3
    assert sorted(result.success) == sorted(emails)
    assert result.failure == ()
    assert len(members_of(sandbox, vip.id)) == 400


def test_unknown_and_present_members_are_reported_as_failures(
    client: BrevoClient, sandbox: BrevoSandbox
) -> None:
    audience = client.find_or_create_list("Audience", "Warehouse audiences")
    import_and_wait(client, customers(3), audience.id)
    present = ["customer0@example.com", "customer1@example.com"]

    partly = client.add_contacts_to_list(
        audience.id, emails=["unknown@example.com", "customer2@example.com"]
    )
    client.remove_contacts_from_list(audience.id, emails=["customer2@example.com"])
    none = client.add_contacts_to_list(audience.id, emails=present)

    # customer2 was in the list already; the sandbox applies nothing and says so.
    assert partly.success == ()
    assert set(partly.failure) == {"unknown@example.com", "customer2@example.com"}
    assert none.success == ()
    assert none.failure == tuple(present)


def test_members_are_removed_by_ext_id_and_id(
    client: BrevoClient, sandbox: BrevoSandbox
) -> None:
    audience = client.find_or_create_list("Audience", "Warehouse audiences")
    contacts = customers(4)
    for n, contact in enumerate(contacts):
        contact["attributes"]["EXT_ID"] = f"C-{n}"
    import_and_wait(client, contacts, audience.id)
    first = client.get_contact("customer0@example.com")

    by_ext_id = client.remove_contacts_from_list(audience.id, ext_ids=["C-1", "C-2"])
    by_id = client.remove_contacts_from_list(audience.id, ids=[first.id])

    assert by_ext_id.success == ("C-1", "C-2")
    assert by_id.success == (first.id,)
    remaining = sandbox.contact("customer3@example.com")["listIds"]
    assert remaining == [audience.id]
    assert sandbox.contact("customer1@example.com")["listIds"] == []


def test_a_list_change_names_exactly_one_kind_of_identifier(
    client: BrevoClient,
) -> None:
    with pytest.raises(ValueError, match="exactly one of emails, ext_ids or ids"):
        client.add_contacts_to_list(1, emails=["a@example.com"], ids=[3])


def test_an_import_into_an_unknown_list_keeps_brevos_message(
    client: BrevoClient,
) -> None:
    with pytest.raises(BrevoRequestError) as raised:
        client.import_contacts(customers(2), [999])

    assert raised.value.status == 400
    assert "Brevo refused to import contacts (400 invalid_parameter:" in str(
        raised.value
    )
    assert "999" in raised.value.message


def test_a_slow_import_times_out_with_its_id_and_status(
    serve_brevo, api_key: str, clock: FakeClock, fake_time_pacer
) -> None:
    # The sandbox's clock stands still, so its import never leaves "queued".
    stand: BrevoStand = serve_brevo(clock=lambda: 0.0, import_seconds=10.0)
    with BrevoClient(api_key, stand.base_url, pacer=fake_time_pacer) as client:
        folder = client.create_folder("Audiences")
        list_id = client.create_list("Audience", folder)
        process_id = client.import_contacts(customers(2), [list_id])

        with pytest.raises(BrevoProcessTimeoutError) as raised:
            client.wait_for_import(process_id, deadline_s=20)

    error = raised.value
    assert (error.process_id, error.process_status) == (process_id, "queued")
    assert f"Brevo import process {process_id} was still 'queued'" in str(error)
    assert "cannot be seen completed within the 20 s deadline;" in str(error)
    # Polls at 0.5, 1.5, 3.5, 7.5, 15.5 and 20 s: geometric, then the deadline.
    assert clock.sleeps == [0.5, 1.0, 2.0, 4.0, 8.0, 4.5]
    polls = stand.sandbox.request_counts.by_route[("GET", "/v3/processes/{processId}")]
    assert polls.requests == 6


def test_polls_stay_within_the_hourly_budget_brevo_reports(
    serve_brevo, api_key: str, clock: FakeClock, fake_time_pacer
) -> None:
    # Four polls an hour, as the headers will say; the import never finishes.
    stand: BrevoStand = serve_brevo(
        clock=lambda: 0.0, import_seconds=10.0, other_per_hour=4
    )
    with BrevoClient(api_key, stand.base_url, pacer=fake_time_pacer) as client:
        folder = client.create_folder("Audiences")
        list_id = client.create_list("Audience", folder)
        process_id = client.import_contacts(customers(2), [list_id])

        with pytest.raises(BrevoProcessTimeoutError) as raised:
            client.wait_for_import(process_id, deadline_s=3000)

    # Half the hour spent after two polls: then one poll per 3600/4 s, and
    # no poll once the hour is spent and its reset lies past the deadline.
    assert clock.sleeps == [0.5, 1.0, 900.0, 900.0]
    polls = stand.sandbox.request_counts.by_route[("GET", "/v3/processes/{processId}")]
    assert (polls.requests, polls.rate_limited) == (4, 0)
    assert "the rate-limit window of /processes resets later" in str(raised.value)


def test_a_wrong_key_names_its_variable_and_never_shows_itself(
    brevo_stand: BrevoStand, sandbox: BrevoSandbox
) -> None:
    wrong_key = "xkeysib-not-the-right-one-5f2c"
    client = BrevoClient(wrong_key, brevo_stand.base_url, api_key_env="TAJO_BREVO_KEY")

    with client, pytest.raises(BrevoAuthError) as raised:
        client.check_key()

    message = str(raised.value)
    assert "Brevo rejected the API key (401 unauthorized: Key not found)" in message
    assert "check the key in TAJO_BREVO_KEY" in message
    for shown in (
        message,
        repr(raised.value),
        repr(client),
        str(raised.value.__dict__),
    ):
        assert wrong_key not in shown


def test_logs_count_the_work_without_row_data_or_key(
    client: BrevoClient, sandbox: BrevoSandbox, api_key: str, caplog
) -> None:
    caplog.set_level(logging.DEBUG, logger="tajo_assets.brevo")
    audience = client.find_or_create_list("Audience", "Warehouse audiences")
    import_and_wait(client, customers(3), audience.id)
    vip = client.find_or_create_list("VIP", "Warehouse audiences")
    client.add_contacts_to_list(vip.id, emails=["customer1@example.com"])
    client.get_contact("customer1@example.com")

    info = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert any(
        line.startswith("Brevo import submitted: process 1, 3 contacts,")
        for line in info
    )
    assert any(
        line.startswith(f"Brevo list {vip.id} add: 1 sent, 1 applied") for line in info
    )
    assert any("completed after" in line and "0 rows rejected" in line for line in info)
    for record in caplog.records:
        assert api_key not in record.getMessage()
        assert "@example.com" not in record.getMessage()


def test_bodies_split_at_brevos_limit_are_requests_brevo_accepts(
    client: BrevoClient, sandbox: BrevoSandbox
) -> None:
    audience = client.find_or_create_list("Big", "Warehouse audiences")
    note = "n" * 990
    contacts = [
        {"email": f"c{n}@example.com", "attributes": {"FIRSTNAME": note}}
        for n in range(10_500)
    ]
    sandbox.traffic.enabled = True

    budget = contacts_budget(BREVO_MAX_BODY_BYTES)
    for body in split_import_bodies(contacts, max_body_bytes=budget):
        import_and_wait(client, body, audience.id)

    sizes = [
        len(exchange.request_body)
        for exchange in sandbox.traffic.take()
        if (exchange.method, exchange.path) == IMPORT_ROUTE
    ]
    assert max(sizes) > BREVO_MAX_BODY_BYTES - 2_000
    assert all(size <= BREVO_MAX_BODY_BYTES for size in sizes)
    assert len(sandbox.contacts()) == 10_500


def test_an_import_request_over_brevos_limit_is_refused_before_sending(
    client: BrevoClient, sandbox: BrevoSandbox
) -> None:
    huge = [{"email": "a@example.com", "attributes": {"NOTE": "x" * 10_000_000}}]

    with pytest.raises(BrevoRequestError, match="over Brevo's 10000000"):
        client.import_contacts(huge, [1])

    assert IMPORT_ROUTE not in sandbox.request_counts.by_route
