"""The Brevo half of the local sandbox: a stateful Brevo API v3 server.

`BrevoSandbox(settings).app` is an ASGI app serving Brevo's routes under
`/v3` (so a client's base URL is `<server>/v3`), recording its traffic in
`sandbox.traffic`. Serve it with `ServerThread`. Tests and the demo summary
read the account's state through the inspection methods, which are safe to
call while the server runs; tests switch on failures through `sandbox.faults`.
"""

import hmac
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tajo_assets.sandbox.brevo import imports
from tajo_assets.sandbox.brevo.errors import BrevoError
from tajo_assets.sandbox.brevo.faults import BrevoFaults
from tajo_assets.sandbox.brevo.processes import FILES_PATH
from tajo_assets.sandbox.brevo.rate_limits import (
    CONTACTS_BUCKET,
    EVENTS_BUCKET,
    OTHER_BUCKET,
    TIERS,
    RateLimiter,
    RequestCounts,
    bucket_for,
)
from tajo_assets.sandbox.brevo.routes import ROUTES, Call, Context, Handler, Reply
from tajo_assets.sandbox.brevo.state import Account
from tajo_assets.sandbox.faults import wrap_with_faults
from tajo_assets.sandbox.traffic import TrafficLog

logger = logging.getLogger(__name__)


class _FromTier:
    """The default of a limit override: take the value of the settings' tier."""

    def __repr__(self) -> str:
        return "FROM_TIER"


FROM_TIER = _FromTier()
Limit = int | None | _FromTier


@dataclass
class BrevoSandboxSettings:
    """How the sandbox account behaves; limits follow Brevo's `tier`.

    `tier` is general, advanced or extended (see `rate_limits.TIERS`), or None
    for no limits. The `*_per_*` settings override the tier's value for the
    contacts bucket and the other endpoints; None switches that window off.
    The events bucket follows the tier. `import_seconds` is how long an
    import process stays `queued` (first half) and `in_process` (second half)
    before it is applied. `clock` is the monotonic clock rate-limit windows and
    process delays are measured on; tests pass one they advance by hand.
    """

    api_keys: set[str] = field(repr=False)
    tier: str | None = "general"
    contacts_per_second: Limit = FROM_TIER
    contacts_per_hour: Limit = FROM_TIER
    other_per_hour: Limit = FROM_TIER
    import_seconds: float = 0.0
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)

    def __post_init__(self) -> None:
        if self.tier is not None and self.tier not in TIERS:
            raise ValueError(
                f"unknown Brevo tier {self.tier!r}; use one of {', '.join(TIERS)}, "
                "or None for no limits"
            )

    def windows(self) -> dict[str, list[tuple[int, float]]]:
        """Rate-limit windows per bucket, as (requests allowed, window seconds)."""
        tier = TIERS[self.tier] if self.tier is not None else None
        per_second = tier.per_second if tier else None
        per_hour = tier.per_hour if tier else None
        other = tier.other_per_hour if tier else None
        return {
            CONTACTS_BUCKET: _windows(
                (_pick(self.contacts_per_second, per_second), 1.0),
                (_pick(self.contacts_per_hour, per_hour), 3600.0),
            ),
            EVENTS_BUCKET: _windows((per_second, 1.0), (per_hour, 3600.0)),
            OTHER_BUCKET: _windows((_pick(self.other_per_hour, other), 3600.0)),
        }


def _pick(override: Limit, from_tier: int | None) -> int | None:
    return from_tier if isinstance(override, _FromTier) else override


def _windows(*limits: tuple[int | None, float]) -> list[tuple[int, float]]:
    return [(limit, seconds) for limit, seconds in limits if limit is not None]


class BrevoSandbox:
    """A Brevo account on loopback: state, rate limits, import processes."""

    def __init__(self, settings: BrevoSandboxSettings) -> None:
        self.settings = settings
        self.traffic = TrafficLog()
        self.faults = BrevoFaults()
        self._account = Account()
        self._limiter = RateLimiter(settings.windows(), settings.clock)
        self._stop = threading.Event()
        self._workers: list[threading.Thread] = []
        self._workers_lock = threading.Lock()
        self._context = Context(
            account=self._account,
            clock=settings.clock,
            import_seconds=settings.import_seconds,
            start_import=self._start_import,
        )
        self.app = wrap_with_faults(self._build_app(), self.faults, self.traffic)

    # State that tests and the demo summary inspect.

    def contacts(self) -> list[dict[str, Any]]:
        """Every contact (id, email, ext_id, attributes, listIds, ...), oldest first."""
        with self._account.lock:
            return [contact.snapshot() for contact in self._account.book]

    def contact(self, email: str) -> dict[str, Any] | None:
        """The contact with this email (normalized like Brevo does), or None."""
        with self._account.lock:
            found = self._account.book.by_email(email.strip().lower())
            return None if found is None else found.snapshot()

    def lists(self) -> list[dict[str, Any]]:
        """Every list with its counters and `contactIds`."""
        with self._account.lock:
            book = self._account.book
            return [
                {**self._account.render_list(item), "contactIds": book.members(item.id)}
                for item in self._account.lists.values()
            ]

    def folders(self) -> list[dict[str, Any]]:
        with self._account.lock:
            return [
                self._account.render_folder(f) for f in self._account.folders.values()
            ]

    def attributes(self) -> list[dict[str, Any]]:
        with self._account.lock:
            return [a.render() for a in self._account.attributes.values()]

    def processes(self) -> list[dict[str, Any]]:
        """Every process with its status, row counts and report file names."""
        with self._account.lock:
            now = self.settings.clock()
            return [p.snapshot(now) for p in self._account.processes.values()]

    def events(self) -> list[dict[str, Any]]:
        """Every event Brevo accepted, as sent, with `contactId` (None when no
        contact has its identifiers), oldest first."""
        with self._account.lock:
            return [event.snapshot() for event in self._account.events]

    @property
    def request_counts(self) -> RequestCounts:
        """Requests per bucket and per (method, route), and how many got 429."""
        return self._limiter.counts()

    def wait_for_imports(self, timeout_s: float = 30.0) -> None:
        """Block until every started import has been applied (or raise TimeoutError)."""
        deadline = time.monotonic() + timeout_s
        with self._workers_lock:
            workers = list(self._workers)
        for worker in workers:
            worker.join(max(0.0, deadline - time.monotonic()))
            if worker.is_alive():
                raise TimeoutError(f"an import was still running after {timeout_s}s")

    def reset(self) -> None:
        """Forget everything: state, imports, rate-limit windows, traffic, faults."""
        self.faults.clear()
        with self._workers_lock:
            self._stop.set()
            workers, self._workers = self._workers, []
            self._stop = threading.Event()
        for worker in workers:
            worker.join()
        self._account.reset()
        self._limiter.reset()
        self.traffic.take()

    # HTTP.

    def _build_app(self) -> Starlette:
        routes = [
            Route(path, self._endpoint(path, handler), methods=[method])
            for method, path, handler in ROUTES
        ]
        routes.append(Route(FILES_PATH + "/{name}", self._serve_file, methods=["GET"]))
        return Starlette(
            routes=routes, exception_handlers={HTTPException: _route_not_found}
        )

    def _endpoint(self, template: str, handler: Handler):
        async def endpoint(request: Request) -> Response:
            return await self._dispatch(request, template, handler)

        return endpoint

    async def _dispatch(self, request: Request, template: str, handler: Handler):
        """Authenticate, count against the rate limit, then run the handler."""
        if not self._authorized(request.headers.get("api-key")):
            return _reply(
                Reply(401, {"code": "unauthorized", "message": "Key not found"})
            )
        bucket = bucket_for(request.url.path)
        admission = self._limiter.admit(bucket, request.method, template)
        if not admission.allowed:
            return _reply(Reply(429, _too_many(bucket), admission.headers))
        call = Call(
            path_params=dict(request.path_params),
            query=dict(request.query_params),
            query_lists={
                k: request.query_params.getlist(k) for k in request.query_params
            },
            body=await request.body(),
            base_url=str(request.base_url).rstrip("/"),
        )
        try:
            reply = await run_in_threadpool(handler, self._context, call)
        except BrevoError as error:
            reply = Reply(error.status, error.body())
        return _reply(Reply(reply.status, reply.body, admission.headers))

    def _authorized(self, key: str | None) -> bool:
        if not key:
            return False
        sent = key.encode()
        return any(
            hmac.compare_digest(sent, k.encode()) for k in self.settings.api_keys
        )

    async def _serve_file(self, request: Request) -> Response:
        """Import reports: unauthenticated, like Brevo's download links."""
        content = await run_in_threadpool(self._report, request.path_params["name"])
        if content is None:
            return _reply(
                Reply(404, {"code": "document_not_found", "message": "No such file"})
            )
        return Response(content, media_type="text/csv")

    def _report(self, name: str) -> bytes | None:
        with self._account.lock:
            return self._account.files.get(name)

    def _start_import(self, job: imports.ImportJob) -> None:
        with self._account.lock:
            job.process.failure = self.faults.take_import_failure()
            job.refused = self.faults.take_refused_emails()
        with self._workers_lock:
            stop = self._stop

        def work() -> None:
            started = time.monotonic()
            imports.run_import(self._account, job, self.settings.clock, stop)
            if job.process.completed_at is not None:
                logger.info(
                    "Brevo sandbox applied import process %d: %d rows, %s in %.2fs",
                    job.process.id,
                    len(job.rows),
                    job.process.summary,
                    time.monotonic() - started,
                )
            elif job.process.failed_at is not None:
                logger.info(
                    "Brevo sandbox failed import process %d, as a test asked",
                    job.process.id,
                )

        worker = threading.Thread(
            target=work, name=f"brevo-import-{job.process.id}", daemon=True
        )
        with self._workers_lock:
            self._workers = [w for w in self._workers if w.is_alive()] + [worker]
            worker.start()


def _reply(reply: Reply) -> Response:
    if reply.body is None:
        return Response(status_code=reply.status, headers=reply.headers)
    return JSONResponse(reply.body, status_code=reply.status, headers=reply.headers)


def _too_many(bucket: str) -> dict[str, str]:
    # Brevo documents the 429 status and headers, not a body; this one follows
    # the `{code, message}` shape of its other errors.
    return {
        "code": "too_many_requests",
        "message": f"Rate limit of the {bucket} bucket reached; wait the "
        "x-sib-ratelimit-reset seconds before sending more",
    }


async def _route_not_found(request: Request, error: Exception) -> Response:
    status = getattr(error, "status_code", 404)
    code = "method_not_allowed" if status == 405 else "document_not_found"
    message = f"{request.method} {request.url.path} is not served by the Brevo sandbox"
    return _reply(Reply(status, {"code": code, "message": message}))
