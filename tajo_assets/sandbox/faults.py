"""Faults a test switches on in a sandbox server, and watches that count requests.

Real services answer 429 or 5xx instead of a result, lose an answer after
doing the work, answer late, or serve at their own pace; a client's retries
and its concurrency can only be tested when the sandbox does the same on
demand. A test adds to `sandbox.faults`:

- a `Fault`: answer a status, drop the connection, or answer late, for the
  next N requests matching method and path (optionally after letting the
  first M through, and optionally after serving the request as usual);
- a `Hold`: keep matching requests waiting until released;
- a `Watch`: count matching requests as they arrive and are answered, so a
  test can wait until the sandbox has seen or answered N of them;

and clears them after. Each vendor's sandbox gives its own default bodies and
headers per status. Serve an app through `wrap_with_faults`: faults are
answered inside the traffic recorder, so error answers appear in the traffic
log like any other; a dropped connection has no answer and is not logged.
"""

import asyncio
import fnmatch
import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from tajo_assets.sandbox.traffic import TrafficLog, TrafficRecorder

# A held request is let go, and a late answer sent, after this long at most, so
# a failing test cannot hang the server.
MAX_HOLD_S = 30.0


@dataclass(frozen=True)
class Match:
    """Which requests a fault or watch applies to.

    `path` is a glob over the full request path (`/api/v2/statements/*`,
    `/v3/contacts/import`); `query_param` names a query parameter the request
    must carry (e.g. `partition` for partition fetches).
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


@dataclass(kw_only=True)
class Countdown:
    """Applies to `times` occurrences, after letting the first `skip` go by."""

    times: int = 1
    skip: int = 0
    skipped: int = 0
    applied: int = 0

    def __post_init__(self) -> None:
        if self.times < 1 or self.skip < 0:
            raise ValueError(
                "a fault needs times of at least 1 and skip of at least 0; got "
                f"times={self.times}, skip={self.skip}"
            )

    def claim(self) -> bool:
        """Count one occurrence; True when the fault applies to this one."""
        if self.applied >= self.times:
            return False
        if self.skipped < self.skip:
            self.skipped += 1
            return False
        self.applied += 1
        return True


@dataclass
class Fault(Countdown):
    """What happens to the next `times` matching requests, once `skip` went through.

    `status` answers that status instead of the request, with `headers` and
    `body` (a dict is sent as JSON, a string as an HTML page); `drop` closes
    the connection without any answer; `delay_s` waits that long before
    answering. With `after_execution` the request is served as usual first
    (a statement runs, an import starts) and its answer then replaced or
    lost: the case where a client must not apply it twice. A fault with
    neither status nor drop serves the request and sends its own answer late.
    """

    match: Match
    status: int | None = None
    drop: bool = False
    delay_s: float = 0.0
    after_execution: bool = False
    body: dict | str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def replaces_answer(self) -> bool:
        return self.drop or self.status is not None

    def response_body(self) -> bytes:
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body or {"message": f"HTTP {self.status}"}).encode()

    def content_type(self) -> bytes:
        if isinstance(self.body, str):
            return b"text/html; charset=utf-8"
        return b"application/json"


class Watch:
    """Counts matching requests: arrived, in flight, and answered.

    `arrived` is how many matching requests reached the sandbox, `in_flight`
    how many it is handling now and `max_in_flight` the most at any one time;
    `statuses` lists the status of every answer sent in full, in order (a
    dropped request has none). The `wait_for_*` methods block the calling
    thread until a count is reached (True) or `timeout_s` passes (False).
    """

    def __init__(self, match: Match) -> None:
        self.match = match
        self.arrived = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.statuses: list[int] = []
        self._changed = threading.Condition()

    @property
    def answered(self) -> int:
        return len(self.statuses)

    @property
    def succeeded(self) -> int:
        """Answers with a 2xx status: requests the sandbox acknowledged."""
        return sum(1 for status in self.statuses if 200 <= status < 300)

    def wait_for_arrivals(self, count: int, timeout_s: float = 10.0) -> bool:
        return self._wait(lambda: self.arrived >= count, timeout_s)

    def wait_for_waiting(self, count: int, timeout_s: float = 10.0) -> bool:
        """Wait until `count` matching requests are in flight at once."""
        return self._wait(lambda: self.in_flight >= count, timeout_s)

    def wait_for_answers(
        self, count: int, *, successful: bool = False, timeout_s: float = 10.0
    ) -> bool:
        """Wait until `count` answers were sent (only 2xx ones with `successful`)."""
        if successful:
            return self._wait(lambda: self.succeeded >= count, timeout_s)
        return self._wait(lambda: self.answered >= count, timeout_s)

    async def admit(self) -> None:
        """Return when the request may be served: at once (a `Hold` waits)."""

    def enter(self) -> None:
        with self._changed:
            self.arrived += 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self._changed.notify_all()

    def answer(self, status: int) -> None:
        with self._changed:
            self.statuses.append(status)
            self._changed.notify_all()

    def leave(self) -> None:
        with self._changed:
            self.in_flight -= 1
            self._changed.notify_all()

    def _wait(self, reached: Callable[[], bool], timeout_s: float) -> bool:
        with self._changed:
            return self._changed.wait_for(reached, timeout_s)


class Hold(Watch):
    """A `Watch` that keeps matching requests waiting until `release()`."""

    def __init__(self, match: Match) -> None:
        super().__init__(match)
        self._open = threading.Event()

    def release(self) -> None:
        """Let waiting and later matching requests through."""
        self._open.set()

    async def admit(self) -> None:
        await asyncio.to_thread(self._open.wait, MAX_HOLD_S)


class Faults:
    """The faults, holds and watches of one sandbox; thread-safe.

    `default_bodies` and `default_headers` are what the vendor sends with a
    status when a test gives none.
    """

    def __init__(
        self,
        default_bodies: Mapping[int, dict] | None = None,
        default_headers: Mapping[int, dict[str, str]] | None = None,
    ) -> None:
        self._default_bodies = dict(default_bodies or {})
        self._default_headers = dict(default_headers or {})
        self._faults: list[Fault] = []
        self._watches: list[Watch] = []
        self._lock = threading.Lock()

    def add(
        self,
        method: str,
        path: str,
        status: int,
        *,
        times: int = 1,
        skip: int = 0,
        after_execution: bool = False,
        query_param: str | None = None,
        body: dict | str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Fault:
        """Answer `status` to the next `times` matching requests after `skip`.

        Without `body` or `headers` the vendor's defaults for the status are
        sent; given headers are added to the default ones.
        """
        if not 400 <= status <= 599:
            raise ValueError(f"a fault answers an error status (400-599), not {status}")
        return self._register(
            Match(method, path, query_param),
            status=status,
            times=times,
            skip=skip,
            after_execution=after_execution,
            body=body if body is not None else self._default_bodies.get(status),
            headers={**self._default_headers.get(status, {}), **(headers or {})},
        )

    def drop(
        self,
        method: str,
        path: str,
        *,
        times: int = 1,
        skip: int = 0,
        after_execution: bool = False,
        query_param: str | None = None,
    ) -> Fault:
        """Close the connection of the next `times` matching requests, unanswered.

        With `after_execution` the request is served first and only its answer
        lost ("serve then drop"). Clients see the server disconnect without a
        response.
        """
        return self._register(
            Match(method, path, query_param),
            drop=True,
            times=times,
            skip=skip,
            after_execution=after_execution,
        )

    def delay(
        self,
        method: str,
        path: str,
        seconds: float,
        *,
        times: int = 1,
        skip: int = 0,
        query_param: str | None = None,
    ) -> Fault:
        """Serve the next `times` matching requests, but answer `seconds` late.

        The request is applied at once; a client that times out meanwhile
        never sees the answer.
        """
        if not 0 < seconds <= MAX_HOLD_S:
            raise ValueError(f"a delay is over 0 and at most {MAX_HOLD_S:.0f} s")
        return self._register(
            Match(method, path, query_param),
            delay_s=seconds,
            times=times,
            skip=skip,
            after_execution=True,
        )

    def hold(self, method: str, path: str, *, query_param: str | None = None) -> Hold:
        """Hold matching requests until the returned `Hold` is released."""
        return self._observe(Hold(Match(method, path, query_param)))

    def watch(self, method: str, path: str, *, query_param: str | None = None) -> Watch:
        """Count matching requests from now on, faults answered included."""
        return self._observe(Watch(Match(method, path, query_param)))

    def clear(self) -> None:
        """Remove every fault and watch and release every hold."""
        with self._lock:
            watches, self._watches, self._faults = self._watches, [], []
        for watch in watches:
            if isinstance(watch, Hold):
                watch.release()

    def take(self, method: str, path: str, query: dict) -> Fault | None:
        """The fault that applies to this request, if any; counts it.

        Faults are tried in the order added. A matching fault still letting
        requests through counts this one as skipped and the next is tried.
        """
        with self._lock:
            for fault in self._faults:
                if fault.match.matches(method, path, query) and fault.claim():
                    return fault
        return None

    def watches_for(self, method: str, path: str, query: dict) -> list[Watch]:
        with self._lock:
            return [w for w in self._watches if w.match.matches(method, path, query)]

    def _register(self, match: Match, **what: Any) -> Fault:
        fault = Fault(match, **what)
        with self._lock:
            self._faults.append(fault)
        return fault

    def _observe(self, watch: Watch) -> Watch:
        with self._lock:
            self._watches.append(watch)
        return watch


def wrap_with_faults(app, faults: Faults, traffic: TrafficLog):
    """`app` served with `faults`, inside the traffic recorder."""
    return _ConnectionDropper(TrafficRecorder(FaultInjector(app, faults), traffic))


class ConnectionDropped(Exception):
    """Raised inside the middleware stack to close a connection unanswered."""


class FaultInjector:
    """ASGI middleware that applies the sandbox's faults, holds and watches.

    Raises `ConnectionDropped` for a dropped connection; serve it through
    `wrap_with_faults`, whose outer layer closes the connection.
    """

    def __init__(self, app, faults: Faults) -> None:
        self.app = app
        self.faults = faults

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        watches = self.faults.watches_for(method, path, query)
        for watch in watches:
            watch.enter()
        try:
            for watch in watches:
                await watch.admit()
            watched_send = _counting_answers(send, watches)
            await self._serve(scope, receive, watched_send, method, path, query)
        finally:
            for watch in watches:
                watch.leave()

    async def _serve(self, scope, receive, send, method, path, query) -> None:
        fault = self.faults.take(method, path, query)
        if fault is None:
            await self.app(scope, receive, send)
            return
        answer = _Answer()
        if fault.after_execution:
            await self.app(scope, receive, answer.keep)
        if fault.delay_s:
            await asyncio.sleep(fault.delay_s)

        if fault.drop:
            raise ConnectionDropped(f"{method} {path}")
        if fault.replaces_answer:
            await _send_fault(send, fault)
        else:
            await answer.send_to(send)


class _Answer:
    """The app's own answer, kept to be sent later or thrown away."""

    def __init__(self) -> None:
        self.messages: list[dict] = []

    async def keep(self, message: dict) -> None:
        self.messages.append(message)

    async def send_to(self, send) -> None:
        for message in self.messages:
            await send(message)


def _counting_answers(send, watches: list[Watch]):
    """`send`, telling each watch the status once the answer is complete."""
    if not watches:
        return send
    status = 0

    async def counting_send(message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        await send(message)
        if message["type"] == "http.response.body" and not message.get("more_body"):
            for watch in watches:
                watch.answer(status)

    return counting_send


async def _send_fault(send, fault: Fault) -> None:
    body = fault.response_body()
    headers = [
        (b"content-type", fault.content_type()),
        (b"content-length", str(len(body)).encode()),
        *((k.lower().encode(), v.encode()) for k, v in fault.headers.items()),
    ]
    await send(
        {"type": "http.response.start", "status": fault.status, "headers": headers}
    )
    await send({"type": "http.response.body", "body": body})


class _ConnectionDropper:
    """Outermost ASGI layer: closes the connection on `ConnectionDropped`."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        try:
            await self.app(scope, receive, send)
        except ConnectionDropped:
            await _close_connection(send)


async def _close_connection(send) -> None:
    # ASGI has no message for "close without answering". uvicorn's `send` is a
    # method of its request cycle, which holds the connection's transport.
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        raise RuntimeError(
            "the sandbox can drop connections only when served by uvicorn "
            "(ServerThread); serve it that way or use an error status instead"
        )
    transport.close()
    # Let uvicorn notice the disconnect before the app returns; otherwise it
    # logs an app that "returned without starting response" and answers 500.
    for _ in range(100):
        if getattr(cycle, "disconnected", True):
            return
        await asyncio.sleep(0)
