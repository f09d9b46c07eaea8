"""The pacer's arithmetic on an injected clock: tiers, buckets, windows, 429s."""

import random
import threading
import time
from contextlib import ExitStack

import pytest

from tajo_assets.brevo.errors import BrevoConfigurationError, BrevoRateLimitError
from tajo_assets.brevo.limits import (
    CONTACTS_BUCKET,
    EVENTS_BUCKET,
    GENERAL_BUCKET,
    Window,
    bucket_for,
    tier_windows,
)
from tajo_assets.brevo.pacing import (
    Pacer,
    RateLimit,
    forget_shared_pacers,
    shared_pacer,
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
    """A pacer that knows only what headers say (no tier), to test that part."""
    return Pacer(tier=None, clock=clock, sleep=clock.sleep, rng=random.Random(7))


def tiered(clock: FakeClock, tier: str = "general") -> Pacer:
    return Pacer(tier=tier, clock=clock, sleep=clock.sleep)


@pytest.mark.parametrize(
    ("path", "bucket"),
    [
        ("/contacts", CONTACTS_BUCKET),
        ("/contacts/import", CONTACTS_BUCKET),
        ("/contacts/lists/7/contacts/add", CONTACTS_BUCKET),
        ("/processes/12", GENERAL_BUCKET),
        ("/account", GENERAL_BUCKET),
        ("/contactsexport", GENERAL_BUCKET),
        ("/events", EVENTS_BUCKET),
        ("/events/batch", GENERAL_BUCKET),
    ],
    ids=[
        "contacts",
        "import",
        "list-add",
        "processes",
        "account",
        "prefix-only",
        "event",
        "event-batch",
    ],
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
    pacer = Pacer(tier=None)
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


# Tiers: the windows are known before any answer.

HOUR = 3600.0


@pytest.mark.parametrize(
    ("tier", "contacts", "events", "general"),
    [
        (
            "general",
            (Window(10, 1.0), Window(36_000, HOUR)),
            (Window(10, 1.0), Window(36_000, HOUR)),
            (Window(100, HOUR),),
        ),
        (
            "advanced",
            (Window(20, 1.0), Window(72_000, HOUR)),
            (Window(20, 1.0), Window(72_000, HOUR)),
            (Window(200, HOUR),),
        ),
        ("extended", (Window(60, 1.0),), (Window(60, 1.0),), (Window(600, HOUR),)),
    ],
)
def test_each_tier_has_brevos_documented_windows(
    tier: str, contacts: tuple, events: tuple, general: tuple
) -> None:
    # Reference section 3 (Brevo's API limits page), row by row.
    windows = tier_windows(tier)
    assert windows == {
        CONTACTS_BUCKET: contacts,
        EVENTS_BUCKET: events,
        GENERAL_BUCKET: general,
    }


def test_an_unknown_tier_is_refused_with_the_tiers_to_choose_from() -> None:
    with pytest.raises(ValueError) as raised:
        Pacer(tier="premium")

    assert str(raised.value) == (
        "unknown Brevo rate-limit tier 'premium'; use one of general, advanced, "
        "extended (connectors.brevo.tier in tajo.yaml)"
    )


def test_the_first_second_of_a_run_stays_within_the_tier(clock: FakeClock) -> None:
    pacer = tiered(clock)

    for _ in range(50):
        pacer.wait_for_turn("/contacts")

    # Ten calls a second, with no header seen: four full seconds of waiting.
    assert clock.sleeps == [1.0, 1.0, 1.0, 1.0]


def test_a_higher_tier_allows_more_per_second(clock: FakeClock) -> None:
    pacer = tiered(clock, "extended")

    for _ in range(120):
        pacer.wait_for_turn("/contacts/import")

    assert clock.sleeps == [1.0]


def test_the_hourly_window_holds_once_the_hour_is_spent(clock: FakeClock) -> None:
    pacer = tiered(clock)
    for _ in range(100):
        pacer.wait_for_turn("/processes/1")
        clock.now += 1.0

    pacer.wait_for_turn("/account")

    # The first call's place frees an hour after it; 100 s have passed since.
    assert clock.sleeps == [HOUR - 100.0]


def test_a_place_frees_a_window_after_the_answer_not_the_request(
    clock: FakeClock,
) -> None:
    pacer = tiered(clock)
    with pacer.turn("/contacts"):
        clock.now += 0.8  # a slow answer
    for _ in range(9):
        pacer.wait_for_turn("/contacts")

    pacer.wait_for_turn("/contacts")

    # Brevo counted the slow call somewhere in those 0.8 s: wait a full second.
    assert clock.sleeps == [1.0]


def test_headers_that_report_less_room_than_the_tier_win(clock: FakeClock) -> None:
    pacer = tiered(clock, "extended")
    pacer.observe("/contacts", headers(remaining=0, reset=2, limit=10))

    pacer.wait_for_turn("/contacts")

    assert clock.sleeps == [2.0]


def test_headers_that_report_more_room_than_the_tier_do_not(clock: FakeClock) -> None:
    pacer = tiered(clock)
    pacer.observe("/contacts", headers(remaining=59, reset=1, limit=60))

    for _ in range(11):
        pacer.wait_for_turn("/contacts")

    assert clock.sleeps == [1.0]


def test_a_call_in_flight_on_another_thread_holds_its_place(clock: FakeClock) -> None:
    pacer = tiered(clock)
    done = threading.Event()

    def late_caller() -> None:
        pacer.wait_for_turn("/contacts")
        done.set()

    with ExitStack() as in_flight:
        for _ in range(10):
            in_flight.enter_context(pacer.turn("/contacts"))
        caller = threading.Thread(target=late_caller)
        caller.start()
        caller.join(timeout=0.2)
        held = not done.is_set()
    caller.join(timeout=10)

    assert held
    assert done.is_set()
    assert clock.sleeps == [1.0]


# Import polling: the hourly budget decides the interval.


def test_polls_are_free_until_half_the_hour_is_spent(clock: FakeClock) -> None:
    pacer = tiered(clock)
    for _ in range(49):
        pacer.wait_for_turn("/account")
    assert pacer.poll_interval_s("/processes/1") == 0.0

    pacer.wait_for_turn("/account")

    assert pacer.poll_interval_s("/processes/1") == 36.0


def test_waiting_imports_share_the_rest_of_the_hour(clock: FakeClock) -> None:
    pacer = tiered(clock, "extended")
    for _ in range(300):
        pacer.wait_for_turn("/processes/1")

    with pacer.polling("/processes/1"), pacer.polling("/processes/2"):
        assert pacer.poll_interval_s("/processes/1") == 12.0
    assert pacer.poll_interval_s("/processes/1") == 6.0


def test_a_reported_hour_half_spent_slows_polls_without_a_tier(pacer: Pacer) -> None:
    pacer.observe("/processes/1", headers(remaining=40, reset=3000, limit=100))

    assert pacer.poll_interval_s("/processes/1") == 30.0


# One budget per key in a process.


def test_one_key_gets_one_pacer_per_api(api_key: str) -> None:
    forget_shared_pacers()
    first = shared_pacer(api_key, "https://api.brevo.com/v3", "general")

    assert shared_pacer(api_key, "https://api.brevo.com/v3", "general") is first
    assert (
        shared_pacer(api_key + "x", "https://api.brevo.com/v3", "general") is not first
    )
    assert shared_pacer(api_key, "http://127.0.0.1:1/v3", "general") is not first
    forget_shared_pacers()
    assert shared_pacer(api_key, "https://api.brevo.com/v3", "general") is not first


def test_a_key_asked_at_two_tiers_is_refused_without_showing_it(api_key: str) -> None:
    forget_shared_pacers()
    shared_pacer(api_key, "https://api.brevo.com/v3", "general")

    with pytest.raises(BrevoConfigurationError) as raised:
        shared_pacer(api_key, "https://api.brevo.com/v3", "extended")

    assert "already paced at tier 'general'" in str(raised.value)
    assert "set the same connectors.brevo.tier everywhere" in str(raised.value)
    assert api_key not in str(raised.value)


def test_the_pacer_counts_the_calls_it_let_through(clock: FakeClock) -> None:
    pacer = tiered(clock)
    for path in ("/contacts", "/contacts/import", "/processes/1", "/events"):
        pacer.wait_for_turn(path)

    counts = {bucket: pacer.calls(bucket) for bucket in ("contacts", "general")}
    assert counts == {"contacts": 2, "general": 1}
    assert pacer.calls("events") == 1
