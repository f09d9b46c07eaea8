"""The Brevo sandbox's fault switches, over real HTTP on 127.0.0.1."""

import threading

import httpx
import pytest

IMPORT = "/v3/contacts/import"


def _import_body(contact_list: int, email: str = "ana@example.com") -> dict:
    return {"jsonBody": [{"email": email}], "listIds": [contact_list]}


def _send_import(brevo, contact_list: int, email: str = "ana@example.com"):
    return brevo.api.post("/contacts/import", json=_import_body(contact_list, email))


def test_a_fault_can_let_requests_through_before_failing(brevo, faults, contact_list):
    faults.add("POST", IMPORT, 500, skip=2, times=1)

    statuses = [_send_import(brevo, contact_list).status_code for _ in range(4)]

    assert statuses == [202, 202, 500, 202]
    assert len(brevo.sandbox.processes()) == 3


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_server_error_answers_brevos_error_shape(brevo, faults, status):
    faults.add("GET", "/v3/account", status)

    answer = brevo.api.get("/account")

    assert answer.status_code == status
    assert set(answer.json()) == {"code", "message"}
    assert brevo.api.get("/account").status_code == 200


def test_a_429_carries_the_rate_limit_headers(brevo, faults, contact_list):
    faults.add("POST", IMPORT, 429)

    answer = _send_import(brevo, contact_list)

    assert answer.status_code == 429
    assert answer.json()["code"] == "too_many_requests"
    assert answer.headers["x-sib-ratelimit-remaining"] == "0"
    assert answer.headers["x-sib-ratelimit-reset"] == "1"
    assert answer.headers["x-sib-ratelimit-limit"] == "10"
    assert brevo.sandbox.processes() == []


def test_a_400_sends_the_body_the_test_gives(brevo, faults, contact_list):
    body = {"code": "invalid_parameter", "message": "listIds are invalid"}
    faults.add("POST", IMPORT, 400, body=body)

    answer = _send_import(brevo, contact_list)

    assert (answer.status_code, answer.json()) == (400, body)


def test_a_text_body_is_sent_as_a_gateway_page(brevo, faults):
    faults.add("GET", "/v3/account", 502, body="<html>502 Bad Gateway</html>")

    answer = brevo.api.get("/account")

    assert answer.status_code == 502
    assert answer.headers["content-type"].startswith("text/html")
    assert answer.text == "<html>502 Bad Gateway</html>"


def test_a_dropped_request_gets_no_answer_and_is_not_applied(
    brevo, faults, contact_list
):
    faults.drop("POST", IMPORT)

    # The close reaches the client as an empty answer, or, when it is still
    # writing the body, as a reset: either way no response (seen under load).
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)):
        _send_import(brevo, contact_list)

    assert brevo.sandbox.processes() == []
    assert _send_import(brevo, contact_list).status_code == 202


def test_serve_then_drop_applies_the_request_but_loses_the_answer(
    brevo, faults, contact_list
):
    faults.drop("POST", IMPORT, after_execution=True)

    with pytest.raises(httpx.RemoteProtocolError):
        _send_import(brevo, contact_list)
    brevo.sandbox.wait_for_imports()

    assert [p["status"] for p in brevo.sandbox.processes()] == ["completed"]
    assert brevo.sandbox.contact("ana@example.com") is not None


def test_a_late_answer_arrives_after_the_request_was_applied(
    brevo, faults, contact_list
):
    faults.delay("POST", IMPORT, 2.0)
    impatient = httpx.Client(
        base_url=brevo.api.base_url, headers={"api-key": brevo.api_key}, timeout=0.5
    )

    with impatient, pytest.raises(httpx.ReadTimeout):
        impatient.post("/contacts/import", json=_import_body(contact_list))
    brevo.sandbox.wait_for_imports()

    assert brevo.sandbox.contact("ana@example.com") is not None
    assert _send_import(brevo, contact_list, "bo@example.com").status_code == 202


def test_a_failed_import_is_accepted_then_ends_failed_unapplied(
    brevo, faults, contact_list
):
    faults.fail_imports(skip=1, error="File processing failed")

    first, second = (
        _send_import(brevo, contact_list, email).json()["processId"]
        for email in ("ana@example.com", "bo@example.com")
    )

    assert brevo.wait_for_process(first)["status"] == "completed"
    failed = brevo.wait_for_process(second)
    assert (failed["status"], failed["error"]) == ("failed", "File processing failed")
    assert "info" not in failed
    assert brevo.sandbox.contact("bo@example.com") is None


def test_a_watch_waits_for_acknowledged_requests(brevo, faults, contact_list):
    imports = faults.watch("POST", IMPORT)
    faults.add("POST", IMPORT, 503, skip=1)
    sender = threading.Thread(
        target=lambda: [_send_import(brevo, contact_list) for _ in range(3)]
    )

    sender.start()
    acknowledged = imports.wait_for_answers(2, successful=True)
    sender.join(10)

    assert acknowledged
    assert (imports.arrived, imports.statuses) == (3, [202, 503, 202])
    assert imports.in_flight == 0


def test_a_watch_sees_arrivals_that_get_no_answer(brevo, faults, contact_list):
    imports = faults.watch("POST", IMPORT)
    faults.drop("POST", IMPORT)

    with pytest.raises(httpx.RemoteProtocolError):
        _send_import(brevo, contact_list)

    assert imports.wait_for_arrivals(1)
    assert (imports.arrived, imports.answered) == (1, 0)


def test_faults_are_logged_as_traffic_and_drops_are_not(brevo, faults):
    brevo.sandbox.traffic.enabled = True
    faults.add("GET", "/v3/account", 503)
    faults.drop("GET", "/v3/account")
    try:
        brevo.api.get("/account")
        with pytest.raises(httpx.RemoteProtocolError):
            brevo.api.get("/account")
        brevo.api.get("/account")
    finally:
        brevo.sandbox.traffic.enabled = False

    assert [e.status for e in brevo.sandbox.traffic.take()] == [503, 200]


def test_reset_clears_every_switch(brevo, faults, contact_list):
    faults.add("GET", "/v3/account", 500, times=5)
    faults.fail_imports(times=5)

    brevo.sandbox.reset()
    folder = brevo.api.post("/contacts/folders", json={"name": "F"}).json()["id"]
    new_list = brevo.api.post("/contacts/lists", json={"name": "L", "folderId": folder})
    process_id = _send_import(brevo, new_list.json()["id"]).json()["processId"]

    assert brevo.api.get("/account").status_code == 200
    assert brevo.wait_for_process(process_id)["status"] == "completed"


@pytest.mark.parametrize(
    "switch, said",
    [
        (lambda f: f.add("GET", "/v3/account", 200), "error status"),
        (lambda f: f.add("GET", "/v3/account", 500, times=0), "times=0"),
        (lambda f: f.delay("GET", "/v3/account", 0), "delay"),
        (lambda f: f.fail_imports(skip=-1), "skip=-1"),
    ],
    ids=["ok-status", "zero-times", "zero-delay", "negative-skip"],
)
def test_a_switch_that_cannot_apply_is_refused(faults, switch, said):
    with pytest.raises(ValueError, match=said):
        switch(faults)
