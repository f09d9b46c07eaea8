"""Brevo's rate limits: fixed windows per bucket, and the headers that report them.

Brevo counts requests per account in buckets: every `/v3/contacts*` route
shares one bucket limited both per second and per hour (General tier: 10 and
36,000), every other route shares a per-hour bucket (100). Each response from
a limited route carries `x-sib-ratelimit-limit`, `-remaining` and `-reset`
(seconds until the window resets); a request over a limit gets 429 and is not
applied. Source: shared/reference/brevo_api.md section 3.
"""

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

CONTACTS_BUCKET = "contacts"
OTHER_BUCKET = "other"


def bucket_for(path: str) -> str:
    """The bucket a request path counts against."""
    if path == "/v3/contacts" or path.startswith("/v3/contacts/"):
        return CONTACTS_BUCKET
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
    """A snapshot of request counts per bucket and per (method, route template)."""

    by_bucket: dict[str, RequestCount] = field(default_factory=dict)
    by_route: dict[tuple[str, str], RequestCount] = field(default_factory=dict)


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
            return admission

    def counts(self) -> RequestCounts:
        with self._lock:
            return RequestCounts(dict(self._by_bucket), dict(self._by_route))

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
