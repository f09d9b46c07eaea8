"""Fakes for the Brevo client tests: a clock that sleeps instantly, scripted servers.

A scripted server is a tiny HTTP app that answers from a list, for failures the
Brevo sandbox has no switch for (5xx, malformed answers, unreachable reports).
It is served over real HTTP on loopback like the sandbox; nothing of the client
is replaced.
"""

import json
from dataclasses import dataclass, field
from typing import Any


class FakeClock:
    """A monotonic clock that moves only when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class ScriptedServer:
    """An ASGI app answering each request with the next scripted reply.

    After the script runs out it repeats `then`. Requests are kept in `seen`.
    """

    def __init__(self, replies: list[Reply], then: Reply | None = None) -> None:
        self.replies = list(replies)
        self.then = then or Reply(500, {"code": "bad_request", "message": "no script"})
        self.seen: list[Seen] = []

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        self.seen.append(Seen(scope["method"], scope["path"], headers, body))
        reply = self.replies.pop(0) if self.replies else self.then
        await _send(send, reply)


async def _send(send, reply: Reply) -> None:
    content = b"" if reply.body is None else _encode(reply.body)
    headers = [(k.encode(), v.encode()) for k, v in reply.headers.items()]
    if reply.body is not None and not isinstance(reply.body, str):
        headers.append((b"content-type", b"application/json"))
    start = {"type": "http.response.start", "status": reply.status, "headers": headers}
    await send(start)
    await send({"type": "http.response.body", "body": content})


def _encode(body: Any) -> bytes:
    return body.encode() if isinstance(body, str) else json.dumps(body).encode()
