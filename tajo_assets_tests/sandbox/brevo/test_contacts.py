"""Contacts: create, read, update, delete, list and batch update."""

import datetime as dt

import pytest


def _create(brevo, **body):
    response = brevo.api.post("/contacts", json=body)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def test_contact_is_created_with_normalized_email_and_attributes(
    brevo, contact_list, marketing_attributes
):
    response = brevo.api.post(
        "/contacts",
        json={
            "email": "  Jane.Doe@Example.COM ",
            "ext_id": "C-42",
            "attributes": {"FIRSTNAME": "Jane", "LTV": 182.5, "IS_VIP": False},
            "listIds": [contact_list],
        },
    )

    assert response.status_code == 201
    stored = brevo.sandbox.contact("jane.doe@example.com")
    assert stored["id"] == response.json()["id"]
    assert stored["ext_id"] == "C-42"
    assert stored["attributes"] == {"FIRSTNAME": "Jane", "LTV": 182.5, "IS_VIP": False}
    assert stored["listIds"] == [contact_list]


def test_existing_email_without_update_enabled_is_duplicate_parameter(brevo):
    _create(brevo, email="jane@example.com")

    response = brevo.api.post("/contacts", json={"email": "JANE@example.com"})

    assert response.status_code == 400
    assert response.json() == {
        "code": "duplicate_parameter",
        "message": "Unable to create contact, email is already associated with "
        "another Contact",
        "metadata": {"duplicate_identifiers": ["email"]},
    }
    assert len(brevo.sandbox.contacts()) == 1


def test_update_enabled_updates_the_existing_contact_with_204(brevo):
    contact_id = _create(brevo, email="jane@example.com", attributes={"FIRSTNAME": "J"})

    response = brevo.api.post(
        "/contacts",
        json={
            "email": "jane@example.com",
            "attributes": {"FIRSTNAME": "Jane"},
            "updateEnabled": True,
        },
    )

    assert response.status_code == 204
    assert brevo.sandbox.contacts() == [brevo.sandbox.contact("jane@example.com")]
    assert brevo.sandbox.contact("jane@example.com")["id"] == contact_id
    assert (
        brevo.sandbox.contact("jane@example.com")["attributes"]["FIRSTNAME"] == "Jane"
    )


def test_contact_can_be_created_by_ext_id_alone(brevo):
    contact_id = _create(brevo, ext_id="C-7")

    response = brevo.api.get("/contacts/C-7", params={"identifierType": "ext_id"})

    assert response.status_code == 200
    assert response.json()["id"] == contact_id
    assert "email" not in response.json()
    assert response.json()["attributes"]["EXT_ID"] == "C-7"


@pytest.mark.parametrize(
    ("body", "code", "hint"),
    [
        pytest.param(
            {"attributes": {"FIRSTNAME": "Jane"}},
            "missing_parameter",
            "an email, an ext_id or an SMS",
            id="no-identifier",
        ),
        pytest.param(
            {"ext_id": "", "attributes": {"FIRSTNAME": "Jane"}},
            "missing_parameter",
            "an email, an ext_id or an SMS",
            id="blank-ext-id-only",
        ),
        pytest.param(
            {"email": "jane@@example"},
            "invalid_parameter",
            "Invalid email address",
            id="invalid-email",
        ),
        pytest.param(
            {"email": "j@example.com", "attributes": {"SMS": "0612"}},
            "invalid_parameter",
            "country code",
            id="sms-without-country-code",
        ),
        pytest.param(
            {"email": "j@example.com", "listIds": [404]},
            "invalid_parameter",
            "List ID(s) 404 do not exist",
            id="unknown-list",
        ),
        pytest.param(
            {"email": "j@example.com", "ext_id": 42},
            "invalid_parameter",
            "ext_id must be a string",
            id="numeric-ext-id",
        ),
    ],
)
def test_invalid_create_requests_say_what_is_wrong(brevo, body, code, hint):
    response = brevo.api.post("/contacts", json=body)

    assert response.status_code == 400
    assert response.json()["code"] == code
    assert hint in response.json()["message"]
    assert brevo.sandbox.contacts() == []


def test_unknown_attributes_and_mismatched_values_are_ignored(
    brevo, marketing_attributes
):
    _create(
        brevo,
        email="jane@example.com",
        attributes={
            "FIRSTNAME": "Jane",
            "NOT_IN_ACCOUNT": "x",
            "ltv": 10,
            "LTV": "a lot",
            "LAST_ORDER_DATE": "05.04.2024",
            "IS_VIP": "yes",
        },
    )

    assert brevo.sandbox.contact("jane@example.com")["attributes"] == {
        "FIRSTNAME": "Jane"
    }


@pytest.mark.parametrize(
    ("path", "params"),
    [
        pytest.param("/contacts/jane%40example.com", {}, id="email"),
        pytest.param("/contacts/{id}", {}, id="contact-id"),
        pytest.param("/contacts/C-1", {"identifierType": "ext_id"}, id="ext-id"),
        pytest.param("/contacts/%2B33612345678", {}, id="sms"),
        pytest.param(
            "/contacts/%2B33612345678", {"identifierType": "phone_id"}, id="phone-id"
        ),
    ],
)
def test_contact_is_found_by_each_identifier(brevo, path, params):
    contact_id = _create(
        brevo,
        email="jane@example.com",
        ext_id="C-1",
        attributes={"SMS": "+33612345678"},
    )

    response = brevo.api.get(path.format(id=contact_id), params=params)

    assert response.status_code == 200
    assert response.json()["id"] == contact_id
    assert response.json()["email"] == "jane@example.com"
    assert response.json()["statistics"] == {}


def test_unknown_contact_is_404(brevo):
    response = brevo.api.get("/contacts/nobody@example.com")

    assert response.status_code == 404
    assert response.json() == {
        "code": "document_not_found",
        "message": "Contact does not exist",
    }


def test_unknown_identifier_type_is_refused(brevo):
    response = brevo.api.get("/contacts/x", params={"identifierType": "crm_id"})

    assert response.status_code == 400
    assert "identifierType 'crm_id'" in response.json()["message"]


def test_update_changes_attributes_lists_and_email(brevo, contact_list):
    _create(
        brevo,
        email="jane@example.com",
        attributes={"FIRSTNAME": "Jane", "LASTNAME": "D"},
    )

    response = brevo.api.put(
        "/contacts/jane@example.com",
        json={
            "attributes": {"EMAIL": "jane.doe@example.com", "LASTNAME": ""},
            "listIds": [contact_list],
        },
    )

    assert response.status_code == 204
    assert brevo.sandbox.contact("jane@example.com") is None
    updated = brevo.sandbox.contact("jane.doe@example.com")
    assert updated["attributes"] == {"FIRSTNAME": "Jane"}
    assert updated["listIds"] == [contact_list]


def test_update_unlinks_lists(brevo, contact_list):
    _create(brevo, email="jane@example.com", listIds=[contact_list])

    brevo.api.put("/contacts/jane@example.com", json={"unlinkListIds": [contact_list]})

    assert brevo.sandbox.contact("jane@example.com")["listIds"] == []
    assert brevo.sandbox.lists()[0]["contactIds"] == []


def test_update_taking_another_contacts_email_names_the_identifier(brevo):
    _create(brevo, email="jane@example.com")
    _create(brevo, email="john@example.com")

    response = brevo.api.put(
        "/contacts/john@example.com", json={"attributes": {"EMAIL": "jane@example.com"}}
    )

    assert response.status_code == 400
    assert response.json()["metadata"] == {"duplicate_identifiers": ["email"]}
    assert brevo.sandbox.contact("john@example.com") is not None


def test_update_of_unknown_contact_is_404(brevo):
    response = brevo.api.put("/contacts/nobody@example.com", json={"attributes": {}})

    assert response.status_code == 404
    assert brevo.sandbox.contacts() == []


def test_modified_at_moves_only_when_something_changes(brevo):
    _create(brevo, email="jane@example.com", attributes={"FIRSTNAME": "Jane"})
    before = brevo.sandbox.contact("jane@example.com")["modifiedAt"]

    brevo.api.put(
        "/contacts/jane@example.com", json={"attributes": {"FIRSTNAME": "Jane"}}
    )

    assert brevo.sandbox.contact("jane@example.com")["modifiedAt"] == before


def test_delete_removes_the_contact_and_frees_its_identifiers(brevo, contact_list):
    _create(brevo, email="jane@example.com", ext_id="C-1", listIds=[contact_list])

    response = brevo.api.delete("/contacts/C-1", params={"identifierType": "ext_id"})

    assert response.status_code == 204
    assert brevo.sandbox.contacts() == []
    assert brevo.sandbox.lists()[0]["contactIds"] == []
    assert (
        brevo.api.post(
            "/contacts", json={"email": "jane@example.com", "ext_id": "C-1"}
        ).status_code
        == 201
    )


def test_delete_of_unknown_contact_is_404(brevo):
    assert brevo.api.delete("/contacts/nobody@example.com").status_code == 404


def test_contacts_page_newest_first_with_total_count(brevo):
    for index in range(5):
        _create(brevo, email=f"c{index}@example.com")

    page = brevo.api.get("/contacts", params={"limit": 2, "offset": 1}).json()

    assert page["count"] == 5
    assert [c["email"] for c in page["contacts"]] == [
        "c3@example.com",
        "c2@example.com",
    ]


def test_contacts_limit_above_1000_is_out_of_range(brevo):
    response = brevo.api.get("/contacts", params={"limit": 1001})

    assert response.status_code == 400
    assert response.json()["code"] == "out_of_range"
    assert "at most 1000" in response.json()["message"]


def test_contacts_filter_by_modified_since_and_list(brevo, contact_list):
    _create(brevo, email="old@example.com")
    _create(brevo, email="listed@example.com", listIds=[contact_list])
    cutoff = dt.datetime.fromisoformat(
        brevo.sandbox.contact("listed@example.com")["modifiedAt"]
    ) - dt.timedelta(microseconds=1)
    brevo.api.put(
        "/contacts/old@example.com", json={"attributes": {"FIRSTNAME": "Old"}}
    )

    since = brevo.api.get("/contacts", params={"modifiedSince": cutoff.isoformat()})
    in_list = brevo.api.get("/contacts", params={"listIds": contact_list})

    assert {c["email"] for c in since.json()["contacts"]} == {
        "old@example.com",
        "listed@example.com",
    }
    assert [c["email"] for c in in_list.json()["contacts"]] == ["listed@example.com"]


def test_modified_since_that_is_not_a_date_is_refused(brevo):
    response = brevo.api.get("/contacts", params={"modifiedSince": "yesterday"})

    assert response.status_code == 400
    assert "YYYY-MM-DDTHH:mm:ss.SSSZ" in response.json()["message"]


def test_batch_updates_existing_contacts_by_email_id_and_sms(
    brevo, marketing_attributes
):
    _create(brevo, email="a@example.com")
    b_id = _create(brevo, email="b@example.com")
    _create(brevo, email="c@example.com", attributes={"SMS": "+33611111111"})

    response = brevo.api.post(
        "/contacts/batch",
        json={
            "contacts": [
                {"email": "A@example.com", "attributes": {"LTV": 10}},
                {"id": b_id, "attributes": {"LTV": 20}, "ext_id": "C-B"},
                {"sms": "+33611111111", "attributes": {"LTV": 30}},
            ]
        },
    )

    assert response.status_code == 204
    assert [c["attributes"].get("LTV") for c in brevo.sandbox.contacts()] == [
        10,
        20,
        30,
    ]
    assert brevo.sandbox.contact("b@example.com")["ext_id"] == "C-B"


def test_batch_with_unknown_contacts_fails_whole_and_names_their_indexes(
    brevo, marketing_attributes
):
    _create(brevo, email="a@example.com")

    response = brevo.api.post(
        "/contacts/batch",
        json={
            "contacts": [
                {"email": "a@example.com", "attributes": {"LTV": 10}},
                {"email": "new1@example.com", "attributes": {"LTV": 20}},
                {"email": "new2@example.com", "attributes": {"LTV": 30}},
            ]
        },
    )

    assert response.status_code == 404
    assert response.json() == {
        "code": "document_not_found",
        "message": "No contact found for indexes 1,2",
    }
    assert brevo.sandbox.contact("a@example.com")["attributes"] == {}


@pytest.mark.parametrize(
    ("item", "hint"),
    [
        pytest.param(
            {"attributes": {"FIRSTNAME": "x"}}, "got none", id="no-identifier"
        ),
        pytest.param(
            {"email": "a@example.com", "id": 1}, "got email, id", id="two-identifiers"
        ),
    ],
)
def test_batch_items_need_exactly_one_identifier(brevo, item, hint):
    _create(brevo, email="a@example.com")

    response = brevo.api.post("/contacts/batch", json={"contacts": [item]})

    assert response.status_code == 400
    assert "contacts[0]" in response.json()["message"]
    assert hint in response.json()["message"]


def test_batch_taking_an_ext_id_held_elsewhere_changes_nothing(brevo):
    _create(brevo, email="a@example.com", ext_id="C-A")
    _create(brevo, email="b@example.com")

    response = brevo.api.post(
        "/contacts/batch",
        json={
            "contacts": [
                {"email": "a@example.com", "attributes": {"FIRSTNAME": "A"}},
                {"email": "b@example.com", "ext_id": "C-A"},
            ]
        },
    )

    assert response.status_code == 400
    assert response.json()["metadata"] == {"duplicate_identifiers": ["ext_id"]}
    assert brevo.sandbox.contact("a@example.com")["attributes"] == {}
