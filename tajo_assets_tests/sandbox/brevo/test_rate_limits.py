"""Brevo's rate limits: per-second and per-hour windows, headers and 429s."""

from tajo_assets.sandbox.brevo import RequestCount


def _limits(response) -> tuple[str, str, str]:
    headers = response.headers
    return (
        headers["x-sib-ratelimit-limit"],
        headers["x-sib-ratelimit-remaining"],
        headers["x-sib-ratelimit-reset"],
    )


def test_burst_over_the_per_second_limit_gets_429_with_headers(serve_brevo):
    brevo = serve_brevo(contacts_per_second=10, contacts_per_hour=36_000)

    responses = [brevo.api.get("/contacts") for _ in range(12)]

    assert [r.status_code for r in responses] == [200] * 10 + [429] * 2
    assert _limits(responses[0]) == ("10", "9", "1")
    assert _limits(responses[9]) == ("10", "0", "1")
    assert _limits(responses[10]) == ("10", "0", "1")
    assert responses[10].json()["code"] == "too_many_requests"


def test_the_window_reopens_after_its_reset(serve_brevo):
    brevo = serve_brevo(contacts_per_second=2)
    for _ in range(3):
        brevo.api.get("/contacts")

    brevo.clock.advance(1.0)
    after = brevo.api.get("/contacts")

    assert after.status_code == 200
    assert _limits(after) == ("2", "1", "1")


def test_a_429d_request_is_not_applied(serve_brevo):
    brevo = serve_brevo(contacts_per_second=1)
    brevo.api.get("/contacts")

    refused = brevo.api.post("/contacts", json={"email": "late@example.com"})

    assert refused.status_code == 429
    assert brevo.sandbox.contacts() == []


def test_per_hour_window_binds_once_it_has_fewer_requests_left(serve_brevo):
    brevo = serve_brevo(contacts_per_second=10, contacts_per_hour=12)
    for _ in range(9):
        brevo.api.get("/contacts")
    brevo.clock.advance(1.0)

    tenth = brevo.api.get("/contacts")
    blocked = [brevo.api.get("/contacts") for _ in range(3)]

    assert _limits(tenth) == ("12", "2", "3599")
    assert [r.status_code for r in blocked] == [200, 200, 429]
    assert _limits(blocked[-1]) == ("12", "0", "3599")


def test_processes_count_in_their_own_per_hour_bucket(serve_brevo):
    brevo = serve_brevo(contacts_per_second=10, other_per_hour=3)
    folder = brevo.api.post("/contacts/folders", json={"name": "F"}).json()["id"]
    list_id = brevo.api.post(
        "/contacts/lists", json={"name": "L", "folderId": folder}
    ).json()["id"]
    process_id = brevo.api.post(
        "/contacts/import",
        json={"jsonBody": [{"email": "a@example.com"}], "listIds": [list_id]},
    ).json()["processId"]

    polls = [brevo.api.get(f"/processes/{process_id}") for _ in range(4)]
    account = brevo.api.get("/account")
    contacts = brevo.api.get("/contacts")

    assert [p.status_code for p in polls] == [200, 200, 200, 429]
    assert _limits(polls[0]) == ("3", "2", "3600")
    assert account.status_code == 429
    assert contacts.status_code == 200
    assert _limits(contacts) == ("10", "6", "1")  # 4th contacts request


def test_request_counts_per_bucket_and_route(serve_brevo):
    brevo = serve_brevo(contacts_per_second=2, other_per_hour=100)
    for _ in range(3):
        brevo.api.get("/contacts/nobody@example.com")
    brevo.api.get("/processes/1")

    counts = brevo.sandbox.request_counts

    assert counts.by_bucket == {
        "contacts": RequestCount(requests=3, rate_limited=1),
        "other": RequestCount(requests=1, rate_limited=0),
    }
    assert counts.by_route[("GET", "/v3/contacts/{identifier}")] == RequestCount(3, 1)
    assert counts.by_route[("GET", "/v3/processes/{processId}")] == RequestCount(1, 0)


def test_limits_switched_off_send_no_headers(brevo):
    response = brevo.api.get("/contacts")

    assert response.status_code == 200
    assert "x-sib-ratelimit-limit" not in response.headers
