"""The client's event batches: Brevo's verdict per event, and never a blind resend.

The sandbox answers the ordinary cases; scripted servers play the answers it
has no switch for (an API without /events/batch, a 5xx, a 207 of another shape).
"""

import json

import pytest

from tajo_assets.brevo import BrevoClient, BrevoUnavailableError
from tajo_assets.brevo.events import event_batches
from tajo_assets_tests.contract import BREVO
from tajo_assets_tests.scripted import Reply


def event(name: str = "order_completed", email: str = "ana@example.com") -> dict:
    return {"event_name": name, "identifiers": {"email_id": email}}


def test_a_batch_with_one_invalid_event_reports_it_and_keeps_the_others(
    client, sandbox
):
    outcome = client.send_event_batch([event(), event("bad name"), event("x")])

    assert outcome.accepted == [0, 2]
    [refusal] = outcome.refused
    assert refusal.index == 1
    assert refusal.reason.startswith("invalid_parameter: event_name 'bad name'")
    assert (outcome.unconfirmed, outcome.not_sent, outcome.failure) == ([], [], None)
    assert len(sandbox.events()) == 2


def test_a_valid_batch_is_accepted_in_one_request(client, sandbox):
    outcome = client.send_event_batch([event(), event("cart_viewed")])

    assert outcome.accepted == [0, 1]
    assert client.requests_sent == 1


def test_without_the_batch_endpoint_events_go_one_by_one(serve_script, api_key):
    script, base_url = serve_script(
        Reply(404, {"code": "document_not_found", "message": "Not found"}),
        Reply(204),
        Reply(400, {"code": "invalid_parameter", "message": "event_name invalid"}),
        then=Reply(204),
    )
    with BrevoClient(api_key, base_url) as client:
        first = client.send_event_batch([event(), event("bad name")])
        second = client.send_event_batch([event()])

    assert first.accepted == [0]
    assert [(r.index, r.reason) for r in first.refused] == [
        (1, "invalid_parameter: event_name invalid")
    ]
    assert second.accepted == [0]
    assert [seen.path for seen in script.seen] == [
        "/v3/events/batch",
        "/v3/events",
        "/v3/events",
        "/v3/events",
    ]


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_5xx_on_a_batch_is_not_retried_and_leaves_it_unconfirmed(
    serve_script, api_key, status
):
    script, base_url = serve_script(then=Reply(status, {"message": "oops"}))
    with BrevoClient(api_key, base_url) as client:
        outcome = client.send_event_batch([event(), event("cart_viewed")])

    assert len(script.seen) == 1
    assert outcome.unconfirmed == [0, 1]
    assert outcome.accepted == []
    assert isinstance(outcome.failure, BrevoUnavailableError)
    assert "not retried because Brevo may have applied it" in str(outcome.failure)


def test_a_timeout_mid_way_through_single_events_stops_there(serve_script, api_key):
    script, base_url = serve_script(
        Reply(405, {"code": "method_not_allowed", "message": "no"}),
        Reply(204),
        Reply(503, {"message": "down"}),
        then=Reply(204),
    )
    with BrevoClient(api_key, base_url) as client:
        outcome = client.send_event_batch([event(), event("b"), event("c")])

    assert (outcome.accepted, outcome.unconfirmed, outcome.not_sent) == (
        [0],
        [1],
        [2],
    )
    assert len(script.seen) == 3


def test_a_429_is_waited_out_and_the_batch_sent_again(
    serve_script, api_key, fake_time_pacer
):
    limited = {"x-sib-ratelimit-reset": "2", "x-sib-ratelimit-remaining": "0"}
    script, base_url = serve_script(
        Reply(429, {"code": "too_many_requests", "message": "slow"}, limited),
        Reply(202, {"message": "Events accepted", "count": 1}),
    )
    with BrevoClient(api_key, base_url, pacer=fake_time_pacer) as client:
        outcome = client.send_event_batch([event()])

    assert outcome.accepted == [0]
    assert len(script.seen) == 2


@pytest.mark.parametrize(
    "body",
    [
        {"message": "partial"},
        {"failed": [{"code": "x", "message": "no index"}]},
        {"failed": [{"index": 7, "message": "outside the batch"}]},
        ["a", "list"],
    ],
)
def test_a_207_whose_events_cannot_be_told_apart_leaves_them_unconfirmed(
    serve_script, api_key, body
):
    _, base_url = serve_script(Reply(207, body))
    with BrevoClient(api_key, base_url) as client:
        outcome = client.send_event_batch([event(), event("b")])

    assert outcome.unconfirmed == [0, 1]
    assert outcome.accepted == [] and outcome.refused == []


def test_a_207_naming_only_the_successes_refuses_the_rest(serve_script, api_key):
    _, base_url = serve_script(Reply(207, {"successful": [{"index": 1}]}))
    with BrevoClient(api_key, base_url) as client:
        outcome = client.send_event_batch([event(), event("b")])

    assert outcome.accepted == [1]
    assert [r.index for r in outcome.refused] == [0]


def test_a_batch_refused_whole_is_sent_again_event_by_event(serve_script, api_key):
    script, base_url = serve_script(
        Reply(400, {"code": "invalid_parameter", "message": "bad batch"}),
        then=Reply(204),
    )
    with BrevoClient(api_key, base_url) as client:
        outcome = client.send_event_batch([event(), event("b")])

    assert outcome.accepted == [0, 1]
    assert not client.event_batches_unavailable
    assert json.loads(script.seen[1].body) == event()


def test_batches_keep_within_the_count_and_the_byte_cap():
    events = [event(email=f"p{i:03d}@example.com") for i in range(250)]
    size = len(json.dumps(events[0], separators=(",", ":"))) + 1

    by_count = list(event_batches(events, max_events=100))
    by_bytes = list(event_batches(events, max_events=100, max_bytes=size * 30))

    assert [len(b) for b in by_count] == [100, 100, 50]
    assert {len(b) for b in by_bytes[:-1]} == {30}
    assert [i for b in by_bytes for i in b] == list(range(250))


def test_single_event_posts_follow_brevos_api_description(client, sandbox):
    """The spec describes POST /events (not /events/batch): the fallback path's
    requests, and the sandbox's answers, must match it."""
    sandbox.traffic.enabled = True
    client.event_batches_unavailable = True
    full = {
        **event(),
        "event_date": "2026-06-01T09:30:00+02:00",
        "event_properties": {"total": 42, "currency": "EUR"},
        "contact_properties": {"FIRSTNAME": "Ana", "AGE": 37},
    }
    outcome = client.send_event_batch([full, event("bad name")])
    exchanges = sandbox.traffic.take()
    sandbox.traffic.enabled = False

    assert (outcome.accepted, [r.index for r in outcome.refused]) == ([0], [1])
    assert [(x.path, x.status) for x in exchanges] == [
        ("/v3/events", 204),
        ("/v3/events", 400),
    ]
    assert BREVO.violations(exchanges) == []
