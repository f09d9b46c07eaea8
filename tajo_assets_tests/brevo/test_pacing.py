"""The pacer's arithmetic on an injected clock: buckets, windows, 429s, backoff."""

import random
import threading
import time

import pytest

from tajo_assets.brevo.errors import BrevoRateLimitError
from tajo_assets.brevo.pacing import (
    CONTACTS_BUCKET,
    GENERAL_BUCKET,
    Pacer,
    RateLimit,
    bucket_for,
)
from tajo_assets_tests.brevo.fakes import FakeClock


def headers(remaining: int, reset: float, limit: int | None = 10) -> dict[str, str]:
    values = {"x-sib-ratelimit-remaining": str(remaining)}
    values["x-sib-ratelimit-reset"] = str(reset)
    if limit is not None:
        values["x-sib-ratelimit-limit"] = str(limit)
    return values


@pytest.fixture
def pacer(clock: FakeClock) -> Pacer:
    return Pacer(clock=clock, sleep=clock.sleep, rng=random.Random(7))


@pytest.mark.parametrize(
    ("path", "bucket"),
    [
        ("/contacts", CONTACTS_BUCKET),
        ("/contacts/import", CONTACTS_BUCKET),
        ("/contacts/lists/7/contacts/add", CONTACTS_BUCKET),
        ("/processes/12", GENERAL_BUCKET),
        ("/account", GENERAL_BUCKET),
        ("/contactsexport", GENERAL_BUCKET),
    ],
    ids=["contacts", "import", "list-add", "processes", "account", "prefix-only"],
)
def test_paths_fall_in_brevos_buckets(path: str, bucket: str) -> None:
    assert bucket_for(path) == bucket


def test_rate_limit_headers_are_parsed() -> None:
    rate = RateLimit.from_headers(headers(remaining=3, reset=0.5, limit=10))
    assert rate == RateLimit(limit=10, remaining=3, reset_s=0.5)


@pytest.mark.parametrize(
    "raw",
    [
        {},
        {"x-sib-ratelimit-remaining": "3"},
        headers(remaining=3, reset=1) | {"x-sib-ratelimit-reset": "soon"},
    ],
    ids=["absent", "no-reset", "malformed-reset"],
)
def test_missing_or_malformed_headers_are_ignored(raw: dict[str, str]) -> None:
    assert RateLimit.from_headers(raw) is None


def test_an_unknown_window_never_holds_a_call(pacer: Pacer, clock: FakeClock) -> None:
    for _ in range(50):
        pacer.wait_for_turn("/contacts")
    assert clock.sleeps == []


def test_a_spent_window_holds_the_next_call_until_reset(
    pacer: Pacer, clock: FakeClock
) -> None:
    pacer.observe("/contacts/import", headers(remaining=0, reset=2))

    waited = pacer.wait_for_turn("/contacts/lists")

    assert waited == 2.0
    assert clock.sleeps == [2.0]


def test_buckets_are_paced_apart(pacer: Pacer, clock: FakeClock) -> None:
    pacer.observe("/processes/1", headers(remaining=0, reset=1800, limit=100))

    pacer.wait_for_turn("/contacts")

    assert clock.sleeps == []
    assert pacer.delay_s("/account") == 1800.0


def test_calls_in_flight_count_before_brevo_reports_them(
    pacer: Pacer, clock: FakeClock
) -> None:
    pacer.observe("/contacts", headers(remaining=3, reset=1))

    for _ in range(3):
        pacer.wait_for_turn("/contacts")
    assert clock.sleeps == []
    pacer.wait_for_turn("/contacts")

    assert clock.sleeps == [1.0]


def test_a_fresh_window_holds_the_limit_again(pacer: Pacer, clock: FakeClock) -> None:
    pacer.observe("/contacts", headers(remaining=0, reset=1, limit=2))

    for _ in range(5):
        pacer.wait_for_turn("/contacts")

    # Wait for the spent window, two calls, wait, two calls, wait, one call.
    assert clock.sleeps == [1.0, 1.0, 1.0]


def test_an_older_response_cannot_raise_the_count_of_an_open_window(
    pacer: Pacer, clock: FakeClock
) -> None:
    pacer.observe("/contacts", headers(remaining=1, reset=1))
    pacer.wait_for_turn("/contacts")

    # A slower response of the same window reports more left than we reserved.
    pacer.observe("/contacts", headers(remaining=5, reset=1))
    pacer.wait_for_turn("/contacts")

    assert clock.sleeps == [1.0]


def test_a_429_closes_the_bucket_until_brevos_reset(
    pacer: Pacer, clock: FakeClock
) -> None:
    hold = pacer.hold_after_rate_limit("/contacts/import", headers(0, reset=3), 0)

    pacer.wait_for_turn("/contacts")

    assert hold == 3.0
    assert clock.sleeps == [3.0]


def test_a_429_without_headers_backs_off_exponentially(pacer: Pacer) -> None:
    holds = [pacer.hold_after_rate_limit("/contacts", {}, n) for n in range(4)]

    for attempt, hold in enumerate(holds):
        ceiling = 0.5 * 2**attempt
        assert ceiling / 2 <= hold <= ceiling


def test_backoff_has_jitter_and_a_cap(clock: FakeClock) -> None:
    pacer = Pacer(clock=clock, sleep=clock.sleep, backoff_cap_s=30.0)

    waits = {round(pacer.backoff_s(attempt), 6) for attempt in range(12, 5000, 250)}

    assert all(15.0 <= wait <= 30.0 for wait in waits)
    assert len(waits) > 1


def test_a_reset_beyond_the_allowed_wait_raises(clock: FakeClock) -> None:
    pacer = Pacer(clock=clock, sleep=clock.sleep, max_wait_s=600)
    pacer.observe("/processes/3", headers(remaining=0, reset=3000, limit=100))

    with pytest.raises(BrevoRateLimitError) as raised:
        pacer.wait_for_turn("/processes/3")

    assert "general rate-limit window resets in 3000 s" in str(raised.value)
    assert "max_wait_s" in str(raised.value)
    assert clock.sleeps == []


def test_threads_sharing_a_pacer_stay_within_the_window() -> None:
    """Eight threads, 40 calls, 5 per 50 ms window: at least 7 windows must pass."""
    pacer = Pacer()
    pacer.observe("/contacts", headers(remaining=5, reset=0.05, limit=5))
    granted: list[float] = []
    lock = threading.Lock()

    def caller() -> None:
        for _ in range(5):
            pacer.wait_for_turn("/contacts")
            with lock:
                granted.append(time.monotonic())

    started = time.monotonic()
    threads = [threading.Thread(target=caller) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert len(granted) == 40
    assert max(granted) - started >= 7 * 0.05
