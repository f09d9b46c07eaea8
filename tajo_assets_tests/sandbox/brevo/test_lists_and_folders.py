"""Folders, lists and list membership (`/contacts/folders`, `/contacts/lists`)."""

import pytest


@pytest.fixture
def members(brevo) -> list[int]:
    """Ids of three existing contacts, in no list yet."""
    ids = []
    for index, ext_id in enumerate(["C-1", "C-2", "C-3"], start=1):
        response = brevo.api.post(
            "/contacts", json={"email": f"member{index}@example.com", "ext_id": ext_id}
        )
        ids.append(response.json()["id"])
    return ids


def test_folder_is_created_and_listed(brevo):
    created = brevo.api.post("/contacts/folders", json={"name": "Warehouse audiences"})

    assert created.status_code == 201
    listing = brevo.api.get("/contacts/folders").json()
    assert listing["count"] == 1
    assert listing["folders"][0]["id"] == created.json()["id"]
    assert listing["folders"][0]["name"] == "Warehouse audiences"


def test_folder_without_name_is_refused(brevo):
    response = brevo.api.post("/contacts/folders", json={})

    assert response.status_code == 400
    assert response.json()["code"] == "missing_parameter"
    assert brevo.sandbox.folders() == []


def test_list_is_created_in_its_folder(brevo, contact_list):
    details = brevo.api.get(f"/contacts/lists/{contact_list}")

    assert details.status_code == 200
    assert details.json()["name"] == "Champions"
    assert details.json()["folderId"] == brevo.sandbox.folders()[0]["id"]
    assert details.json()["uniqueSubscribers"] == 0


@pytest.mark.parametrize(
    ("body", "code", "hint"),
    [
        pytest.param({"folderId": 1}, "missing_parameter", "List name", id="no-name"),
        pytest.param({"name": "L"}, "missing_parameter", "folderId", id="no-folder"),
        pytest.param(
            {"name": "L", "folderId": 99},
            "invalid_parameter",
            "folderId 99",
            id="unknown-folder",
        ),
    ],
)
def test_list_needs_a_name_and_an_existing_folder(brevo, body, code, hint):
    brevo.api.post("/contacts/folders", json={"name": "F"})

    response = brevo.api.post("/contacts/lists", json=body)

    assert response.status_code == 400
    assert response.json()["code"] == code
    assert hint in response.json()["message"]
    assert brevo.sandbox.lists() == []


def test_unknown_list_is_404(brevo):
    response = brevo.api.get("/contacts/lists/404")

    assert response.status_code == 404
    assert response.json() == {
        "code": "document_not_found",
        "message": "List ID 404 not found",
    }


def test_lists_page_newest_first_by_default_and_count_all(brevo):
    folder = brevo.api.post("/contacts/folders", json={"name": "F"}).json()["id"]
    for name in ["first", "second", "third"]:
        brevo.api.post("/contacts/lists", json={"name": name, "folderId": folder})

    newest = brevo.api.get("/contacts/lists", params={"limit": 2}).json()
    oldest = brevo.api.get(
        "/contacts/lists", params={"limit": 2, "offset": 1, "sort": "asc"}
    ).json()

    assert [item["name"] for item in newest["lists"]] == ["third", "second"]
    assert [item["name"] for item in oldest["lists"]] == ["second", "third"]
    assert newest["count"] == oldest["count"] == 3


def test_lists_limit_above_50_is_out_of_range(brevo):
    response = brevo.api.get("/contacts/lists", params={"limit": 51})

    assert response.status_code == 400
    assert response.json()["code"] == "out_of_range"
    assert "at most 50" in response.json()["message"]


@pytest.mark.parametrize(
    ("key", "pick"),
    [
        pytest.param(
            "emails",
            lambda ids: ["MEMBER1@example.com", "member2@example.com"],
            id="emails",
        ),
        pytest.param("ids", lambda ids: ids[:2], id="ids"),
        pytest.param("extIds", lambda ids: ["C-1", "C-2"], id="extIds"),
    ],
)
def test_existing_contacts_are_added_to_a_list(brevo, contact_list, members, key, pick):
    response = brevo.api.post(
        f"/contacts/lists/{contact_list}/contacts/add", json={key: pick(members)}
    )

    assert response.status_code == 201
    assert len(response.json()["contacts"]["success"]) == 2
    assert brevo.sandbox.lists()[0]["contactIds"] == members[:2]
    assert brevo.sandbox.contact("member1@example.com")["listIds"] == [contact_list]


def test_unknown_and_already_listed_contacts_are_reported_as_failures(
    brevo, contact_list, members
):
    add = f"/contacts/lists/{contact_list}/contacts/add"
    brevo.api.post(add, json={"emails": ["member1@example.com"]})

    response = brevo.api.post(
        add,
        json={
            "emails": [
                "member1@example.com",
                "member2@example.com",
                "ghost@example.com",
            ]
        },
    )

    assert response.status_code == 201
    assert response.json()["contacts"] == {
        "success": ["member2@example.com"],
        "failure": ["member1@example.com", "ghost@example.com"],
    }


def test_adding_only_unknown_contacts_is_refused(brevo, contact_list):
    response = brevo.api.post(
        f"/contacts/lists/{contact_list}/contacts/add",
        json={"emails": ["ghost@example.com"]},
    )

    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid_parameter",
        "message": "Contact already in list and/or does not exist",
    }


def test_more_than_150_members_per_call_is_refused(brevo, contact_list, members):
    emails = [f"member{i}@example.com" for i in range(151)]

    response = brevo.api.post(
        f"/contacts/lists/{contact_list}/contacts/add", json={"emails": emails}
    )

    assert response.status_code == 400
    assert response.json()["code"] == "out_of_range"
    assert "at most 150" in response.json()["message"]
    assert brevo.sandbox.lists()[0]["contactIds"] == []


@pytest.mark.parametrize(
    ("body", "hint"),
    [
        pytest.param({}, "one of emails, ids or extIds", id="nothing"),
        pytest.param({"emails": []}, "non-empty", id="empty"),
        pytest.param(
            {"emails": ["a@example.com"], "ids": [1]}, "only one", id="two-kinds"
        ),
        pytest.param({"ids": ["1"]}, "must be an integer", id="string-ids"),
    ],
)
def test_malformed_member_requests_say_what_is_wrong(brevo, contact_list, body, hint):
    response = brevo.api.post(f"/contacts/lists/{contact_list}/contacts/add", json=body)

    assert response.status_code == 400
    assert hint in response.json()["message"]


def test_adding_to_an_unknown_list_is_404(brevo, members):
    response = brevo.api.post("/contacts/lists/77/contacts/add", json={"ids": members})

    assert response.status_code == 404
    assert all(contact["listIds"] == [] for contact in brevo.sandbox.contacts())


def test_contacts_are_removed_from_a_list(brevo, contact_list, members):
    brevo.api.post(
        f"/contacts/lists/{contact_list}/contacts/add", json={"ids": members}
    )

    response = brevo.api.post(
        f"/contacts/lists/{contact_list}/contacts/remove",
        json={"extIds": ["C-1", "C-9"]},
    )

    assert response.status_code == 201
    assert response.json()["contacts"] == {"success": ["C-1"], "failure": ["C-9"]}
    assert brevo.sandbox.lists()[0]["contactIds"] == members[1:]
    assert brevo.sandbox.contact("member1@example.com")["listIds"] == []


def test_removing_all_empties_the_list_as_a_completed_process(
    brevo, contact_list, members
):
    brevo.api.post(
        f"/contacts/lists/{contact_list}/contacts/add", json={"ids": members}
    )

    response = brevo.api.post(
        f"/contacts/lists/{contact_list}/contacts/remove", json={"all": True}
    )

    assert response.status_code == 201
    outcome = response.json()["contacts"]
    assert outcome["total"] == 3
    assert brevo.sandbox.lists()[0]["contactIds"] == []
    process = brevo.api.get(f"/processes/{outcome['processId']}").json()
    assert process["status"] == "completed"


def test_list_contacts_page_through_members(brevo, contact_list, members):
    brevo.api.post(
        f"/contacts/lists/{contact_list}/contacts/add", json={"ids": members}
    )

    page = brevo.api.get(
        f"/contacts/lists/{contact_list}/contacts",
        params={"limit": 2, "offset": 0, "sort": "asc"},
    ).json()

    assert page["count"] == 3
    assert [c["email"] for c in page["contacts"]] == [
        "member1@example.com",
        "member2@example.com",
    ]


def test_list_contacts_limit_above_500_is_out_of_range(brevo, contact_list):
    response = brevo.api.get(
        f"/contacts/lists/{contact_list}/contacts", params={"limit": 501}
    )

    assert response.status_code == 400
    assert response.json()["code"] == "out_of_range"


def test_list_counters_follow_membership(brevo, contact_list, members):
    brevo.api.put("/contacts/member3@example.com", json={"emailBlacklisted": True})

    brevo.api.post(
        f"/contacts/lists/{contact_list}/contacts/add", json={"ids": members}
    )

    listed = brevo.api.get("/contacts/lists").json()["lists"][0]
    assert listed["uniqueSubscribers"] == 3
    assert listed["totalBlacklisted"] == 1
    assert listed["totalSubscribers"] == 2
