"""The Snowflake SQL API v2 served by the sandbox (Starlette).

Three operations, as in Snowflake's API description: submit
(`POST /api/v2/statements`), status and partitions
(`GET /api/v2/statements/{handle}`) and cancel
(`POST /api/v2/statements/{handle}/cancel`), plus the OAuth token endpoint
(`POST /oauth/token-request`). Every SQL API request is authenticated first
(key-pair JWT, OAuth access token or programmatic access token); every answer
is JSON in the documented shapes (`ResultSet`, `QueryStatus`,
`QueryFailureStatus`, `CancelStatus`), and later partitions are
gzip-compressed. Tests switch on error answers through `faults`.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tajo_assets.sandbox.faults import wrap_with_faults
from tajo_assets.sandbox.snowflake.auth import (
    KEYPAIR_JWT,
    OAUTH,
    PROGRAMMATIC_ACCESS_TOKEN,
    Authenticator,
    KeyPairJwtVerifier,
    Principal,
)
from tajo_assets.sandbox.snowflake.engine import SqlEngine
from tajo_assets.sandbox.snowflake.errors import (
    IN_PROGRESS,
    NOT_FOUND,
    PARTITION_OUT_OF_RANGE,
    TIMED_OUT,
    TOO_MANY_REQUESTS,
    RequestRejected,
    canceled,
    invalid_payload,
)
from tajo_assets.sandbox.snowflake.faults import SnowflakeFaults
from tajo_assets.sandbox.snowflake.oauth import (
    TOKEN_PATH,
    OAuthClient,
    OAuthServer,
    PatVerifier,
)
from tajo_assets.sandbox.snowflake.payload import flag, parse_submission
from tajo_assets.sandbox.snowflake.results import ResultStore
from tajo_assets.sandbox.snowflake.statements import (
    StatementRecord,
    Statements,
    StatementStatus,
    Submission,
)
from tajo_assets.sandbox.snowflake.users import UserAdmin
from tajo_assets.sandbox.traffic import TrafficLog


@dataclass
class SnowflakeSandboxSettings:
    """How the sandbox's SQL API behaves; defaults follow Snowflake's."""

    db_path: Path | None = None  # directory of fakesnow database files; None = memory
    account: str = "SANDBOX"  # as it appears in JWT claims (upper case)
    public_keys: dict[str, str] = field(default_factory=dict)  # USER -> public PEM
    oauth_clients: dict[str, OAuthClient] = field(default_factory=dict)  # by id
    # USER -> programmatic access token (register_pat adds more per user)
    programmatic_access_tokens: dict[str, str] = field(default_factory=dict)
    oauth_token_lifetime_s: float = 600.0  # Snowflake OAuth access tokens: 10 min
    clock: Callable[[], float] = time.time  # for token expiry (JWT, OAuth)
    sync_wait_s: float = 45.0  # a POST waits this long for a result, then 202
    # Rows per result partition: ~10,000 rows of a dozen columns is a few MB of
    # JSON, in the range of Snowflake's own partitions (up to ~12 MB).
    partition_rows: int = 10_000
    max_concurrent_statements: int = 20  # per user; more -> 429 code 390505
    result_ttl_s: float = 3600.0  # results are dropped this long after finishing
    max_results: int = 200  # and the oldest go when more are held

    def __post_init__(self) -> None:
        if self.account != self.account.upper() or "." in self.account:
            raise ValueError(
                f"SnowflakeSandboxSettings.account is {self.account!r}; give the "
                "account as it appears in JWT claims: upper case, periods replaced "
                f"by hyphens (e.g. {self.account.upper().replace('.', '-')!r})"
            )
        if self.partition_rows < 1:
            raise ValueError(
                f"SnowflakeSandboxSettings.partition_rows is {self.partition_rows}; "
                "it must be at least 1"
            )


class SnowflakeSandbox:
    """A Snowflake SQL API v2 over fakesnow; serve `app` with `ServerThread`.

    `statements` maps each statement handle to its `StatementRecord` (SQL text,
    bindings, query tag, status, executions, cancels, child handles);
    `traffic` logs exchanges when enabled; `faults` injects error answers.
    """

    def __init__(self, settings: SnowflakeSandboxSettings) -> None:
        self.settings = settings
        self.traffic = TrafficLog()
        self.faults = SnowflakeFaults()
        self._jwt = KeyPairJwtVerifier(settings.account, clock=settings.clock)
        self.oauth = OAuthServer(
            settings.account,
            token_lifetime_s=settings.oauth_token_lifetime_s,
            clock=settings.clock,
        )
        self._pats = PatVerifier(settings.account)
        self._register_credentials(settings)
        self._authenticator = Authenticator(
            {
                KEYPAIR_JWT: self._jwt,
                OAUTH: self.oauth,
                PROGRAMMATIC_ACCESS_TOKEN: self._pats,
            }
        )
        self._engine = SqlEngine(settings.db_path)
        self._statements = Statements(
            self._engine,
            ResultStore(max_results=settings.max_results, ttl_s=settings.result_ttl_s),
            partition_rows=settings.partition_rows,
            intercept=UserAdmin(self._jwt).run,
        )
        self.app = wrap_with_faults(self._starlette(), self.faults, self.traffic)
        self._closed = False

    def set_partition_rows(self, rows: int) -> None:
        """Cut results of statements run from now on into partitions of `rows`
        (tests of partition fetches on small tables)."""
        if rows < 1:
            raise ValueError(f"partition_rows must be at least 1, got {rows}")
        self._statements.set_partition_rows(rows)

    def _register_credentials(self, settings: SnowflakeSandboxSettings) -> None:
        for user, public_pem in settings.public_keys.items():
            self.register_public_key(user, public_pem)
        for client_id, client in settings.oauth_clients.items():
            self.register_oauth_client(client_id, client)
        for user, token in settings.programmatic_access_tokens.items():
            self.register_pat(user, token)

    def register_public_key(self, user: str, public_pem: str) -> None:
        """Let `user` (upper-cased) sign JWTs with the key pair of `public_pem`."""
        self._jwt.register(user, public_pem)

    def register_oauth_client(self, client_id: str, client: OAuthClient) -> None:
        """Let `client_id` get OAuth tokens for `client.user` at the token endpoint."""
        self.oauth.register_client(client_id, client)

    def register_pat(self, user: str, token: str) -> None:
        """Accept `token` as a programmatic access token of `user` (upper-cased)."""
        self._pats.register(user, token)

    @property
    def statements(self) -> dict[str, StatementRecord]:
        return self._statements.records()

    def close(self) -> None:
        """Cancel running statements and close DuckDB; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        self._statements.close()
        self._engine.close()

    def _starlette(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/api/v2/statements", self._submit, methods=["POST"]),
                Route("/api/v2/statements/{handle}", self._status, methods=["GET"]),
                Route(
                    "/api/v2/statements/{handle}/cancel", self._cancel, methods=["POST"]
                ),
                Route(TOKEN_PATH, self.oauth.token_request, methods=["POST"]),
            ]
        )

    # -- operations ----------------------------------------------------------------

    async def _submit(self, request: Request) -> Response:
        await request.body()  # read even when refused, so traffic logs keep it
        try:
            principal = self._authenticate(request)
            submission = await parse_submission(request, principal)
            record = self._existing_for_retry(request, submission)
            if record is None:
                self._check_concurrency(principal)
                record = self._statements.submit(submission)
        except RequestRejected as rejected:
            return _json(rejected.status, rejected.body())
        if not flag(request, "async", default=False):
            await self._statements.wait(record, self.settings.sync_wait_s)
        return self._answer(record, on_submit=True)

    async def _status(self, request: Request) -> Response:
        try:
            principal = self._authenticate(request)
            record = self._own_record(request, principal)
            partition = _partition(request)
        except RequestRejected as rejected:
            return _json(rejected.status, rejected.body())
        if record is None:
            return _not_found(request.path_params["handle"])
        if partition and record.status == StatementStatus.SUCCEEDED:
            return self._partition(record, partition)
        return self._answer(record, on_submit=False)

    async def _cancel(self, request: Request) -> Response:
        try:
            principal = self._authenticate(request)
            record = self._own_record(request, principal)
        except RequestRejected as rejected:
            return _json(rejected.status, rejected.body())
        if record is None:
            return _not_found(request.path_params["handle"])
        if self._statements.cancel(record):
            failure = canceled()
            body = {
                "code": failure.code,
                "sqlState": failure.sql_state,
                "message": failure.message,
            }
        else:
            body = {
                "message": f"Statement {record.handle} had already finished "
                f"({record.status.value}); nothing was canceled."
            }
        return _json(200, {**body, **record.status_fields()})

    # -- helpers -------------------------------------------------------------------

    def _authenticate(self, request: Request) -> Principal:
        return self._authenticator.authenticate(
            request.headers.get("authorization"),
            request.headers.get("x-snowflake-authorization-token-type"),
        )

    def _own_record(
        self, request: Request, principal: Principal
    ) -> StatementRecord | None:
        record = self._statements.find(request.path_params["handle"])
        return record if record is not None and record.user == principal.user else None

    def _existing_for_retry(
        self, request: Request, submission: Submission
    ) -> StatementRecord | None:
        """The earlier statement of a retried requestId, unless it failed."""
        if not (submission.request_id and flag(request, "retry", default=False)):
            return None
        record = self._statements.find_by_request_id(
            submission.user, submission.request_id
        )
        if record is None or record.status not in {
            StatementStatus.RUNNING,
            StatementStatus.SUCCEEDED,
        }:
            return None
        return record

    def _check_concurrency(self, principal: Principal) -> None:
        limit = self.settings.max_concurrent_statements
        if self._statements.running_count(principal.user) >= limit:
            raise RequestRejected(
                429,
                TOO_MANY_REQUESTS,
                f"Too many requests. User {principal.user} already runs {limit} "
                "statements; wait for one to finish, then retry with backoff.",
            )

    def _answer(self, record: StatementRecord, *, on_submit: bool) -> Response:
        if record.status == StatementStatus.RUNNING:
            return _json(202, _in_progress(record))
        if record.status == StatementStatus.SUCCEEDED:
            return self._first_partition(record)
        failure = record.failure
        body = {
            "code": failure.code,
            "sqlState": failure.sql_state,
            "message": failure.message,
            **record.status_fields(),
        }
        status = 408 if on_submit and failure.code == TIMED_OUT else 422
        return _json(status, body)

    def _first_partition(self, record: StatementRecord) -> Response:
        stored = self._statements.result(record.handle)
        if stored is None:
            return _result_gone(record, self.settings)
        return Response(stored.first_response, 200, media_type="application/json")

    def _partition(self, record: StatementRecord, partition: int) -> Response:
        stored = self._statements.result(record.handle)
        if stored is None:
            return _result_gone(record, self.settings)
        if partition >= stored.partition_count:
            return _json(
                400,
                {
                    "code": PARTITION_OUT_OF_RANGE,
                    "message": f"Partition {partition} is out of range; the result "
                    f"of {record.handle} has partitions 0 to "
                    f"{stored.partition_count - 1} (resultSetMetaData.partitionInfo).",
                },
            )
        return Response(
            stored.later_partitions[partition - 1],
            200,
            headers={"Content-Encoding": "gzip"},
            media_type="application/json",
        )


def _partition(request: Request) -> int:
    value = request.query_params.get("partition", "0")
    if not value.isdigit():
        raise invalid_payload(f"partition {value!r} must be a whole number >= 0.")
    return int(value)


def _in_progress(record: StatementRecord) -> dict:
    return {
        "code": IN_PROGRESS,
        "sqlState": "00000",
        "message": "Asynchronous execution in progress. Use provided query id to "
        "perform query monitoring and management.",
        **record.status_fields(),
    }


def _not_found(handle: str) -> Response:
    return _json(
        422,
        {
            "code": NOT_FOUND,
            "sqlState": "02000",
            "message": f"Statement {handle} not found.",
            "statementHandle": handle,
        },
    )


def _result_gone(
    record: StatementRecord, settings: SnowflakeSandboxSettings
) -> Response:
    return _json(
        422,
        {
            "code": NOT_FOUND,
            "sqlState": "02000",
            "message": f"The result of statement {record.handle} is no longer kept "
            f"(results live {settings.result_ttl_s:g} s, at most "
            f"{settings.max_results} at a time); run the statement again.",
            **record.status_fields(),
        },
    )


def _json(status: int, body: dict) -> Response:
    return JSONResponse(body, status_code=status)
