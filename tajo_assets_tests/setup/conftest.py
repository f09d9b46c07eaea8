"""Fixtures of the set-up tests: the whole sandbox (for doctor), a bare
Snowflake sandbox (for keygen), and a loopback port where nothing listens."""

import socket

import pytest

from tajo_assets_tests.assets.conftest import (  # noqa: F401 (fixtures)
    sandbox,
    sandbox_env,
    write_project,
)
from tajo_assets_tests.sandbox.snowflake_fixtures import (  # noqa: F401 (fixtures)
    shared_snowflake,
)


@pytest.fixture
def closed_port_url() -> str:
    """A loopback URL where nothing listens: connecting to it is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"
