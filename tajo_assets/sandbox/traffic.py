"""Record the HTTP exchanges a sandbox server handles, for contract tests.

Tests check every request our clients send and every response the sandbox gives
against the vendors' published API descriptions; this middleware is where those
exchanges are captured. Recording is off unless a test turns it on.
"""

from collections import deque
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Exchange:
    method: str
    path: str
    query_string: str
    request_headers: dict[str, str]
    request_body: bytes
    status: int
    response_headers: dict[str, str]
    response_body: bytes


@dataclass
class TrafficLog:
    """A bounded log of exchanges; `enabled` switches recording on and off."""

    enabled: bool = False
    max_exchanges: int = 10_000
    exchanges: deque = field(default_factory=deque)

    def record(self, exchange: Exchange) -> None:
        if len(self.exchanges) >= self.max_exchanges:
            self.exchanges.popleft()
        self.exchanges.append(exchange)

    def take(self) -> list[Exchange]:
        """Return what was recorded so far and forget it."""
        taken = list(self.exchanges)
        self.exchanges.clear()
        return taken


def _headers(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in raw}


class TrafficRecorder:
    """ASGI middleware that copies each HTTP exchange into a `TrafficLog`."""

    def __init__(self, app, log: TrafficLog) -> None:
        self.app = app
        self.log = log

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or not self.log.enabled:
            await self.app(scope, receive, send)
            return
        # Read the whole request body before the app runs: an app that answers
        # early (a 401, say) never reads it, and the exchange would look bodiless.
        request_body, replay = await _drain(receive)
        response: dict = {"status": 0, "headers": [], "body": bytearray()}

        async def recording_send(message):
            if message["type"] == "http.response.start":
                response["status"] = message["status"]
                response["headers"] = message.get("headers", [])
            elif message["type"] == "http.response.body":
                response["body"].extend(message.get("body", b""))
            await send(message)

        await self.app(scope, replay, recording_send)
        self.log.record(
            Exchange(
                method=scope["method"],
                path=scope["path"],
                query_string=scope.get("query_string", b"").decode("latin-1"),
                request_headers=_headers(scope.get("headers", [])),
                request_body=bytes(request_body),
                status=response["status"],
                response_headers=_headers(response["headers"]),
                response_body=bytes(response["body"]),
            )
        )


async def _drain(receive):
    """The request body, and a `receive` that hands it to the app once more."""
    body = bytearray()
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        body.extend(message.get("body", b""))
        more = message.get("more_body", False)
    replayed = False

    async def replay():
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": bytes(body), "more_body": False}
        return await receive()

    return body, replay
