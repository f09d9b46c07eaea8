"""Fixtures for the Snowflake client: the sandbox SQL API and a scripted one.

The sandbox (fakesnow behind the SQL API v2 on 127.0.0.1) is what the client is
tested against. `ScriptedSqlApi` is a tiny server on 127.0.0.1 that answers from
a script, for failures the sandbox does not produce on demand (503s, malformed
bodies); it records each request it receives.
"""

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tajo_assets.sandbox.server import ServerThread
from tajo_assets.sandbox.snowflake import (
    Faults,
    SnowflakeSandbox,
    SnowflakeSandboxSettings,
)
from tajo_assets.snowflake import KeyPairAuth, SqlApiClient
from tajo_assets_tests.contract import SNOWFLAKE
from tajo_assets_tests.scripted import ScriptedServer

ACCOUNT = "SANDBOX"
USER = "TAJO_TEST"
DATABASE = "TAJO_TEST_DB"
SCHEMA = "PUBLIC"
SYNC_WAIT_S = 1.0
PARTITION_ROWS = 5


@dataclass
class RunningSandbox:
    sandbox: SnowflakeSandbox
    url: str


@pytest.fixture(scope="module")
def sandbox(key_pair) -> Iterator[RunningSandbox]:
    """A sandbox with the test user's key, small partitions and a 1 s sync wait."""
    settings = SnowflakeSandboxSettings(
        account=ACCOUNT,
        public_keys={USER: key_pair.public_pem},
        sync_wait_s=SYNC_WAIT_S,
        partition_rows=PARTITION_ROWS,
    )
    sandbox = SnowflakeSandbox(settings)
    with ServerThread(sandbox.app, name="snowflake-sandbox") as server:
        _create_database(server.url, key_pair)
        yield RunningSandbox(sandbox, server.url)
    sandbox.close()


def _create_database(url: str, key_pair) -> None:
    auth = KeyPairAuth(ACCOUNT, USER, key_pair.private_pem)
    with SqlApiClient(url, auth) as client:
        client.execute(f"CREATE DATABASE IF NOT EXISTS {DATABASE}")
        client.execute(f"CREATE SCHEMA IF NOT EXISTS {DATABASE}.{SCHEMA}")


@pytest.fixture
def traffic(sandbox) -> Iterator[None]:
    """Record the test's SQL API traffic, then check it against Snowflake's spec."""
    log = sandbox.sandbox.traffic
    log.take()
    log.enabled = True
    yield
    log.enabled = False
    assert SNOWFLAKE.violations(log.take()) == []


@pytest.fixture
def faults(sandbox) -> Iterator[Faults]:
    """The sandbox's fault switches, cleared after the test."""
    yield sandbox.sandbox.faults
    sandbox.sandbox.faults.clear()


@pytest.fixture
def client(sandbox, key_pair, traffic) -> Iterator[SqlApiClient]:
    auth = KeyPairAuth(ACCOUNT, USER, key_pair.private_pem)
    with SqlApiClient(
        sandbox.url,
        auth,
        database=DATABASE,
        schema=SCHEMA,
        warehouse="TAJO_WH",
        query_tag="tajo-tests",
        retry_backoff_s=0.05,
    ) as client:
        yield client


@pytest.fixture
def scripted() -> Iterator[tuple[ScriptedServer, str]]:
    api = ScriptedServer()
    with ServerThread(api, name="scripted-sql-api") as server:
        yield api, server.url
