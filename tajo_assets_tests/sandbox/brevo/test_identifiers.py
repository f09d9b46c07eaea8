"""Contacts keyed by EXT_ID or SMS: imports, list changes by extIds, look-ups."""

import csv
import io

import httpx


def _import(brevo, rows: list[dict], list_id: int) -> dict:
    """Import `rows` as jsonBody into `list_id` and return the finished process."""
    response = brevo.api.post(
        "/contacts/import", json={"jsonBody": rows, "listIds": [list_id]}
    )
    assert response.status_code == 202, response.text
    return brevo.wait_for_process(response.json()["processId"])


def _report(process: dict, kind: str) -> list[dict[str, str]]:
    response = httpx.get(process["info"]["import"][kind])
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.text)))


def test_rows_keyed_by_ext_id_create_then_update_the_same_contacts(brevo, contact_list):
    first = [
        {"attributes": {"EXT_ID": "C-1", "FIRSTNAME": "Ann"}},
        {"attributes": {"EXT_ID": "c-1", "FIRSTNAME": "Other case"}},
    ]
    _import(brevo, first, contact_list)
    process = _import(
        brevo, [{"attributes": {"EXT_ID": "C-1", "FIRSTNAME": "Anna"}}], contact_list
    )

    contacts = brevo.sandbox.contacts()
    assert [(c["ext_id"], c["email"]) for c in contacts] == [
        ("C-1", None),
        ("c-1", None),
    ]
    assert contacts[0]["attributes"] == {"FIRSTNAME": "Anna"}
    assert contacts[0]["listIds"] == [contact_list]
    assert process["info"]["import"]["invalid_emails"] is None


def test_rows_keyed_by_sms_create_then_update_the_same_contacts(brevo, contact_list):
    _import(brevo, [{"attributes": {"SMS": "+33612345678"}}], contact_list)
    _import(
        brevo,
        [{"attributes": {"SMS": "+33612345678", "FIRSTNAME": "Ann"}}],
        contact_list,
    )

    [contact] = brevo.sandbox.contacts()
    assert contact["email"] is None
    assert contact["attributes"] == {"SMS": "+33612345678", "FIRSTNAME": "Ann"}
    assert contact["listIds"] == [contact_list]


def test_a_malformed_sms_key_is_reported_by_row_with_the_number_sent(
    brevo, contact_list
):
    process = _import(
        brevo,
        [
            {"attributes": {"SMS": "+33612345678"}},
            {"attributes": {"SMS": "0612"}},
            {"attributes": {"SMS": "+44 20 7946 0958"}},
        ],
        contact_list,
    )

    assert _report(process, "invalid_emails") == [
        {"row": "2", "email": "0612"},
        {"row": "3", "email": "+44 20 7946 0958"},
    ]
    assert [c["attributes"]["SMS"] for c in brevo.sandbox.contacts()] == [
        "+33612345678"
    ]


def test_repeated_and_taken_sms_numbers_are_reported_by_row(brevo, contact_list):
    held = {"email": "held@example.com", "attributes": {"SMS": "+33700000001"}}
    brevo.api.post("/contacts", json=held)
    brevo.api.post("/contacts", json={"email": "other@example.com"})

    process = _import(
        brevo,
        [
            {"attributes": {"SMS": "+33612345678", "FIRSTNAME": "First"}},
            {"attributes": {"SMS": "+33612345678", "FIRSTNAME": "Again"}},
            {"email": "other@example.com", "attributes": {"SMS": "+33700000001"}},
        ],
        contact_list,
    )

    assert _report(process, "duplicate_phone_id") == [
        {"row": "2", "sms": "+33612345678"},
        {"row": "3", "sms": "+33700000001"},
    ]
    assert brevo.sandbox.contact("other@example.com")["attributes"] == {}
    by_sms = {c["attributes"].get("SMS"): c for c in brevo.sandbox.contacts()}
    assert by_sms["+33612345678"]["attributes"]["FIRSTNAME"] == "First"


def test_a_new_email_beside_a_known_sms_number_joins_that_contact(brevo, contact_list):
    held = {"email": "old@example.com", "attributes": {"SMS": "+33700000001"}}
    brevo.api.post("/contacts", json=held)

    _import(
        brevo,
        [{"email": "new@example.com", "attributes": {"SMS": "+33700000001"}}],
        contact_list,
    )

    [contact] = brevo.sandbox.contacts()
    assert contact["email"] == "new@example.com"


def test_members_keyed_by_ext_id_leave_and_rejoin_a_list_by_ext_ids(
    brevo, contact_list
):
    rows = [{"attributes": {"EXT_ID": f"C-{n}"}} for n in (1, 2, 3)]
    _import(brevo, rows, contact_list)
    remove = f"/contacts/lists/{contact_list}/contacts/remove"
    add = f"/contacts/lists/{contact_list}/contacts/add"

    removed = brevo.api.post(remove, json={"extIds": ["C-1", "C-2", "C-9"]})
    members_after_removal = brevo.sandbox.lists()[0]["contactIds"]
    added = brevo.api.post(add, json={"extIds": ["C-2"]})

    assert removed.status_code == 201, removed.text
    assert removed.json() == {
        "contacts": {"success": ["C-1", "C-2"], "failure": ["C-9"]}
    }
    ids = {c["ext_id"]: c["id"] for c in brevo.sandbox.contacts()}
    assert members_after_removal == [ids["C-3"]]
    assert added.status_code == 201, added.text
    assert brevo.sandbox.lists()[0]["contactIds"] == [ids["C-2"], ids["C-3"]]


def test_a_contact_is_found_by_its_sms_number_or_ext_id(brevo, contact_list):
    rows = [{"attributes": {"SMS": "+33612345678", "EXT_ID": "C-1"}}]
    _import(brevo, rows, contact_list)
    [contact] = brevo.sandbox.contacts()

    by_phone = brevo.api.get(
        "/contacts/%2B33612345678", params={"identifierType": "phone_id"}
    )
    by_guess = brevo.api.get("/contacts/%2B33612345678")
    by_ext_id = brevo.api.get("/contacts/C-1", params={"identifierType": "ext_id"})
    unknown = brevo.api.get(
        "/contacts/%2B33600000000", params={"identifierType": "phone_id"}
    )

    for response in (by_phone, by_guess, by_ext_id):
        assert response.status_code == 200, response.text
        assert response.json()["id"] == contact["id"]
    assert by_phone.json()["attributes"] == {"SMS": "+33612345678", "EXT_ID": "C-1"}
    assert unknown.status_code == 404
