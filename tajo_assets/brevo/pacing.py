"""Pace Brevo calls by the account's tier and the rate-limit headers Brevo sends.

Brevo counts requests per bucket (see `limits`): everything under `/contacts`
shares one budget (10 requests/s and 36,000/hour on the General tier),
`POST /events` another, and every other endpoint, including `/processes` that
import polling uses, a third (100/hour). A `Pacer` knows its tier's windows
before the first answer arrives, so a run never bursts past them, and also
reads `x-sib-ratelimit-limit`, `-remaining` and `-reset` (seconds until the
window resets) from every response: a call waits until both allow it, so the
lower limit wins. It also computes the waits after a 429 and between retries.

The budget belongs to the key, not to a client: `shared_pacer` hands every
client of one key in this process the same pacer, which is thread-safe.
"""

import hashlib
import logging
import math
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from tajo_assets.brevo.errors import BrevoConfigurationError, BrevoRateLimitError
from tajo_assets.brevo.limits import (
    BUCKETS,
    GENERAL_TIER,
    Window,
    bucket_for,
    tier_windows,
)

log = logging.getLogger("tajo_assets.brevo")


LIMIT_HEADER = "x-sib-ratelimit-limit"
REMAINING_HEADER = "x-sib-ratelimit-remaining"
RESET_HEADER = "x-sib-ratelimit-reset"

# Waits shorter than this are routine pacing at 10 requests/s and log at DEBUG.
ROUTINE_WAIT_S = 5.0
# How long a call waits at most for another thread's call in flight to end
# before it looks at the windows again.
IN_FLIGHT_RECHECK_S = 1.0


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
    """What the headers told of one bucket's current window; None means unknown."""

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


@dataclass(eq=False)
class _Call:
    """One call's place in its bucket's windows; `ended_at` is None in flight."""

    ended_at: float | None = None


class _Places:
    """One tier window, as the calls that still hold a place in it.

    A call frees its place `seconds` after its answer came back: Brevo counted
    it before answering, so calls paced this way never reach Brevo more than
    `limit` to any `seconds`-long span, however long the network takes.
    """

    def __init__(self, window: Window) -> None:
        self.window = window
        self._calls: deque[_Call] = deque()

    def used(self, now: float) -> int:
        """Places held now, counting calls in flight."""
        self._forget_freed(now)
        return len(self._calls)

    def delay_s(self, now: float, *, in_flight_end_now: bool = False) -> float:
        """Seconds until a place is free: 0 if one is; inf while calls in flight
        hold them all, unless `in_flight_end_now` estimates they end at once."""
        if self.used(now) < self.window.limit:
            return 0.0
        # A call that ended behind an older one still in flight is free too.
        self._calls = deque(c for c in self._calls if self._frees_at(c) > now)
        if len(self._calls) < self.window.limit:
            return 0.0
        in_flight = now if in_flight_end_now else math.inf
        first_end = min(
            in_flight if c.ended_at is None else c.ended_at for c in self._calls
        )
        return first_end + self.window.seconds - now

    def take(self, call: _Call) -> None:
        self._calls.append(call)

    def _frees_at(self, call: _Call) -> float:
        if call.ended_at is None:
            return math.inf
        return call.ended_at + self.window.seconds

    def _forget_freed(self, now: float) -> None:
        while self._calls and self._frees_at(self._calls[0]) <= now:
            self._calls.popleft()


class _Bucket:
    """A bucket's tier windows, what its headers said, and who polls it."""

    def __init__(self, windows: tuple[Window, ...]) -> None:
        self.places = [_Places(window) for window in windows]
        self.reported = _Window()
        self.pollers = 0
        self.calls = 0

    def delay_s(self, now: float, *, in_flight_end_now: bool = False) -> float:
        """Seconds until both the tier and Brevo's last report allow a call."""
        self.reported.roll_over(now)
        delays = [
            p.delay_s(now, in_flight_end_now=in_flight_end_now) for p in self.places
        ]
        return max([self.reported.delay_s(now), *delays])

    def take(self, call: _Call) -> None:
        self.calls += 1
        self.reported.reserve()
        for places in self.places:
            places.take(call)

    def poll_interval_s(self, now: float) -> float:
        """The fair share of a poller once half an hourly-sized window is spent."""
        pollers = max(self.pollers, 1)
        shares = [0.0]
        for places in self.places:
            window = places.window
            if places.used(now) * 2 >= window.limit:
                shares.append(pollers * window.seconds / window.limit)
        reported = self.reported
        known = reported.limit and reported.remaining is not None
        if known and now < reported.reset_at:
            if reported.remaining * 2 <= reported.limit:
                shares.append(pollers * reported.length_s / reported.limit)
        return max(shares)


class Pacer:
    """Thread-safe rate-limit budget of one Brevo API key, per bucket.

    `tier` (general, advanced or extended) sets the windows known before any
    answer; None leaves only what Brevo's headers report. `clock` (monotonic
    seconds) and `sleep` are injectable for tests; the client uses them for
    every wait, including import polling. `max_wait_s` bounds one wait for a
    window to free up and the total a single request may spend waiting after
    429s; beyond it `BrevoRateLimitError` is raised instead of waiting.
    """

    def __init__(
        self,
        *,
        tier: str | None = GENERAL_TIER,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        max_wait_s: float = 3600.0,
        backoff_base_s: float = 0.5,
        backoff_cap_s: float = 30.0,
    ) -> None:
        windows = tier_windows(tier) if tier is not None else {}
        self.tier = tier
        self.clock = clock
        self.sleep = sleep
        self.max_wait_s = max_wait_s
        self._random = rng or random.Random()
        self._backoff_base_s = backoff_base_s
        self._backoff_cap_s = backoff_cap_s
        self._lock = threading.Lock()
        self._call_ended = threading.Condition(self._lock)
        self._buckets = {b: _Bucket(windows.get(b, ())) for b in BUCKETS}

    def delay_s(self, path: str) -> float:
        """About how long a call to `path` would be held back now (no reservation).

        Calls in flight on other threads are counted as if they ended now.
        """
        with self._lock:
            bucket = self._buckets[bucket_for(path)]
            return bucket.delay_s(self.clock(), in_flight_end_now=True)

    def calls(self, bucket: str) -> int:
        """Calls this pacer has let through to `bucket` (contacts, events, general)."""
        with self._lock:
            return self._buckets[bucket].calls

    @contextmanager
    def turn(self, path: str) -> Iterator[float]:
        """Hold a call to `path` until its bucket has room; send it inside the block.

        Yields the seconds waited. The call's place in the tier windows counts
        from when the block ends, that is when the answer is in. Raises
        `BrevoRateLimitError` when the wait would exceed `max_wait_s`.
        """
        call, waited_s = self._take_turn(bucket_for(path))
        try:
            yield waited_s
        finally:
            with self._lock:
                call.ended_at = self.clock()
                self._call_ended.notify_all()

    def wait_for_turn(self, path: str) -> float:
        """Like `turn`, for a call that takes no time: returns the seconds waited."""
        with self.turn(path) as waited_s:
            return waited_s

    def observe(self, path: str, headers: Mapping[str, str]) -> RateLimit | None:
        """Record the window a response to `path` reports; returns what was parsed."""
        rate = RateLimit.from_headers(headers)
        if rate is not None:
            with self._lock:
                bucket = self._buckets[bucket_for(path)]
                bucket.reported.update(rate, self.clock())
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
            bucket = self._buckets[bucket_for(path)]
            bucket.reported.exhaust(self.clock() + hold_s)
        return hold_s

    @contextmanager
    def polling(self, path: str) -> Iterator[None]:
        """Count one process being waited for on `path`'s bucket during the block."""
        with self._lock:
            self._buckets[bucket_for(path)].pollers += 1
        try:
            yield
        finally:
            with self._lock:
                self._buckets[bucket_for(path)].pollers -= 1

    def poll_interval_s(self, path: str) -> float:
        """The shortest interval between two polls of one process on `path`.

        0 while less than half of the bucket's longest window is spent; after
        that, each process being waited for (`polling`) gets an equal share of
        the sustained rate, so the rest of the hour's budget lasts: with two
        imports waiting on the General tier (100/hour), one poll per import
        every 72 s.
        """
        with self._lock:
            return self._buckets[bucket_for(path)].poll_interval_s(self.clock())

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

    def _take_turn(self, name: str) -> tuple[_Call, float]:
        """Wait until the bucket `name` has room, then take a place in it."""
        waited_s = 0.0
        while True:
            with self._lock:
                bucket = self._buckets[name]
                now = self.clock()
                delay_s = bucket.delay_s(now)
                if delay_s <= 0:
                    call = _Call()
                    bucket.take(call)
                    return call, waited_s
                if delay_s == math.inf:
                    # Every place is held by a call in flight on another thread.
                    self._call_ended.wait(IN_FLIGHT_RECHECK_S)
                    waited_s += self.clock() - now
                    continue
            self._check_wait(name, delay_s)
            level = logging.DEBUG if delay_s < ROUTINE_WAIT_S else logging.WARNING
            log.log(
                level,
                "Brevo %s rate-limit window is spent; waiting %.1f s for room",
                name,
                delay_s,
            )
            self.sleep(delay_s)
            waited_s += delay_s

    def _check_wait(self, bucket: str, delay_s: float) -> None:
        if delay_s > self.max_wait_s:
            raise BrevoRateLimitError(
                f"Brevo's {bucket} rate-limit window resets in {delay_s:.0f} s, "
                f"longer than the {self.max_wait_s:.0f} s this run may wait; "
                "rerun later, or allow a longer wait (Pacer max_wait_s)"
            )


_shared: dict[tuple[str, str], Pacer] = {}
_shared_lock = threading.Lock()


def shared_pacer(api_key: str, base_url: str, tier: str) -> Pacer:
    """The one pacer of `api_key` at `base_url` in this process, made at first use.

    Every client of the key that asks for it spends one budget, from any
    thread. Pacers are found by a SHA-256 digest of the key; the key itself
    is neither stored nor shown. Raises `BrevoConfigurationError` when the
    key is already paced at another tier: an account has one tier.
    """
    digest = hashlib.sha256(api_key.encode()).hexdigest()
    tier = str(tier)
    with _shared_lock:
        pacer = _shared.get((base_url, digest))
        if pacer is None:
            pacer = _shared[(base_url, digest)] = Pacer(tier=tier)
    if pacer.tier != tier:
        raise BrevoConfigurationError(
            f"this Brevo API key is already paced at tier {pacer.tier!r} in this "
            f"process, and now tier {tier!r} is asked; an account has one tier: "
            "set the same connectors.brevo.tier everywhere the key is used"
        )
    return pacer


def forget_shared_pacers() -> None:
    """Drop every shared pacer, so the next clients start with fresh windows.

    For tests whose sandbox forgot its windows; a real key's budget is not
    reset by forgetting it here.
    """
    with _shared_lock:
        _shared.clear()
