"""Faults a test switches on in the Snowflake sandbox: error answers and held requests.

Real Snowflake sometimes answers 429, 500 or 503 instead of a result, and
serves partitions at its own pace; a client's retries and its concurrency can
only be tested when the sandbox does the same on demand. A test adds a `Fault`
(answer this status to the next N matching requests) or a `Hold` (keep matching
requests waiting until released) through `sandbox.faults`, and clears them
after. Faults are answered inside the traffic recorder, so they appear in the
traffic log like any other answer.
"""

import asyncio
import fnmatch
import json
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs

# Bodies Snowflake sends with these statuses (SQL API reference, error codes).
_DEFAULT_BODIES = {
    429: {"code": "390505", "message": "Too many requests."},
    500: {"code": "000603", "message": "Internal error (injected by the sandbox)."},
    502: {"code": "000603", "message": "Bad gateway (injected by the sandbox)."},
    503: {"message": "Service unavailable (injected by the sandbox)."},
    504: {"message": "Gateway timeout (injected by the sandbox)."},
}
# A held request is let go after this long even if nobody releases it, so a
# failing test cannot hang the server.
MAX_HOLD_S = 30.0


@dataclass(frozen=True)
class Match:
    """Which requests a fault applies to.

    `path` is a glob (`/api/v2/statements/*`); `query_param` names a query
    parameter the request must carry (e.g. `partition` for partition fetches).
    """

    method: str
    path: str
    query_param: str | None = None

    def matches(self, method: str, path: str, query: dict[str, list[str]]) -> bool:
        return (
            method.upper() == self.method.upper()
            and fnmatch.fnmatchcase(path, self.path)
            and (self.query_param is None or self.query_param in query)
        )


@dataclass
class Fault:
    """Answer `status` (with `body` and `headers`) to the next `times` matches.

    With `after_execution` the request is served as usual first (a statement
    runs) and its answer replaced by the fault: the case where a client must
    resubmit with `retry=true` to get the first execution's result.
    """

    match: Match
    status: int
    times: int = 1
    after_execution: bool = False
    body: dict | None = None
    headers: dict[str, str] = field(default_factory=dict)
    answered: int = 0

    def response_body(self) -> bytes:
        body = self.body if self.body is not None else _DEFAULT_BODIES.get(self.status)
        return json.dumps(body or {"message": f"HTTP {self.status}"}).encode()


class Hold:
    """Keeps matching requests waiting until `release()`; counts them.

    `in_flight` is how many matching requests the sandbox is handling right
    now, `max_in_flight` the most at any one time, `arrived` the total.
    """

    def __init__(self, match: Match) -> None:
        self.match = match
        self.arrived = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self._open = threading.Event()
        self._lock = threading.Lock()

    def release(self) -> None:
        """Let waiting and later matching requests through."""
        self._open.set()

    def wait_for_waiting(self, count: int, timeout_s: float = 10.0) -> bool:
        """Block until `count` matching requests are in flight (True), or
        `timeout_s` passes (False)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self._lock:
                if self.in_flight >= count:
                    return True
            time.sleep(0.01)
        return False

    def enter(self) -> None:
        with self._lock:
            self.arrived += 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    async def wait_until_released(self) -> None:
        await asyncio.to_thread(self._open.wait, MAX_HOLD_S)


class Faults:
    """The faults and holds of one sandbox; thread-safe."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._holds: list[Hold] = []
        self._lock = threading.Lock()

    def add(
        self,
        method: str,
        path: str,
        status: int,
        *,
        times: int = 1,
        after_execution: bool = False,
        query_param: str | None = None,
        body: dict | None = None,
        headers: dict[str, str] | None = None,
    ) -> Fault:
        """Answer `status` to the next `times` requests matching method and path."""
        fault = Fault(
            Match(method, path, query_param),
            status,
            times=times,
            after_execution=after_execution,
            body=body,
            headers=dict(headers or {}),
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    def hold(self, method: str, path: str, *, query_param: str | None = None) -> Hold:
        """Hold matching requests until the returned `Hold` is released."""
        hold = Hold(Match(method, path, query_param))
        with self._lock:
            self._holds.append(hold)
        return hold

    def clear(self) -> None:
        """Remove every fault and release every hold."""
        with self._lock:
            holds, self._holds, self._faults = self._holds, [], []
        for hold in holds:
            hold.release()

    def take(self, method: str, path: str, query: dict) -> Fault | None:
        """The first fault with answers left that matches; counts the answer."""
        with self._lock:
            for fault in self._faults:
                if fault.answered < fault.times and fault.match.matches(
                    method, path, query
                ):
                    fault.answered += 1
                    return fault
        return None

    def holds_for(self, method: str, path: str, query: dict) -> list[Hold]:
        with self._lock:
            return [h for h in self._holds if h.match.matches(method, path, query)]


class FaultInjector:
    """ASGI middleware that answers with the sandbox's faults and holds."""

    def __init__(self, app, faults: Faults) -> None:
        self.app = app
        self.faults = faults

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        holds = self.faults.holds_for(method, path, query)
        for hold in holds:
            hold.enter()
        try:
            for hold in holds:
                await hold.wait_until_released()
            await self._serve(scope, receive, send, method, path, query)
        finally:
            for hold in holds:
                hold.leave()

    async def _serve(self, scope, receive, send, method, path, query) -> None:
        fault = self.faults.take(method, path, query)
        if fault is None:
            await self.app(scope, receive, send)
            return
        if fault.after_execution:
            await self.app(scope, receive, _discard)
        await _send_fault(send, fault)


async def _discard(message) -> None:
    """Swallow the app's own answer; the fault replaces it."""


async def _send_fault(send, fault: Fault) -> None:
    body = fault.response_body()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *((k.lower().encode(), v.encode()) for k, v in fault.headers.items()),
    ]
    await send(
        {"type": "http.response.start", "status": fault.status, "headers": headers}
    )
    await send({"type": "http.response.body", "body": body})
