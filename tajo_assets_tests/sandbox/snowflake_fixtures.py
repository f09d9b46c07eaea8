"""Fixtures for the Snowflake sandbox tests: a served SQL API and a plain caller.

Tests talk to the sandbox over real HTTP on 127.0.0.1 with httpx and JWTs
signed here with `cryptography`, the way any SQL API client would. A test that
needs other settings calls `serve_snowflake(...)` itself.
"""

import base64
import dataclasses
import gzip
import json
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass

import httpx
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from tajo_assets.sandbox.server import ServerThread
from tajo_assets.sandbox.snowflake import (
    SnowflakeSandbox,
    SnowflakeSandboxSettings,
    public_key_fingerprint,
)

ACCOUNT = "SANDBOX"
USER = "TAJO_TEST"
STATEMENTS = "/api/v2/statements"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def mint_jwt(
    private_pem: str,
    *,
    public_pem: str,
    account: str = ACCOUNT,
    user: str = USER,
    issued_at: float | None = None,
    lifetime_s: float = 3540,
    subject: str | None = None,
    milliseconds: bool = False,
) -> str:
    """A key-pair JWT as Snowflake documents it; every claim can be bent."""
    issued = time.time() if issued_at is None else issued_at
    scale = 1000 if milliseconds else 1
    claims = {
        "iss": f"{account}.{user}.{public_key_fingerprint(public_pem)}",
        "sub": subject or f"{account}.{user}",
        "iat": int(issued * scale),
        "exp": int((issued + lifetime_s) * scale),
    }
    header = {"alg": "RS256", "typ": "JWT"}
    signed = (
        f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
    )
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    signature = key.sign(signed.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signed}.{_b64url(signature)}"


def headers_for(token: str | None) -> dict[str, str]:
    headers = {
        "Accept": "application/json",
        "User-Agent": "tajo-assets-tests/1.0",
        "X-Snowflake-Authorization-Token-Type": "KEYPAIR_JWT",
    }
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return headers


@dataclass
class SqlApi:
    """A served sandbox, a caller with a valid JWT for user TAJO_TEST, and the
    test's own database (with its PUBLIC schema)."""

    sandbox: SnowflakeSandbox
    server: ServerThread
    client: httpx.Client
    database: str = ""

    @property
    def context(self) -> dict[str, str]:
        return {"database": self.database, "schema": "PUBLIC"}

    def with_new_database(self) -> "SqlApi":
        database = f"TEST_{uuid.uuid4().hex[:10].upper()}"
        created = self.submit(f"CREATE DATABASE {database}")
        assert created.status_code == 200, created.text
        return dataclasses.replace(self, database=database)

    def submit(
        self, statement: str, *, query: dict | None = None, **body
    ) -> httpx.Response:
        return self.client.post(
            STATEMENTS, params=query, json={"statement": statement, **body}
        )

    def status(self, handle: str, partition: int | None = None) -> httpx.Response:
        params = {} if partition is None else {"partition": partition}
        return self.client.get(f"{STATEMENTS}/{handle}", params=params)

    def cancel(self, handle: str) -> httpx.Response:
        return self.client.post(f"{STATEMENTS}/{handle}/cancel")

    def wait_done(self, handle: str, timeout_s: float = 10.0) -> httpx.Response:
        """Poll until the statement stops running; fail the test at the deadline."""
        deadline = time.monotonic() + timeout_s
        while True:
            response = self.status(handle)
            if response.status_code != 202:
                return response
            if time.monotonic() > deadline:
                pytest.fail(f"statement {handle} still running after {timeout_s} s")
            time.sleep(0.02)

    def all_rows(self, first: httpx.Response) -> list[list[str | None]]:
        """Rows of every partition, fetched in order."""
        body = first.json()
        rows = list(body["data"])
        handle = body["statementHandle"]
        for index in range(1, len(body["resultSetMetaData"]["partitionInfo"])):
            rows.extend(self.status(handle, partition=index).json()["data"])
        return rows

    def raw_partition(
        self, handle: str, partition: int
    ) -> tuple[httpx.Response, bytes]:
        """A later partition without httpx's transparent gunzip."""
        with self.client.stream(
            "GET", f"{STATEMENTS}/{handle}", params={"partition": partition}
        ) as response:
            raw = b"".join(response.iter_raw())
        return response, raw


def gunzip_json(raw: bytes) -> dict:
    return json.loads(gzip.decompress(raw))


def start_sandbox(stack: ExitStack, key_pair, **overrides) -> SqlApi:
    """Serve a sandbox with these settings until `stack` closes."""
    settings = SnowflakeSandboxSettings(
        account=ACCOUNT, public_keys={USER: key_pair.public_pem}, **overrides
    )
    sandbox = SnowflakeSandbox(settings)
    stack.callback(sandbox.close)
    server = stack.enter_context(ServerThread(sandbox.app, name="snowflake-test"))
    token = mint_jwt(key_pair.private_pem, public_pem=key_pair.public_pem)
    client = stack.enter_context(
        httpx.Client(base_url=server.url, headers=headers_for(token), timeout=30)
    )
    return SqlApi(sandbox, server, client).with_new_database()


@pytest.fixture
def serve_snowflake(key_pair) -> Iterator[Callable[..., SqlApi]]:
    """Start a sandbox of the test's own with these settings; stop it after."""
    with ExitStack() as stack:
        yield lambda **overrides: start_sandbox(stack, key_pair, **overrides)


@pytest.fixture(scope="module")
def shared_snowflake(key_pair) -> Iterator[SqlApi]:
    """One sandbox with default settings (in memory) for a whole test module."""
    with ExitStack() as stack:
        yield start_sandbox(stack, key_pair)


@pytest.fixture
def snowflake_api(shared_snowflake) -> SqlApi:
    """The module's sandbox, with a fresh database for this test."""
    return shared_snowflake.with_new_database()
