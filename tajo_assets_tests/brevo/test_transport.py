"""Retries, rate-limit holds and error translation, against scripted servers.

Each server here is a tiny HTTP app on 127.0.0.1 answering from a script; the
client is the real one, with a pacer whose waits move a fake clock.
"""

import logging

import httpx
import pytest

from tajo_assets.brevo import (
    BrevoAuthError,
    BrevoClient,
    BrevoError,
    BrevoProcessError,
    BrevoProcessTimeoutError,
    BrevoRateLimitError,
    BrevoRequestError,
    BrevoUnavailableError,
    Pacer,
)
from tajo_assets_tests.brevo.fakes import FakeClock
from tajo_assets_tests.scripted import Reply

OK_ACCOUNT = Reply(200, {"email": "owner@example.com"})
UNAVAILABLE = Reply(503, "<html>Service Unavailable</html>")
LIST = {"id": 5, "name": "Audience", "folderId": 1, "totalSubscribers": 0}


def rate_limit(remaining: int, reset: int) -> dict[str, str]:
    return {
        "x-sib-ratelimit-limit": "10",
        "x-sib-ratelimit-remaining": str(remaining),
        "x-sib-ratelimit-reset": str(reset),
    }


def process(status: str, **extra) -> Reply:
    return Reply(200, {"id": 9, "name": "IMPORTUSER", "status": status, **extra})


@pytest.fixture
def connect(api_key: str, fake_time_pacer: Pacer):
    """Open a client on a base URL with the fake-time pacer."""
    clients: list[BrevoClient] = []

    def open_client(base_url: str, **options) -> BrevoClient:
        client = BrevoClient(api_key, base_url, pacer=fake_time_pacer, **options)
        clients.append(client)
        return client

    yield open_client
    for client in clients:
        client.close()


def test_a_5xx_is_retried_with_growing_backoff(
    serve_script, connect, clock: FakeClock, caplog
) -> None:
    script, url = serve_script(UNAVAILABLE, UNAVAILABLE, OK_ACCOUNT)
    caplog.set_level(logging.WARNING, logger="tajo_assets.brevo")

    connect(url).check_key()

    assert len(script.seen) == 3
    first, second = clock.sleeps
    assert 0.25 <= first <= 0.5
    assert 0.5 <= second <= 1.0
    warnings = [r.getMessage() for r in caplog.records]
    assert warnings[0].startswith("Brevo answered 503 on GET /account; retry 1 of 5")


def test_5xx_after_every_retry_is_unavailable(serve_script, connect) -> None:
    script, url = serve_script(then=UNAVAILABLE)

    with pytest.raises(BrevoUnavailableError) as raised:
        connect(url, max_retries=2).get_lists()

    assert len(script.seen) == 3
    assert raised.value.status == 503
    assert "after 3 attempts" in str(raised.value)
    assert "rerun later" in str(raised.value)


def test_a_create_that_may_have_applied_is_not_sent_twice(
    serve_script, connect
) -> None:
    script, url = serve_script(Reply(502, "Bad Gateway"), Reply(201, {"id": 8}))

    with pytest.raises(BrevoUnavailableError) as raised:
        connect(url).create_list("Audience", 1)

    assert len(script.seen) == 1
    assert "not retried because Brevo may have applied it" in str(raised.value)


def test_an_unreachable_brevo_is_retried_then_unavailable(
    closed_port_url: str, connect, clock: FakeClock
) -> None:
    client = connect(f"{closed_port_url}/v3", max_retries=2)

    with pytest.raises(BrevoUnavailableError) as raised:
        client.create_folder("Audiences")

    # Refused connections never reached Brevo, so even a create is retried.
    assert len(clock.sleeps) == 2
    assert "could not be reached (ConnectError)" in str(raised.value)
    assert isinstance(raised.value.__cause__, httpx.ConnectError)


def test_a_429_without_headers_backs_off_and_is_sent_again(
    serve_script, connect, clock: FakeClock, caplog
) -> None:
    script, url = serve_script(Reply(429, {"message": "slow down"}), OK_ACCOUNT)
    caplog.set_level(logging.WARNING, logger="tajo_assets.brevo")

    connect(url).check_key()

    assert len(script.seen) == 2
    [hold] = clock.sleeps
    assert 0.25 <= hold <= 0.5
    assert "Brevo GET /account answered 429 (rate limit)" in caplog.text


def test_a_429_waits_for_brevos_reset(serve_script, connect, clock) -> None:
    script, url = serve_script(
        Reply(429, {"message": "slow down"}, rate_limit(0, reset=2)),
        Reply(200, {"lists": [LIST], "count": 1}, rate_limit(9, reset=1)),
    )

    lists = connect(url).get_lists()

    assert [item.id for item in lists] == [5]
    assert len(script.seen) == 2
    assert clock.sleeps == [2.0]


def test_endless_429s_stop_at_the_allowed_wait(
    serve_script, api_key: str, clock: FakeClock
) -> None:
    script, url = serve_script(
        then=Reply(429, {"message": "slow down"}, rate_limit(0, reset=1000))
    )
    pacer = Pacer(clock=clock, sleep=clock.sleep, max_wait_s=2500)

    with BrevoClient(api_key, url, pacer=pacer) as client:
        with pytest.raises(BrevoRateLimitError) as raised:
            client.get_contacts()

    assert clock.sleeps == [1000.0, 1000.0]
    assert len(script.seen) == 3
    assert raised.value.status == 429
    assert "answered 429 to GET /contacts 3 times" in str(raised.value)


def test_a_key_brevo_echoes_back_is_masked(serve_script, connect, api_key: str) -> None:
    echo = {"code": "unauthorized", "message": f"Key {api_key} not found"}
    _, url = serve_script(Reply(401, echo))

    with pytest.raises(BrevoAuthError) as raised:
        connect(url).check_key()

    assert api_key not in str(raised.value)
    assert api_key not in (raised.value.message or "")
    assert "Key <api key> not found" in str(raised.value)


def test_a_forbidden_call_asks_for_permission(serve_script, connect) -> None:
    refusal = {"code": "permission_denied", "message": "IP not authorised"}
    _, url = serve_script(Reply(403, refusal))

    with pytest.raises(BrevoAuthError) as raised:
        connect(url).get_attributes()

    message = str(raised.value)
    assert "403 permission_denied: IP not authorised" in message
    assert "give the key that permission" in message
    assert "BREVO_API_KEY" in message


def test_a_refusal_keeps_brevos_code_message_and_metadata(
    serve_script, connect
) -> None:
    refusal = {
        "code": "duplicate_parameter",
        "message": "email is already associated with another Contact",
        "metadata": {"duplicate_identifiers": ["email"]},
    }
    _, url = serve_script(Reply(400, refusal))

    with pytest.raises(BrevoRequestError) as raised:
        connect(url).import_contacts([{"email": "a@example.com"}], [1])

    error = raised.value
    assert (error.status, error.code) == (400, "duplicate_parameter")
    assert error.metadata == {"duplicate_identifiers": ["email"]}
    assert "correct it as Brevo says" in str(error)


def test_a_refusal_that_is_not_json_is_still_explained(serve_script, connect) -> None:
    _, url = serve_script(Reply(413, "<html><h1>Request Entity Too Large</h1></html>"))

    with pytest.raises(BrevoRequestError) as raised:
        connect(url).import_contacts([{"email": "a@example.com"}], [1])

    assert "(413: <html><h1>Request Entity Too Large</h1></html>)" in str(raised.value)


def test_an_answer_of_unknown_shape_says_the_api_changed(serve_script, connect) -> None:
    _, url = serve_script(Reply(200, {"lists": [{"name": 3}], "count": 1}))

    with pytest.raises(BrevoError) as raised:
        connect(url).get_lists()

    assert "Brevo answered the call to read lists with an unexpected shape" in str(
        raised.value
    )
    assert "the API may have changed" in str(raised.value)


def test_a_failed_import_process_is_an_error(serve_script, connect) -> None:
    _, url = serve_script(
        process("in_process"), process("failed", error="file could not be parsed")
    )

    with pytest.raises(BrevoProcessError) as raised:
        connect(url).wait_for_import(9, deadline_s=60)

    assert (raised.value.process_id, raised.value.process_status) == (9, "failed")
    assert "ended 'failed' (file could not be parsed)" in str(raised.value)
    assert "none of its contacts are confirmed" in str(raised.value)


def test_an_unknown_process_status_keeps_polling(serve_script, connect) -> None:
    script, url = serve_script(process("paused"), process("completed"))

    result = connect(url).wait_for_import(9, deadline_s=60)

    assert (result.process_id, result.status, result.rejected) == (9, "completed", ())
    assert len(script.seen) == 2


def test_an_unreachable_report_keeps_the_knowledge_of_rejections(
    serve_script, connect, closed_port_url: str
) -> None:
    report = f"{closed_port_url}/files/import-9-invalid_emails.csv"
    _, url = serve_script(
        process("completed", info={"import": {"invalid_emails": report}})
    )

    result = connect(url).wait_for_import(9, deadline_s=60)

    assert result.rejected == ()
    assert result.rejections_unknown
    assert result.rejection_report_error == (
        "the invalid_emails report could not be read (ConnectError)"
    )
    assert closed_port_url not in result.rejection_report_error


def test_a_missing_report_keeps_the_knowledge_of_rejections(
    serve_script, connect
) -> None:
    script, url = serve_script()
    report = url.replace("/v3", "/files/gone.csv")
    script.replies += [
        process("completed", info={"import": {"duplicate_email_id": report}}),
        Reply(404, {"code": "document_not_found", "message": "No such file"}),
    ]

    result = connect(url).wait_for_import(9, deadline_s=60)

    assert result.rejection_report_error == (
        "the duplicate_email_id report answered HTTP 404"
    )


def test_a_count_without_a_report_keeps_the_knowledge_of_rejections(
    serve_script, connect
) -> None:
    _, url = serve_script(process("completed", info={"import": {"invalid_emails": 4}}))

    result = connect(url).wait_for_import(9, deadline_s=60)

    assert result.rejections_unknown
    assert (
        "counted 4 invalid_emails but sent no report" in result.rejection_report_error
    )


def test_a_report_on_another_host_never_receives_the_key(
    serve_script, connect, api_key: str
) -> None:
    files, files_url = serve_script(Reply(200, "row,email\n1,bad@\n"))
    report = files_url.replace("/v3", "/files/import-9-invalid_emails.csv")
    brevo, url = serve_script(
        process("completed", info={"import": {"invalid_emails": report}})
    )

    result = connect(url).wait_for_import(9, deadline_s=60)

    assert [r.identifier for r in result.rejected] == ["bad@"]
    assert brevo.seen[0].headers["api-key"] == api_key
    assert "api-key" not in files.seen[0].headers


def test_polling_stops_when_the_hourly_window_outlasts_the_deadline(
    serve_script, connect, clock: FakeClock
) -> None:
    spent = {
        "x-sib-ratelimit-limit": "100",
        "x-sib-ratelimit-remaining": "0",
        "x-sib-ratelimit-reset": "3000",
    }
    script, url = serve_script(Reply(200, process("queued").body, spent))

    with pytest.raises(BrevoProcessTimeoutError) as raised:
        connect(url).wait_for_import(9, deadline_s=600)

    assert len(script.seen) == 1
    assert clock.sleeps == [0.5]
    assert "the rate-limit window of /processes resets later" in str(raised.value)


def test_polls_slow_to_the_hours_share_once_half_the_budget_is_spent(
    serve_script, connect, clock: FakeClock, fake_time_pacer: Pacer
) -> None:
    script, url = serve_script(
        process("queued"), process("in_process"), process("completed")
    )
    for _ in range(60):
        fake_time_pacer.wait_for_turn("/account")

    result = connect(url).wait_for_import(9, deadline_s=600)

    assert result.status == "completed"
    # 100 requests/hour on the General tier: one every 36 s, not 0.5, 1, 2.
    assert clock.sleeps == [36.0, 36.0, 36.0]
    assert len(script.seen) == 3


def test_two_imports_waited_for_share_the_polls(
    serve_script, connect, clock: FakeClock, fake_time_pacer: Pacer
) -> None:
    _, url = serve_script(process("queued"), process("completed"))
    for _ in range(60):
        fake_time_pacer.wait_for_turn("/account")

    with fake_time_pacer.polling("/processes/8"):
        connect(url).wait_for_import(9, deadline_s=600)

    assert clock.sleeps == [72.0, 72.0]


def test_polls_are_quick_while_the_hour_has_budget(
    serve_script, connect, clock: FakeClock
) -> None:
    _, url = serve_script(process("queued"), process("queued"), process("completed"))

    connect(url).wait_for_import(9, deadline_s=600)

    assert clock.sleeps == [0.5, 1.0, 2.0]


def test_an_import_likely_done_is_polled_at_once_then_as_usual(
    serve_script, connect, clock: FakeClock
) -> None:
    script, url = serve_script(
        process("queued"), process("queued"), process("completed")
    )

    connect(url).wait_for_import(9, deadline_s=600, poll_at_once=True)

    # Older imports of a sync are done by the time the newest is: no pause.
    assert clock.sleeps == [0.5, 1.0]
    assert len(script.seen) == 3
