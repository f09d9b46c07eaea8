"""Pacing against the Brevo sandbox at a tier's or a low per-second limit, in real
time; the sandbox counts what reaches it in its busiest second."""

import logging
import threading
import time

import pytest

from tajo_assets.brevo import BrevoClient, BrevoResource, Pacer
from tajo_assets_tests.brevo.conftest import BrevoStand

PER_SECOND = 3
TIER_PER_SECOND = {"general": 10, "advanced": 20}


def create_lists(client: BrevoClient, folder_id: int, names: list[str]) -> list[int]:
    return [client.create_list(name, folder_id) for name in names]


def test_a_burst_is_paced_from_the_headers_without_a_429(
    serve_brevo, api_key: str
) -> None:
    stand: BrevoStand = serve_brevo(contacts_per_second=PER_SECOND)
    names = [f"segment {n}" for n in range(8)]

    with BrevoClient(api_key, stand.base_url) as client:
        started = time.monotonic()
        folder = client.create_folder("Audiences")
        created = create_lists(client, folder, names)
        elapsed = time.monotonic() - started

    counts = stand.sandbox.request_counts.by_bucket["contacts"]
    assert (counts.requests, counts.rate_limited) == (9, 0)
    assert sorted(lst["id"] for lst in stand.sandbox.lists()) == sorted(created)
    # Nine calls at three per second span at least two window resets.
    assert elapsed >= 2.0


def test_clients_that_do_not_share_a_pacer_lose_no_request_to_429s(
    serve_brevo, api_key: str, caplog
) -> None:
    stand: BrevoStand = serve_brevo(contacts_per_second=PER_SECOND)
    caplog.set_level(logging.WARNING, logger="tajo_assets.brevo")
    with BrevoClient(api_key, stand.base_url) as client:
        folder = client.create_folder("Audiences")

    def sync(worker: int) -> None:
        with BrevoClient(api_key, stand.base_url, pacer=Pacer()) as own:
            create_lists(own, folder, [f"w{worker} segment {n}" for n in range(4)])

    run_in_threads(sync, 2)

    counts = stand.sandbox.request_counts.by_bucket["contacts"]
    retried = caplog.text.count("answered 429 (rate limit)")
    assert counts.requests - counts.rate_limited == 9
    assert counts.rate_limited == retried
    assert len(stand.sandbox.lists()) == 8


def test_clients_sharing_a_pacer_share_one_budget(serve_brevo, api_key: str) -> None:
    stand: BrevoStand = serve_brevo(contacts_per_second=PER_SECOND)
    pacer = Pacer()
    with BrevoClient(api_key, stand.base_url, pacer=pacer) as client:
        folder = client.create_folder("Audiences")

    def sync(worker: int) -> None:
        with BrevoClient(api_key, stand.base_url, pacer=pacer) as shared:
            create_lists(shared, folder, [f"w{worker} segment {n}" for n in range(4)])

    run_in_threads(sync, 2)

    counts = stand.sandbox.request_counts.by_bucket["contacts"]
    assert counts.requests - counts.rate_limited == 9
    # Calls in flight when a window turns over may still meet a 429, rarely.
    assert counts.rate_limited <= 2
    assert len(stand.sandbox.lists()) == 8


@pytest.mark.parametrize("tier", ["general", "advanced"])
def test_two_clients_of_one_key_stay_within_the_tier_together(
    serve_brevo, api_key: str, tier: str
) -> None:
    stand: BrevoStand = serve_brevo(tier=tier)
    limit = TIER_PER_SECOND[tier]
    brevo = BrevoResource(api_key=api_key, base_url=stand.base_url, tier=tier)
    with brevo.get_client() as client:
        folder = client.create_folder("Audiences")

    def sync(worker: int) -> None:
        with brevo.get_client() as own:
            create_lists(own, folder, [f"w{worker} segment {n}" for n in range(limit)])

    run_in_threads(sync, 2)

    counts = stand.sandbox.request_counts
    # Each client alone may send `limit` calls a second; the key may too.
    assert counts.by_bucket["contacts"].requests == 1 + 2 * limit
    assert counts.by_bucket["contacts"].rate_limited == 0
    assert counts.peak_per_second["contacts"] <= limit
    assert len(stand.sandbox.lists()) == 2 * limit


def run_in_threads(work, count: int) -> None:
    failures: list[BaseException] = []

    def guarded(worker: int) -> None:
        try:
            work(worker)
        except BaseException as error:  # reported to the test below
            failures.append(error)

    threads = [threading.Thread(target=guarded, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert failures == []
