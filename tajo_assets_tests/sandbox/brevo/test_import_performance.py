"""A warehouse-sized import: 150,000 contacts in bodies under Brevo's 8 MB advice."""

import json

CONTACTS = 150_000
ROWS_PER_BODY = 25_000
RECOMMENDED_BODY_BYTES = 8_000_000
# A bound on waiting, not a speed requirement: speed belongs to the benchmark.
IMPORT_WAIT_S = 300.0


def _row(index: int) -> dict:
    return {
        "email": f"customer.{index:07d}@example-retailer.com",
        "attributes": {
            "EXT_ID": f"CUSTOMER#{index:09d}",
            "FIRSTNAME": f"Firstname{index:07d}",
            "LASTNAME": f"Lastname-of-customer-{index:07d}",
            "LTV": round(index * 1.37, 2),
            "SEGMENT": ["champions", "loyal", "at risk", "hibernating"][index % 4]
            + " customers of the spring campaign",
            "LAST_ORDER_DATE": f"2024-{index % 12 + 1:02d}-{index % 28 + 1:02d}",
            "IS_VIP": index % 10 == 0,
        },
    }


def _bodies(list_id: int) -> list[bytes]:
    return [
        json.dumps(
            {
                "jsonBody": [_row(i) for i in range(start, start + ROWS_PER_BODY)],
                "listIds": [list_id],
            }
        ).encode()
        for start in range(0, CONTACTS, ROWS_PER_BODY)
    ]


def test_150k_contacts_import_completely(brevo, contact_list, marketing_attributes):
    bodies = _bodies(contact_list)
    assert sum(map(len, bodies)) > 45_000_000
    assert max(map(len, bodies)) < RECOMMENDED_BODY_BYTES

    process_ids = []
    for body in bodies:
        response = brevo.api.post(
            "/contacts/import",
            content=body,
            headers={"content-type": "application/json"},
        )
        assert response.status_code == 202, response.text
        process_ids.append(response.json()["processId"])
    brevo.sandbox.wait_for_imports(timeout_s=IMPORT_WAIT_S)

    assert brevo.api.get("/contacts", params={"limit": 1}).json()["count"] == CONTACTS
    assert brevo.api.get(f"/contacts/lists/{contact_list}").json()[
        "uniqueSubscribers"
    ] == (CONTACTS)
    last = brevo.sandbox.contact(f"customer.{CONTACTS - 1:07d}@example-retailer.com")
    assert last["ext_id"] == f"CUSTOMER#{CONTACTS - 1:09d}"
    assert last["attributes"]["LTV"] == round((CONTACTS - 1) * 1.37, 2)
    statuses = {brevo.api.get(f"/processes/{p}").json()["status"] for p in process_ids}
    assert statuses == {"completed"}
