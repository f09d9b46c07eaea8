"""The Brevo client against the sandbox's fault switches: it completes or says why.

The client is the real one over real HTTP; its pacer's waits move a fake clock,
so backoffs and rate-limit holds take no time. Imports are upserts and are
sent again after 5xx, lost answers and timeouts; creates are not, since Brevo
may have applied them.
"""

import re

import pytest

from tajo_assets.brevo import (
    BrevoClient,
    BrevoProcessError,
    BrevoRequestError,
    BrevoUnavailableError,
    Pacer,
)
from tajo_assets_tests.brevo.fakes import FakeClock

IMPORT = "/v3/contacts/import"
CONTACTS = [{"email": "ana@example.com", "attributes": {"FIRSTNAME": "Ana"}}]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def connect(brevo, clock):
    """Open clients on the sandbox with a fake-time pacer; closed after the test."""
    clients: list[BrevoClient] = []

    def open_client(**options) -> BrevoClient:
        pacer = Pacer(clock=clock, sleep=clock.sleep)
        base_url = f"{brevo.server.url}/v3"
        client = BrevoClient(brevo.api_key, base_url, pacer=pacer, **options)
        clients.append(client)
        return client

    yield open_client
    for client in clients:
        client.close()


@pytest.fixture
def client(connect) -> BrevoClient:
    return connect(max_retries=3)


def _import_and_wait(brevo, client: BrevoClient, list_id: int):
    process_id = client.import_contacts(CONTACTS, [list_id])
    brevo.sandbox.wait_for_imports()
    return client.wait_for_import(process_id, deadline_s=60)


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_on_an_import_are_retried_until_accepted(
    brevo, faults, client, contact_list, status
):
    faults.add("POST", IMPORT, status, times=2)

    result = _import_and_wait(brevo, client, contact_list)

    assert (result.status, result.rejected) == ("completed", ())
    assert len(brevo.sandbox.processes()) == 1
    assert brevo.sandbox.contact("ana@example.com")["listIds"] == [contact_list]


def test_server_errors_beyond_the_retries_make_brevo_unavailable(
    brevo, faults, client, contact_list
):
    imports = faults.watch("POST", IMPORT)
    faults.add("POST", IMPORT, 503, times=10)

    with pytest.raises(
        BrevoUnavailableError, match=r"answered 503 .* after 4 attempts"
    ):
        client.import_contacts(CONTACTS, [contact_list])

    assert imports.arrived == 4
    assert brevo.sandbox.processes() == []


def test_a_429_waits_for_brevos_reset_then_imports(
    brevo, faults, client, clock, contact_list
):
    faults.add("POST", IMPORT, 429)

    result = _import_and_wait(brevo, client, contact_list)

    assert result.status == "completed"
    assert 1.0 in clock.sleeps
    assert len(brevo.sandbox.processes()) == 1


def test_a_400_names_brevos_code_and_message_and_is_not_retried(
    brevo, faults, client, contact_list
):
    imports = faults.watch("POST", IMPORT)
    body = {"code": "invalid_parameter", "message": "listIds are invalid"}
    faults.add("POST", IMPORT, 400, body=body)

    with pytest.raises(BrevoRequestError) as raised:
        client.import_contacts(CONTACTS, [contact_list])

    assert "400 invalid_parameter: listIds are invalid" in str(raised.value)
    assert (raised.value.code, raised.value.message) == (body["code"], body["message"])
    assert imports.arrived == 1


def test_a_dropped_import_is_sent_again(brevo, faults, client, contact_list):
    faults.drop("POST", IMPORT)

    result = _import_and_wait(brevo, client, contact_list)

    assert result.status == "completed"
    assert len(brevo.sandbox.processes()) == 1


def test_an_import_whose_answer_was_lost_runs_twice_as_one_upsert(
    brevo, faults, client, contact_list
):
    faults.drop("POST", IMPORT, after_execution=True)

    result = _import_and_wait(brevo, client, contact_list)

    assert result.status == "completed"
    assert [p["status"] for p in brevo.sandbox.processes()] == ["completed"] * 2
    contacts = brevo.sandbox.contacts()
    assert [(c["email"], c["listIds"]) for c in contacts] == [
        ("ana@example.com", [contact_list])
    ]


def test_a_slow_import_answer_times_out_and_is_sent_again(
    brevo, faults, connect, contact_list
):
    faults.delay("POST", IMPORT, 2.0)
    impatient = connect(timeout_s=0.5, max_retries=3)

    result = _import_and_wait(brevo, impatient, contact_list)

    assert result.status == "completed"
    assert len(brevo.sandbox.processes()) == 2
    assert len(brevo.sandbox.contacts()) == 1


def test_a_list_created_without_an_answer_is_not_created_twice(brevo, faults, client):
    folder_id = client.create_folder("Warehouse")
    faults.drop("POST", "/v3/contacts/lists", after_execution=True)

    with pytest.raises(BrevoUnavailableError, match="may have applied it"):
        client.find_or_create_list("Champions", "Warehouse")
    found = client.find_or_create_list("Champions", "Warehouse")

    lists = brevo.sandbox.lists()
    assert [(item["id"], item["folderId"]) for item in lists] == [(found.id, folder_id)]


def test_a_slow_answer_to_a_create_is_not_sent_again(brevo, faults, connect):
    faults.delay("POST", "/v3/contacts/folders", 2.0)
    impatient = connect(timeout_s=0.5)

    with pytest.raises(BrevoUnavailableError, match=r"ReadTimeout.*not retried"):
        impatient.create_folder("Warehouse")

    assert [folder["name"] for folder in brevo.sandbox.folders()] == ["Warehouse"]


def test_a_failed_import_process_is_an_error_naming_it(
    brevo, faults, client, contact_list
):
    faults.fail_imports(error="File processing failed")
    process_id = client.import_contacts(CONTACTS, [contact_list])
    brevo.sandbox.wait_for_imports()

    expected = f"process {process_id} ended 'failed' (File processing failed)"
    with pytest.raises(BrevoProcessError, match=re.escape(expected)) as raised:
        client.wait_for_import(process_id, deadline_s=60)

    assert (raised.value.process_id, raised.value.process_status) == (
        process_id,
        "failed",
    )
    assert brevo.sandbox.contact("ana@example.com") is None


def test_polling_reads_the_process_again_after_a_lost_answer(
    brevo, faults, client, contact_list
):
    faults.drop("GET", "/v3/processes/*")
    faults.add("GET", "/v3/processes/*", 502)

    result = _import_and_wait(brevo, client, contact_list)

    assert result.status == "completed"


def test_a_list_change_whose_answer_was_lost_is_applied_once(
    brevo, faults, client, contact_list
):
    _import_and_wait(brevo, client, contact_list)
    faults.drop("POST", "/v3/contacts/lists/*/contacts/remove", after_execution=True)

    outcome = client.remove_contacts_from_list(contact_list, emails=["ana@example.com"])

    # The resent call finds the contact already out of the list, so Brevo
    # reports it as a failure although the lost first call removed it.
    assert (outcome.success, outcome.failure) == ((), ("ana@example.com",))
    assert brevo.sandbox.contact("ana@example.com")["listIds"] == []


def test_a_lost_rejection_report_leaves_the_rejections_unknown(
    brevo, faults, client, contact_list
):
    faults.drop("GET", "/_sandbox/files/*")
    rows = [*CONTACTS, {"email": "not-an-email"}]
    process_id = client.import_contacts(rows, [contact_list])
    brevo.sandbox.wait_for_imports()

    result = client.wait_for_import(process_id, deadline_s=60)

    assert result.rejections_unknown
    assert "invalid_emails report could not be read" in result.rejection_report_error
