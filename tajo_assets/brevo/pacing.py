"""Pace Brevo calls from the rate-limit headers Brevo sends on every response.

Brevo counts requests per bucket: everything under `/contacts` shares one budget
(10 requests/s and 36,000/hour on the General tier) and every other endpoint,
including `/processes` that import polling uses, shares another (100/hour). Each
response carries `x-sib-ratelimit-limit`, `-remaining` and `-reset` (seconds until
the window resets). A `Pacer` remembers the last window seen per bucket, holds
back the next call of a spent bucket until its reset, and computes the waits
after a 429 and between retries of failed calls.

One pacer may serve several clients of the same API key, from several threads:
the budget belongs to the key, not to a client.
"""

import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from tajo_assets.brevo.errors import BrevoRateLimitError

log = logging.getLogger("tajo_assets.brevo")

CONTACTS_BUCKET = "contacts"
GENERAL_BUCKET = "general"

LIMIT_HEADER = "x-sib-ratelimit-limit"
REMAINING_HEADER = "x-sib-ratelimit-remaining"
RESET_HEADER = "x-sib-ratelimit-reset"

# Waits shorter than this are routine pacing at 10 requests/s and log at DEBUG.
ROUTINE_WAIT_S = 5.0


def bucket_for(path: str) -> str:
    """The rate-limit bucket of an API path relative to the base URL (`/v3`)."""
    if path == "/contacts" or path.startswith("/contacts/"):
        return CONTACTS_BUCKET
    return GENERAL_BUCKET


@dataclass(frozen=True)
class RateLimit:
    """One response's view of its bucket: window size, calls left, seconds to reset."""

    limit: int | None
    remaining: int
    reset_s: float

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> "RateLimit | None":
        """Parse the `x-sib-ratelimit-*` headers; None when absent or malformed."""
        try:
            remaining = int(headers[REMAINING_HEADER])
            reset_s = float(headers[RESET_HEADER])
            limit = int(headers[LIMIT_HEADER]) if LIMIT_HEADER in headers else None
        except (KeyError, ValueError):
            return None
        return cls(limit=limit, remaining=remaining, reset_s=max(reset_s, 0.0))


@dataclass
class _Window:
    """What is known of one bucket's current window; None means unknown."""

    limit: int | None = None
    remaining: int | None = None
    reset_at: float = 0.0
    # The longest reset Brevo reported for this bucket: roughly the window length.
    length_s: float = 0.0

    def roll_over(self, now: float) -> None:
        """Count a fresh window of `limit` calls once the known one has reset."""
        if self.remaining is not None and now >= self.reset_at:
            self.remaining = self.limit
            self.reset_at = now + self.length_s

    def delay_s(self, now: float) -> float:
        if self.remaining is None or self.remaining > 0 or now >= self.reset_at:
            return 0.0
        return self.reset_at - now

    def reserve(self) -> None:
        if self.remaining is not None:
            self.remaining -= 1

    def update(self, rate: RateLimit, now: float) -> None:
        if self.remaining is not None and now < self.reset_at:
            # Still the window we have been counting in: calls in flight on other
            # threads are in our count but not yet in Brevo's, so keep the lower.
            self.remaining = min(self.remaining, rate.remaining)
        else:
            self.remaining = rate.remaining
        if rate.limit is not None:
            self.limit = rate.limit
        self.reset_at = now + rate.reset_s
        self.length_s = max(self.length_s, rate.reset_s)

    def exhaust(self, until: float) -> None:
        self.remaining = 0
        self.reset_at = max(self.reset_at, until)


class Pacer:
    """Thread-safe rate-limit budget of one Brevo API key, per bucket.

    `clock` (monotonic seconds) and `sleep` are injectable for tests; the client
    uses them for every wait, including import polling. `max_wait_s` bounds one
    wait for a window to reset and the total a single request may spend waiting
    after 429s; beyond it `BrevoRateLimitError` is raised instead of waiting.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        max_wait_s: float = 3600.0,
        backoff_base_s: float = 0.5,
        backoff_cap_s: float = 30.0,
    ) -> None:
        self.clock = clock
        self.sleep = sleep
        self.max_wait_s = max_wait_s
        self._random = rng or random.Random()
        self._backoff_base_s = backoff_base_s
        self._backoff_cap_s = backoff_cap_s
        self._lock = threading.Lock()
        self._windows = {CONTACTS_BUCKET: _Window(), GENERAL_BUCKET: _Window()}

    def delay_s(self, path: str) -> float:
        """How long a call to `path` would be held back now (no reservation)."""
        with self._lock:
            window = self._windows[bucket_for(path)]
            now = self.clock()
            window.roll_over(now)
            return window.delay_s(now)

    def wait_for_turn(self, path: str) -> float:
        """Block until the bucket of `path` has room, then reserve one call.

        Returns the seconds waited. Raises `BrevoRateLimitError` when the window
        resets later than `max_wait_s` from now.
        """
        bucket = bucket_for(path)
        waited_s = 0.0
        while True:
            with self._lock:
                window = self._windows[bucket]
                now = self.clock()
                window.roll_over(now)
                delay_s = window.delay_s(now)
                if delay_s <= 0:
                    window.reserve()
                    return waited_s
            self._check_wait(bucket, delay_s)
            level = logging.DEBUG if delay_s < ROUTINE_WAIT_S else logging.WARNING
            log.log(
                level,
                "Brevo %s rate-limit window is spent; waiting %.1f s for it to reset",
                bucket,
                delay_s,
            )
            self.sleep(delay_s)
            waited_s += delay_s

    def observe(self, path: str, headers: Mapping[str, str]) -> RateLimit | None:
        """Record the window a response to `path` reports; returns what was parsed."""
        rate = RateLimit.from_headers(headers)
        if rate is not None:
            with self._lock:
                self._windows[bucket_for(path)].update(rate, self.clock())
        return rate

    def hold_after_rate_limit(
        self, path: str, headers: Mapping[str, str], attempt: int
    ) -> float:
        """After a 429 to `path`: close its bucket until retrying is sensible.

        The hold is Brevo's reset time when the headers give one, otherwise
        exponential backoff with jitter for the `attempt`-th 429 (0-based).
        Every client sharing this pacer waits it out. Returns the hold in seconds.
        """
        rate = RateLimit.from_headers(headers)
        hold_s = rate.reset_s if rate and rate.reset_s > 0 else self.backoff_s(attempt)
        with self._lock:
            self._windows[bucket_for(path)].exhaust(self.clock() + hold_s)
        return hold_s

    def backoff_s(self, attempt: int) -> float:
        """Exponential backoff for the `attempt`-th retry (0-based), with jitter.

        The ceiling doubles from `backoff_base_s` up to `backoff_cap_s`; the wait is
        between half the ceiling and the ceiling, so it is never zero and clients
        that failed together do not retry together.
        """
        # The exponent stops growing long after the cap is reached, before floats
        # would overflow.
        ceiling = min(self._backoff_cap_s, self._backoff_base_s * 2 ** min(attempt, 64))
        return ceiling / 2 + self._random.random() * ceiling / 2

    def _check_wait(self, bucket: str, delay_s: float) -> None:
        if delay_s > self.max_wait_s:
            raise BrevoRateLimitError(
                f"Brevo's {bucket} rate-limit window resets in {delay_s:.0f} s, "
                f"longer than the {self.max_wait_s:.0f} s this run may wait; "
                "rerun later, or allow a longer wait (Pacer max_wait_s)"
            )
