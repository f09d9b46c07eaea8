"""Batch updates through the real client against the sandbox, over real HTTP.

Brevo applies `POST /contacts/batch` all or nothing, so the client must send
the batch again without what Brevo refused: only the bad items come back as
refusals, every other contact is updated.
"""

import pytest

from tajo_assets.brevo import BrevoClient, Pacer

BATCH = "/v3/contacts/batch"


@pytest.fixture
def client(brevo):
    with BrevoClient(brevo.api_key, f"{brevo.server.url}/v3", pacer=Pacer()) as opened:
        yield opened


def create_contacts(brevo, count: int) -> list[str]:
    emails = [f"known{i}@example.com" for i in range(count)]
    for address in emails:
        response = brevo.api.post(
            "/contacts", json={"email": address, "attributes": {"FIRSTNAME": "Old"}}
        )
        assert response.status_code == 201, response.text
    return emails


def batch_posts(brevo) -> int:
    count = brevo.sandbox.request_counts.by_route.get(("POST", BATCH))
    return count.requests if count else 0


def first_name(brevo, address: str) -> str | None:
    contact = brevo.sandbox.contact(address)
    return contact["attributes"].get("FIRSTNAME") if contact else None


def test_an_unknown_contact_in_a_batch_is_the_only_item_refused(brevo, client):
    known = create_contacts(brevo, 5)
    addresses = [*known[:2], "stranger@example.com", *known[2:]]
    items = [{"email": a, "attributes": {"FIRSTNAME": "New"}} for a in addresses]

    refused = client.update_contacts(items)

    assert [(r.index, r.code) for r in refused] == [(2, "document_not_found")]
    assert refused[0].message == "Brevo has no contact with this identifier"
    assert all(first_name(brevo, a) == "New" for a in known)
    assert brevo.sandbox.contact("stranger@example.com") is None
    # Refused once as a whole, then sent again without the named item.
    assert batch_posts(brevo) == 2


def test_a_value_brevo_refuses_is_isolated_by_halving_the_batch(brevo, client):
    known = create_contacts(brevo, 8)
    items = [{"email": a, "attributes": {"FIRSTNAME": "New"}} for a in known]
    items[5]["attributes"]["SMS"] = "not a phone number"

    refused = client.update_contacts(items)

    assert [(r.index, r.code) for r in refused] == [(5, "invalid_parameter")]
    assert "phone" in refused[0].message.lower()
    assert [first_name(brevo, a) for a in known] == ["New"] * 5 + ["Old"] + ["New"] * 2
    # 8 -> 4 + 4 -> the bad half in 2 + 2 -> 1 + 1: seven calls, not eight.
    assert batch_posts(brevo) == 7


def test_one_update_by_ext_id_reports_an_unknown_contact(brevo, client):
    response = brevo.api.post("/contacts", json={"ext_id": "C-1"})
    assert response.status_code == 201, response.text

    applied = client.update_contact("C-1", "ext_id", {"FIRSTNAME": "Ana"})
    missing = client.update_contact("C-404", "ext_id", {"FIRSTNAME": "Bo"})

    assert applied is None
    assert missing is not None and missing.code == "document_not_found"
    contacts = {c["ext_id"]: c for c in brevo.sandbox.contacts()}
    assert contacts["C-1"]["attributes"]["FIRSTNAME"] == "Ana"
    assert "C-404" not in contacts
