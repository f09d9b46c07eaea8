"""Every exchange with the sandbox must match Brevo's published API description."""

import httpx

from tajo_assets_tests.contract import BREVO


def _exercise(api, clock) -> int:
    """A broad mix of valid requests and their answers; returns the import's id."""
    api.get("/account")
    api.get("/contacts/attributes")
    api.post("/contacts/attributes/normal/LTV", json={"type": "float"})
    api.post("/contacts/attributes/normal/LTV", json={"type": "float"})
    api.post(
        "/contacts/attributes/category/RFM_CLASS",
        json={"type": "category", "enumeration": [{"value": 1, "label": "Champions"}]},
    )
    api.get("/contacts/attributes")

    folder = api.post("/contacts/folders", json={"name": "Warehouse"}).json()["id"]
    api.get("/contacts/folders", params={"limit": 10, "offset": 0})
    list_id = api.post(
        "/contacts/lists", json={"name": "L", "folderId": folder}
    ).json()["id"]
    api.post("/contacts/lists", json={"name": "No folder", "folderId": 404})
    api.get("/contacts/lists", params={"limit": 50, "sort": "asc"})
    api.get(f"/contacts/lists/{list_id}")
    api.get("/contacts/lists/404")

    jane = api.post(
        "/contacts",
        json={"email": "jane@example.com", "ext_id": "C-1", "attributes": {"LTV": 3.5}},
    ).json()["id"]
    api.post("/contacts", json={"email": "jane@example.com"})
    api.post(
        "/contacts",
        json={"email": "jane@example.com", "updateEnabled": True, "listIds": [list_id]},
    )
    api.post("/contacts", json={"ext_id": "C-2"})
    api.post("/contacts", json={"email": "john@example.com"})
    api.get("/contacts/jane@example.com")
    api.get(f"/contacts/{jane}")
    api.get("/contacts/C-1", params={"identifierType": "ext_id"})
    api.get("/contacts/nobody@example.com")
    api.put("/contacts/jane@example.com", json={"attributes": {"FIRSTNAME": "Jane"}})
    api.put(
        "/contacts/john@example.com", json={"attributes": {"EMAIL": "jane@example.com"}}
    )
    api.put("/contacts/nobody@example.com", json={"attributes": {"FIRSTNAME": "x"}})
    api.get("/contacts", params={"limit": 1000, "offset": 0, "sort": "desc"})
    api.get("/contacts", params={"modifiedSince": "2020-01-01T00:00:00.000Z"})

    add = f"/contacts/lists/{list_id}/contacts/add"
    api.post(add, json={"emails": ["john@example.com", "ghost@example.com"]})
    api.post(add, json={"ids": [jane]})
    api.post("/contacts/lists/404/contacts/add", json={"ids": [jane]})
    api.get(f"/contacts/lists/{list_id}/contacts", params={"limit": 500})
    api.post(
        f"/contacts/lists/{list_id}/contacts/remove",
        json={"emails": ["john@example.com"]},
    )
    api.post(f"/contacts/lists/{list_id}/contacts/remove", json={"all": True})

    api.post(
        "/contacts/batch",
        json={"contacts": [{"email": "jane@example.com", "attributes": {"LTV": 4}}]},
    )
    api.post("/contacts/batch", json={"contacts": [{"attributes": {"LTV": 4}}]})
    api.post("/contacts/batch", json={"contacts": [{"email": "ghost@example.com"}]})

    process_id = api.post(
        "/contacts/import",
        json={
            "jsonBody": [
                {"email": "ana@example.com", "attributes": {"LTV": 1}},
                {"email": "x"},
            ],
            "listIds": [list_id],
        },
    ).json()["processId"]
    api.post("/contacts/import", json={"jsonBody": [{"email": "ana@example.com"}]})
    api.get(f"/processes/{process_id}")
    clock.advance(10)
    api.get("/processes/404")

    api.delete("/contacts/john@example.com")
    api.delete("/contacts/john@example.com")
    return process_id


def test_sandbox_answers_match_brevos_api_description(serve_brevo):
    brevo = serve_brevo(other_per_hour=5, import_seconds=5)
    brevo.sandbox.traffic.enabled = True

    process_id = _exercise(brevo.api, brevo.clock)
    brevo.sandbox.wait_for_imports()
    completed = brevo.api.get(f"/processes/{process_id}")
    httpx.get(completed.json()["info"]["import"]["invalid_emails"])
    brevo.api.get("/account")
    brevo.api.get("/account")
    exchanges = brevo.sandbox.traffic.take()

    statuses = {exchange.status for exchange in exchanges}
    assert {200, 201, 202, 204, 400, 404, 429} <= statuses
    assert any(e.path.endswith(".csv") for e in exchanges)
    assert BREVO.violations(exchanges) == []
