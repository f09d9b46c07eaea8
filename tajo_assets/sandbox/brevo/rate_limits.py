"""Brevo's rate limits: fixed windows per bucket, and the headers that report them.

Brevo counts requests per account in buckets: every `/v3/contacts*` route
shares one bucket limited both per second and per hour (General tier: 10 and
36,000), `POST /v3/events` has a bucket with the same limits, and every other
route shares a per-hour bucket (100). The limits grow with the plan's tier
(`TIERS`). `/v3/events/batch` is not in Brevo's table; the reference suggests
the per-hour bucket, so it counts there. Each response from a limited route
carries `x-sib-ratelimit-limit`, `-remaining` and `-reset` (seconds until the
window resets); a request over a limit gets 429 and is not applied. Source:
shared/reference/brevo_api.md section 3.
"""

import math
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

CONTACTS_BUCKET = "contacts"
EVENTS_BUCKET = "events"
OTHER_BUCKET = "other"


@dataclass(frozen=True)
class TierLimits:
    """One tier's limits: the contacts and events buckets per second and per
    hour (None: not limited), every other endpoint per hour."""

    per_second: int
    per_hour: int | None
    other_per_hour: int


TIERS = {
    "general": TierLimits(per_second=10, per_hour=36_000, other_per_hour=100),
    "advanced": TierLimits(per_second=20, per_hour=72_000, other_per_hour=200),
    "extended": TierLimits(per_second=60, per_hour=None, other_per_hour=600),
}


def bucket_for(path: str) -> str:
    """The bucket a request path counts against."""
    if path == "/v3/contacts" or path.startswith("/v3/contacts/"):
        return CONTACTS_BUCKET
    if path == "/v3/events":
        return EVENTS_BUCKET
    return OTHER_BUCKET


@dataclass
class _Window:
    """A fixed window that opens at the first request after the last one closed."""

    limit: int
    seconds: float
    opened_at: float | None = None
    used: int = 0

    def roll(self, now: float) -> None:
        if self.opened_at is None or now >= self.opened_at + self.seconds:
            self.opened_at = now
            self.used = 0

    def reset_in(self, now: float) -> int:
        """Whole seconds until the window closes, rounded up (at least 1)."""
        assert self.opened_at is not None
        return max(1, math.ceil(self.opened_at + self.seconds - now))

    def headers(self, now: float) -> dict[str, str]:
        return {
            "x-sib-ratelimit-limit": str(self.limit),
            "x-sib-ratelimit-remaining": str(self.limit - self.used),
            "x-sib-ratelimit-reset": str(self.reset_in(now)),
        }


@dataclass(frozen=True)
class Admission:
    """Whether a request may proceed, and the rate-limit headers to send."""

    allowed: bool
    headers: dict[str, str]


@dataclass(frozen=True)
class RequestCount:
    """Requests received (after authentication) and how many of them got 429."""

    requests: int = 0
    rate_limited: int = 0


@dataclass(frozen=True)
class RequestCounts:
    """A snapshot of request counts per bucket and per (method, route template).

    `peak_per_second` is, per bucket, the most requests received within any
    one-second span (429s included): what a client sent at its fastest.
    """

    by_bucket: dict[str, RequestCount] = field(default_factory=dict)
    by_route: dict[tuple[str, str], RequestCount] = field(default_factory=dict)
    peak_per_second: dict[str, int] = field(default_factory=dict)


class _Peak:
    """The most requests of one bucket received within any one-second span."""

    def __init__(self) -> None:
        self.highest = 0
        self._recent: deque[float] = deque()

    def add(self, now: float) -> None:
        self._recent.append(now)
        while self._recent[0] <= now - 1.0:
            self._recent.popleft()
        self.highest = max(self.highest, len(self._recent))


class RateLimiter:
    """Admits or refuses requests per bucket; thread-safe.

    `clock` returns seconds on a monotonic scale; tests pass a clock they
    advance by hand so window boundaries are exact.
    """

    def __init__(
        self, windows: dict[str, list[tuple[int, float]]], clock: Callable[[], float]
    ) -> None:
        self._spec = windows
        self._clock = clock
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._windows = {
                bucket: [_Window(limit, seconds) for limit, seconds in pairs]
                for bucket, pairs in self._spec.items()
            }
            self._by_bucket: dict[str, RequestCount] = {}
            self._by_route: dict[tuple[str, str], RequestCount] = {}
            self._peaks: dict[str, _Peak] = {}

    def admit(self, bucket: str, method: str, route: str) -> Admission:
        """Count one request against `bucket`; refused requests use no quota."""
        with self._lock:
            now = self._clock()
            windows = self._windows.get(bucket, [])
            for window in windows:
                window.roll(now)
            full = [w for w in windows if w.used >= w.limit]
            if full:
                admission = Admission(False, _binding(full, now).headers(now))
            else:
                for window in windows:
                    window.used += 1
                headers = _binding(windows, now).headers(now) if windows else {}
                admission = Admission(True, headers)
            self._count(bucket, method, route, limited=not admission.allowed)
            self._peaks.setdefault(bucket, _Peak()).add(now)
            return admission

    def counts(self) -> RequestCounts:
        with self._lock:
            peaks = {bucket: peak.highest for bucket, peak in self._peaks.items()}
            return RequestCounts(dict(self._by_bucket), dict(self._by_route), peaks)

    def _count(self, bucket: str, method: str, route: str, limited: bool) -> None:
        extra = RequestCount(1, int(limited))
        self._by_bucket[bucket] = _add(self._by_bucket.get(bucket), extra)
        key = (method, route)
        self._by_route[key] = _add(self._by_route.get(key), extra)


def _binding(windows: list[_Window], now: float) -> _Window:
    """The window a client should pace by: fewest requests left, then latest reset."""
    return min(windows, key=lambda w: (w.limit - w.used, -w.reset_in(now)))


def _add(count: RequestCount | None, extra: RequestCount) -> RequestCount:
    count = count or RequestCount()
    return RequestCount(
        count.requests + extra.requests, count.rate_limited + extra.rate_limited
    )
