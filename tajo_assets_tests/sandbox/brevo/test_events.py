"""The sandbox's Events API: one event, batches with 207 answers, the contract."""

import pytest

from tajo_assets_tests.contract import BREVO


def event(name: str = "order_completed", **fields) -> dict:
    return {
        "event_name": name,
        "identifiers": {"email_id": "ana@example.com"},
        "event_date": "2026-06-01T09:30:00+02:00",
        "event_properties": {"total": 42, "currency": "EUR"},
        **fields,
    }


def test_a_valid_event_is_stored_and_answered_204(brevo):
    answer = brevo.api.post("/events", json=event())

    assert answer.status_code == 204
    [stored] = brevo.sandbox.events()
    assert stored["event_name"] == "order_completed"
    assert stored["event_properties"] == {"total": 42, "currency": "EUR"}
    assert stored["contactId"] is None


def test_an_event_names_the_contact_that_has_its_identifier(brevo):
    created = brevo.api.post("/contacts", json={"email": "ana@example.com"})

    brevo.api.post("/events", json=event(identifiers={"email_id": "Ana@Example.com"}))

    assert brevo.sandbox.events()[0]["contactId"] == created.json()["id"]
    assert len(brevo.sandbox.contacts()) == 1


@pytest.mark.parametrize(
    ("change", "code", "words"),
    [
        ({"event_name": None}, "missing_parameter", "event_name is required"),
        ({"event_name": "order completed"}, "invalid_parameter", "event_name"),
        ({"event_name": "x" * 256}, "invalid_parameter", "at most 255"),
        ({"identifiers": {}}, "missing_parameter", "at least one of"),
        ({"identifiers": {"email": "a@b.c"}}, "invalid_parameter", "unknown keys"),
        ({"event_date": "2026-06-01T09:30:00"}, "invalid_parameter", "no offset"),
        ({"event_date": "yesterday"}, "invalid_parameter", "not an ISO-8601"),
        ({"contact_properties": {"VIP": True}}, "invalid_parameter", "string or"),
        ({"event_properties": {"a b": 1}}, "invalid_parameter", "key 'a b'"),
        ({"event_properties": {"x": "y" * 52_000}}, "invalid_parameter", "50 KB"),
    ],
)
def test_an_invalid_event_is_refused_with_brevos_error_body(brevo, change, code, words):
    body = {k: v for k, v in {**event(), **change}.items() if v is not None}

    answer = brevo.api.post("/events", json=body)

    assert answer.status_code == 400
    assert answer.json()["code"] == code
    assert words in answer.json()["message"]
    assert brevo.sandbox.events() == []


def test_a_valid_batch_is_accepted_whole(brevo):
    answer = brevo.api.post(
        "/events/batch", json={"events": [event(), event("cart_viewed")]}
    )

    assert answer.status_code == 202
    assert answer.json() == {"message": "Events accepted", "count": 2}
    assert [e["event_name"] for e in brevo.sandbox.events()] == [
        "order_completed",
        "cart_viewed",
    ]


def test_a_batch_with_one_invalid_event_stores_the_others_and_answers_207(brevo):
    events = [event(), event("bad name"), event("cart_viewed")]

    answer = brevo.api.post("/events/batch", json={"events": events})

    assert answer.status_code == 207
    body = answer.json()
    assert (body["count"], body["failed_count"]) == (2, 1)
    assert body["successful"] == [{"index": 0}, {"index": 2}]
    [failed] = body["failed"]
    assert (failed["index"], failed["code"]) == (1, "invalid_parameter")
    assert "event_name 'bad name' is invalid" in failed["message"]
    assert len(brevo.sandbox.events()) == 2


@pytest.mark.parametrize("body", [[event()], {"events": []}, {"event": [event()]}])
def test_a_batch_body_of_the_wrong_shape_is_refused_whole(brevo, body):
    answer = brevo.api.post("/events/batch", json=body)

    assert answer.status_code == 400
    assert brevo.sandbox.events() == []


def test_event_answers_match_brevos_api_description(brevo):
    """The spec describes POST /events only (not /events/batch)."""
    brevo.sandbox.traffic.enabled = True
    brevo.api.post("/events", json=event())
    brevo.api.post("/events", json=event(contact_properties={"FIRSTNAME": "Ana"}))
    brevo.api.post("/events", json=event("bad name"))
    exchanges = [x for x in brevo.sandbox.traffic.take() if x.path == "/v3/events"]
    brevo.sandbox.traffic.enabled = False

    assert [x.status for x in exchanges] == [204, 204, 400]
    assert BREVO.violations(exchanges) == []
