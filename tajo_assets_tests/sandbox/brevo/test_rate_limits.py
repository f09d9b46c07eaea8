"""Brevo's rate limits: per-second and per-hour windows, headers and 429s."""

import pytest

from tajo_assets.sandbox.brevo import BrevoSandboxSettings, RequestCount
from tajo_assets.sandbox.brevo.rate_limits import bucket_for


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


HOUR = 3600.0


@pytest.mark.parametrize(
    ("tier", "contacts", "other"),
    [
        ("general", [(10, 1.0), (36_000, HOUR)], [(100, HOUR)]),
        ("advanced", [(20, 1.0), (72_000, HOUR)], [(200, HOUR)]),
        ("extended", [(60, 1.0)], [(600, HOUR)]),
        (None, [], []),
    ],
)
def test_each_tier_sets_brevos_documented_windows(tier, contacts, other, api_key):
    # Reference section 3: POST /events has the contacts bucket's limits.
    settings = BrevoSandboxSettings(api_keys={api_key}, tier=tier)

    assert settings.windows() == {
        "contacts": contacts,
        "events": contacts,
        "other": other,
    }


def test_an_override_replaces_only_its_window(api_key):
    settings = BrevoSandboxSettings(
        api_keys={api_key}, tier="advanced", contacts_per_second=3
    )

    assert settings.windows()["contacts"] == [(3, 1.0), (72_000, HOUR)]
    assert settings.windows()["other"] == [(200, HOUR)]


def test_an_unknown_tier_is_refused(api_key):
    with pytest.raises(ValueError) as raised:
        BrevoSandboxSettings(api_keys={api_key}, tier="premium")

    assert "unknown Brevo tier 'premium'; use one of general, advanced, extended" in (
        str(raised.value)
    )


def test_a_higher_tier_admits_more_per_second(serve_brevo):
    brevo = serve_brevo(tier="advanced")

    responses = [brevo.api.get("/contacts") for _ in range(22)]
    account = brevo.api.get("/account")

    assert [r.status_code for r in responses] == [200] * 20 + [429] * 2
    assert _limits(responses[0]) == ("20", "19", "1")
    assert _limits(account) == ("200", "199", "3600")


@pytest.mark.parametrize(
    ("path", "bucket"),
    [
        ("/v3/events", "events"),
        ("/v3/events/batch", "other"),
        ("/v3/contacts/import", "contacts"),
        ("/v3/processes/4", "other"),
    ],
)
def test_events_count_apart_and_event_batches_with_the_other_endpoints(path, bucket):
    assert bucket_for(path) == bucket


def test_the_busiest_second_is_counted_per_bucket(serve_brevo):
    brevo = serve_brevo()
    for _ in range(3):
        brevo.api.get("/contacts")
    brevo.clock.advance(0.6)
    for _ in range(2):
        brevo.api.get("/contacts/lists")
    brevo.clock.advance(0.6)
    brevo.api.get("/contacts")
    brevo.api.get("/account")

    peaks = brevo.sandbox.request_counts.peak_per_second

    # 1000.0 (3) and 1000.6 (2) share a second; 1001.2 shares one with 1000.6.
    assert peaks == {"contacts": 5, "other": 1}


def test_the_busiest_second_counts_refused_requests_too(serve_brevo):
    brevo = serve_brevo(contacts_per_second=2)

    for _ in range(4):
        brevo.api.get("/contacts")

    counts = brevo.sandbox.request_counts
    assert counts.peak_per_second["contacts"] == 4
    assert counts.by_bucket["contacts"].rate_limited == 2
