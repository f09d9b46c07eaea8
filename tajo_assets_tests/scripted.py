"""A scripted HTTP server, for failures the sandboxes have no switch for.

It answers each request with the next scripted reply (5xx, malformed bodies,
unexpected statuses) and keeps what it received. It is served over real HTTP on
loopback like the sandboxes; nothing of our clients is replaced.
"""

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Reply:
    """A scripted answer; a dict or list body is sent as JSON, a str as HTML."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Seen:
    """A request as the server received it."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes


class ScriptedServer:
    """An ASGI app answering each request with the next scripted reply.

    After the script runs out it repeats `then`. Requests are kept in `seen`.
    """

    def __init__(self, replies: list[Reply] = (), then: Reply | None = None) -> None:
        self.replies = list(replies)
        self.then = then or Reply(599, {"code": "no_script", "message": "no script"})
        self.seen: list[Seen] = []

    def answer(self, status: int, body: Any = None, **headers: str) -> None:
        """Append a reply to the script."""
        self.replies.append(Reply(status, body, headers))

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
        query = scope.get("query_string", b"").decode()
        self.seen.append(Seen(scope["method"], scope["path"], query, headers, body))
        await _send(send, self.replies.pop(0) if self.replies else self.then)


async def _send(send, reply: Reply) -> None:
    headers = [(k.encode(), v.encode()) for k, v in reply.headers.items()]
    if reply.body is None:
        content = b""
    elif isinstance(reply.body, str):
        content = reply.body.encode()
        headers.append((b"content-type", b"text/html"))
    else:
        content = json.dumps(reply.body).encode()
        headers.append((b"content-type", b"application/json"))
    start = {"type": "http.response.start", "status": reply.status, "headers": headers}
    await send(start)
    await send({"type": "http.response.body", "body": content})
