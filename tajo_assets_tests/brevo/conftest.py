"""Fixtures for the Brevo client tests: sandbox servers, scripted servers, clocks.

Every server listens on 127.0.0.1 (`ServerThread`) and every API key is made up
for the session. The Brevo sandbox is the stateful stand-in for Brevo; scripted
servers (see `fakes`) cover failures the sandbox has no switch for.
"""

import secrets
import socket
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import pytest

from tajo_assets.brevo import BrevoClient, Pacer
from tajo_assets.sandbox.brevo import BrevoSandbox, BrevoSandboxSettings
from tajo_assets.sandbox.server import LOOPBACK, ServerThread
from tajo_assets_tests.brevo.fakes import FakeClock
from tajo_assets_tests.scripted import Reply, ScriptedServer


@dataclass
class BrevoStand:
    """A running Brevo sandbox and the base URL a client uses for it."""

    sandbox: BrevoSandbox
    base_url: str


@pytest.fixture(scope="session")
def api_key() -> str:
    return "xkeysib-" + secrets.token_hex(32)


@pytest.fixture(scope="module")
def brevo_stand(api_key: str) -> Iterator[BrevoStand]:
    """One sandbox per test module, at Brevo's General-tier limits."""
    sandbox = BrevoSandbox(BrevoSandboxSettings(api_keys={api_key}))
    with ServerThread(sandbox.app, name="brevo-sandbox") as server:
        yield BrevoStand(sandbox, f"{server.url}/v3")


@pytest.fixture
def sandbox(brevo_stand: BrevoStand) -> BrevoSandbox:
    """The module's sandbox, emptied for this test."""
    brevo_stand.sandbox.reset()
    return brevo_stand.sandbox


@pytest.fixture
def client(
    brevo_stand: BrevoStand, sandbox: BrevoSandbox, api_key: str
) -> Iterator[BrevoClient]:
    with BrevoClient(api_key, brevo_stand.base_url) as brevo:
        yield brevo


@pytest.fixture
def serve_brevo(api_key: str) -> Iterator[Callable[..., BrevoStand]]:
    """Start a sandbox with other settings for one test; it stops after the test."""
    with ExitStack() as stack:

        def serve(**settings: Any) -> BrevoStand:
            sandbox = BrevoSandbox(BrevoSandboxSettings(api_keys={api_key}, **settings))
            server = stack.enter_context(ServerThread(sandbox.app, name="brevo-own"))
            return BrevoStand(sandbox, f"{server.url}/v3")

        yield serve


@pytest.fixture
def serve_script() -> Iterator[Callable[..., tuple[ScriptedServer, str]]]:
    """Serve a `ScriptedServer`; returns it and its base URL (`<server>/v3`)."""
    with ExitStack() as stack:

        def serve(*replies: Reply, then: Reply | None = None):
            script = ScriptedServer(list(replies), then)
            server = stack.enter_context(ServerThread(script, name="brevo-script"))
            return script, f"{server.url}/v3"

        yield serve


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake_time_pacer(clock: FakeClock) -> Pacer:
    """A pacer whose waits move the fake clock instead of sleeping."""
    return Pacer(clock=clock, sleep=clock.sleep)


@pytest.fixture
def closed_port_url() -> str:
    """A loopback URL where nothing listens: connecting to it is refused."""
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        port = probe.getsockname()[1]
    return f"http://{LOOPBACK}:{port}"
