"""`POST /contacts/import`, its process, and the reports of rejected rows."""

import csv
import io
import json

import httpx
import pytest


def _import(brevo, **body) -> int:
    response = brevo.api.post("/contacts/import", json=body)
    assert response.status_code == 202, response.text
    return response.json()["processId"]


def _report(url: str) -> list[dict[str, str]]:
    response = httpx.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.text)))


def test_import_answers_202_with_a_process_id(brevo, contact_list):
    response = brevo.api.post(
        "/contacts/import",
        json={"jsonBody": [{"email": "a@example.com"}], "listIds": [contact_list]},
    )

    assert response.status_code == 202
    assert set(response.json()) == {"processId"}


def test_mixed_import_keeps_valid_rows_and_reports_invalid_emails(
    brevo, contact_list, marketing_attributes
):
    process_id = _import(
        brevo,
        jsonBody=[
            {"email": " Ana@Example.com ", "attributes": {"LTV": 12.5, "NOT_THERE": 1}},
            {"email": "not-an-email", "attributes": {"LTV": 1}},
            {
                "email": "bo@example.com",
                "attributes": {"LTV": "twelve", "IS_VIP": True},
            },
            {"email": "", "attributes": {"FIRSTNAME": "Nobody"}},
            {
                "email": "cy@example.com",
                "attributes": {"LAST_ORDER_DATE": "2024-02-30"},
            },
            {"email": "dee@example", "attributes": {}},
        ],
        listIds=[contact_list],
    )

    process = brevo.wait_for_process(process_id)

    assert [c["email"] for c in brevo.sandbox.contacts()] == [
        "ana@example.com",
        "bo@example.com",
        "cy@example.com",
    ]
    assert brevo.sandbox.contact("ana@example.com")["attributes"] == {"LTV": 12.5}
    assert brevo.sandbox.contact("bo@example.com")["attributes"] == {"IS_VIP": True}
    assert brevo.sandbox.contact("cy@example.com")["attributes"] == {}
    assert _report(process["info"]["import"]["invalid_emails"]) == [
        {"row": "2", "email": "not-an-email"},
        {"row": "4", "email": ""},
        {"row": "6", "email": "dee@example"},
    ]


def test_imported_contacts_join_the_import_lists(brevo, contact_list):
    brevo.api.post("/contacts", json={"email": "known@example.com"})

    process_id = _import(
        brevo,
        jsonBody=[{"email": "known@example.com"}, {"email": "new@example.com"}],
        listIds=[contact_list],
    )
    brevo.wait_for_process(process_id)

    members = brevo.sandbox.lists()[0]["contactIds"]
    assert members == [c["id"] for c in brevo.sandbox.contacts()]
    assert len(members) == 2


def test_process_goes_queued_in_process_completed(serve_brevo):
    brevo = serve_brevo(import_seconds=10)
    folder = brevo.api.post("/contacts/folders", json={"name": "F"}).json()["id"]
    list_id = brevo.api.post(
        "/contacts/lists", json={"name": "L", "folderId": folder}
    ).json()["id"]
    process_id = _import(
        brevo, jsonBody=[{"email": "a@example.com"}], listIds=[list_id]
    )

    queued = brevo.api.get(f"/processes/{process_id}").json()
    brevo.clock.advance(5)
    in_process = brevo.api.get(f"/processes/{process_id}").json()
    contacts_in_process = brevo.sandbox.contacts()
    brevo.clock.advance(5)
    completed = brevo.wait_for_process(process_id)

    assert (queued["status"], in_process["status"], completed["status"]) == (
        "queued",
        "in_process",
        "completed",
    )
    assert queued["name"] == "IMPORTUSER"
    assert "info" not in in_process
    assert contacts_in_process == []
    assert completed["info"]["import"]["invalid_emails"] is None
    assert [c["email"] for c in brevo.sandbox.contacts()] == ["a@example.com"]


def test_unknown_process_is_404_process_id_is_invalid(brevo):
    response = brevo.api.get("/processes/999")

    assert response.status_code == 404
    assert response.json() == {
        "code": "invalid_parameter",
        "message": "processId is invalid",
    }


def test_blank_values_leave_existing_ones_alone_by_default(brevo, contact_list):
    brevo.api.post(
        "/contacts",
        json={
            "email": "a@example.com",
            "attributes": {"FIRSTNAME": "Ana", "LASTNAME": "Lee"},
        },
    )

    process_id = _import(
        brevo,
        jsonBody=[
            {
                "email": "a@example.com",
                "attributes": {"FIRSTNAME": "", "LASTNAME": None},
            }
        ],
        listIds=[contact_list],
    )
    brevo.wait_for_process(process_id)

    assert brevo.sandbox.contact("a@example.com")["attributes"] == {
        "FIRSTNAME": "Ana",
        "LASTNAME": "Lee",
    }


def test_empty_contacts_attributes_erases_with_blank_values(brevo, contact_list):
    brevo.api.post(
        "/contacts",
        json={
            "email": "a@example.com",
            "attributes": {"FIRSTNAME": "Ana", "LASTNAME": "Lee"},
        },
    )

    process_id = _import(
        brevo,
        jsonBody=[{"email": "a@example.com", "attributes": {"FIRSTNAME": ""}}],
        listIds=[contact_list],
        emptyContactsAttributes=True,
    )
    brevo.wait_for_process(process_id)

    assert brevo.sandbox.contact("a@example.com")["attributes"] == {"LASTNAME": "Lee"}


def test_empty_contacts_attributes_leaves_attributes_a_row_does_not_name(
    brevo, contact_list
):
    brevo.api.post(
        "/contacts",
        json={
            "email": "a@example.com",
            "attributes": {"FIRSTNAME": "Ana", "LASTNAME": "Lee"},
        },
    )

    process_id = _import(
        brevo,
        jsonBody=[
            {"email": "a@example.com", "attributes": {"LASTNAME": ""}},
            {"email": "b@example.com", "attributes": {"FIRSTNAME": "Bo"}},
        ],
        listIds=[contact_list],
        emptyContactsAttributes=True,
    )
    brevo.wait_for_process(process_id)

    assert brevo.sandbox.contact("a@example.com")["attributes"] == {"FIRSTNAME": "Ana"}
    assert brevo.sandbox.contact("b@example.com")["attributes"] == {"FIRSTNAME": "Bo"}


def test_empty_contacts_attributes_erases_nothing_without_updates(brevo, contact_list):
    brevo.api.post(
        "/contacts", json={"email": "a@example.com", "attributes": {"FIRSTNAME": "Ana"}}
    )

    process_id = _import(
        brevo,
        jsonBody=[{"email": "a@example.com", "attributes": {"FIRSTNAME": ""}}],
        listIds=[contact_list],
        updateExistingContacts=False,
        emptyContactsAttributes=True,
    )
    brevo.wait_for_process(process_id)

    # The flag is "only available if updateExistingContacts set to true" (spec).
    assert brevo.sandbox.contact("a@example.com")["attributes"] == {"FIRSTNAME": "Ana"}


def test_update_existing_contacts_false_keeps_values_but_adds_to_lists(
    brevo, contact_list
):
    brevo.api.post(
        "/contacts", json={"email": "a@example.com", "attributes": {"FIRSTNAME": "Ana"}}
    )

    process_id = _import(
        brevo,
        jsonBody=[
            {"email": "a@example.com", "attributes": {"FIRSTNAME": "Changed"}},
            {"email": "b@example.com", "attributes": {"FIRSTNAME": "Bo"}},
        ],
        listIds=[contact_list],
        updateExistingContacts=False,
    )
    brevo.wait_for_process(process_id)

    existing = brevo.sandbox.contact("a@example.com")
    assert existing["attributes"] == {"FIRSTNAME": "Ana"}
    assert existing["listIds"] == [contact_list]
    assert brevo.sandbox.contact("b@example.com")["attributes"] == {"FIRSTNAME": "Bo"}


def test_repeated_identifiers_in_one_import_are_reported_as_duplicates(
    brevo, contact_list
):
    process_id = _import(
        brevo,
        jsonBody=[
            {
                "email": "a@example.com",
                "attributes": {"EXT_ID": "C-1", "FIRSTNAME": "First"},
            },
            {"email": "A@example.com", "attributes": {"FIRSTNAME": "Second"}},
            {"email": "b@example.com", "attributes": {"EXT_ID": "C-1"}},
        ],
        listIds=[contact_list],
    )

    process = brevo.wait_for_process(process_id)

    reports = process["info"]["import"]
    assert _report(reports["duplicate_email_id"]) == [
        {"row": "2", "email": "a@example.com"}
    ]
    assert _report(reports["duplicate_ext_id"]) == [{"row": "3", "ext_id": "C-1"}]
    assert [c["email"] for c in brevo.sandbox.contacts()] == ["a@example.com"]
    assert brevo.sandbox.contact("a@example.com")["attributes"] == {
        "FIRSTNAME": "First"
    }


def test_row_whose_identifiers_belong_to_two_contacts_is_not_imported(
    brevo, contact_list
):
    brevo.api.post("/contacts", json={"email": "a@example.com", "ext_id": "C-A"})
    brevo.api.post("/contacts", json={"email": "b@example.com", "ext_id": "C-B"})

    process_id = _import(
        brevo,
        jsonBody=[{"email": "a@example.com", "attributes": {"EXT_ID": "C-B"}}],
        listIds=[contact_list],
    )
    process = brevo.wait_for_process(process_id)

    assert _report(process["info"]["import"]["duplicate_ext_id"]) == [
        {"row": "1", "ext_id": "C-B"}
    ]
    assert brevo.sandbox.contact("a@example.com")["ext_id"] == "C-A"


def test_file_body_is_read_as_semicolon_csv(brevo, contact_list, marketing_attributes):
    file_body = "\n".join(
        [
            "EMAIL;FIRSTNAME;LTV;IS_VIP;LAST_ORDER_DATE",
            "ana@example.com;Ana;12.5;true;2024-05-17",
            "broken;Bo;1;false;2024-05-17",
            "cy@example.com;Cy;n/a;maybe;17/05/2024",
        ]
    )

    process_id = _import(brevo, fileBody=file_body, listIds=[contact_list])
    process = brevo.wait_for_process(process_id)

    assert brevo.sandbox.contact("ana@example.com")["attributes"] == {
        "FIRSTNAME": "Ana",
        "LTV": 12.5,
        "IS_VIP": True,
        "LAST_ORDER_DATE": "2024-05-17",
    }
    assert brevo.sandbox.contact("cy@example.com")["attributes"] == {"FIRSTNAME": "Cy"}
    assert _report(process["info"]["import"]["invalid_emails"]) == [
        {"row": "2", "email": "broken"}
    ]


def test_new_list_is_created_for_the_import(brevo):
    folder = brevo.api.post("/contacts/folders", json={"name": "F"}).json()["id"]

    process_id = _import(
        brevo,
        jsonBody=[{"email": "a@example.com"}],
        newList={"listName": "Imported", "folderId": folder},
    )
    brevo.wait_for_process(process_id)

    [created] = brevo.sandbox.lists()
    assert created["name"] == "Imported"
    assert created["contactIds"] == [brevo.sandbox.contact("a@example.com")["id"]]


@pytest.mark.parametrize(
    ("body", "code", "hint"),
    [
        pytest.param(
            {"jsonBody": [{"email": "a@example.com"}]},
            "missing_parameter",
            "listIds is mandatory unless newList",
            id="no-lists",
        ),
        pytest.param(
            {"listIds": [1]},
            "missing_parameter",
            "jsonBody or fileBody",
            id="no-contacts",
        ),
        pytest.param(
            {"jsonBody": [{"email": "a@example.com"}], "listIds": [404]},
            "invalid_parameter",
            "List ID(s) 404 do not exist",
            id="unknown-list",
        ),
        pytest.param(
            {"fileUrl": "https://example.com/c.csv", "listIds": [1]},
            "invalid_parameter",
            "fileUrl is not supported",
            id="file-url",
        ),
        pytest.param(
            {"jsonBody": [], "listIds": [1]},
            "invalid_parameter",
            "non-empty array",
            id="empty-json-body",
        ),
        pytest.param(
            {"fileBody": "FIRSTNAME\nAna", "listIds": [1]},
            "invalid_parameter",
            "EMAIL, SMS or EXT_ID column",
            id="file-without-identifier",
        ),
        pytest.param(
            {
                "jsonBody": [{"email": "a@example.com"}],
                "listIds": [1],
                "updateExistingContacts": "yes",
            },
            "invalid_parameter",
            "updateExistingContacts must be true or false",
            id="flag-not-boolean",
        ),
    ],
)
def test_malformed_imports_are_refused_before_any_process(
    brevo, contact_list, body, code, hint
):
    response = brevo.api.post("/contacts/import", json=body)

    assert response.status_code == 400
    assert response.json()["code"] == code
    assert hint in response.json()["message"]
    assert brevo.sandbox.processes() == []


def test_import_body_over_10_mb_is_refused(brevo, contact_list):
    rows = [
        {"email": f"c{i:07d}@example.com", "attributes": {"FIRSTNAME": "x" * 60}}
        for i in range(110_000)
    ]
    body = json.dumps({"jsonBody": rows, "listIds": [contact_list]}).encode()
    assert len(body) > 10_000_000

    response = brevo.api.post(
        "/contacts/import", content=body, headers={"content-type": "application/json"}
    )

    assert response.status_code == 400
    assert "at most 10,000,000 bytes" in response.json()["message"]
    assert brevo.sandbox.processes() == []
    assert brevo.sandbox.contacts() == []
