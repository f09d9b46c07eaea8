"""Fixtures for the Brevo sandbox tests: a served sandbox, a caller, a hand clock.

Tests talk to the sandbox over real HTTP on 127.0.0.1 with plain httpx, the
way any Brevo client would; a test needing other settings calls
`serve_brevo(...)` itself.
"""

import secrets
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass

import httpx
import pytest

from tajo_assets.sandbox.brevo import BrevoSandbox, BrevoSandboxSettings
from tajo_assets.sandbox.brevo.faults import BrevoFaults
from tajo_assets.sandbox.server import ServerThread


class HandClock:
    """A monotonic clock that moves only when a test says so."""

    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class ServedBrevo:
    """A running sandbox, its hand clock and an authenticated caller."""

    sandbox: BrevoSandbox
    server: ServerThread
    clock: HandClock
    api: httpx.Client
    api_key: str

    def wait_for_process(self, process_id: int) -> dict:
        """Let the import worker finish, then read the process over HTTP."""
        self.sandbox.wait_for_imports(timeout_s=30)
        response = self.api.get(f"/processes/{process_id}")
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture(scope="session")
def api_key() -> str:
    return f"xkeysib-{secrets.token_hex(32)}"


def _start(stack: ExitStack, api_key: str, **overrides) -> ServedBrevo:
    clock = HandClock()
    settings = {
        "api_keys": {api_key},
        "tier": None,
        "clock": clock,
        **overrides,
    }
    sandbox = BrevoSandbox(BrevoSandboxSettings(**settings))
    server = stack.enter_context(ServerThread(sandbox.app, name="brevo"))
    stack.callback(sandbox.reset)
    api = stack.enter_context(
        httpx.Client(
            base_url=f"{server.url}/v3", headers={"api-key": api_key}, timeout=30
        )
    )
    return ServedBrevo(sandbox, server, clock, api, api_key)


@pytest.fixture
def serve_brevo(api_key: str) -> Iterator[Callable[..., ServedBrevo]]:
    """Start sandboxes with given settings; limits are off unless asked for."""
    with ExitStack() as stack:
        yield lambda **overrides: _start(stack, api_key, **overrides)


@pytest.fixture(scope="session")
def _shared_brevo(api_key: str) -> Iterator[ServedBrevo]:
    with ExitStack() as stack:
        yield _start(stack, api_key)


@pytest.fixture
def brevo(_shared_brevo: ServedBrevo) -> ServedBrevo:
    """A fresh sandbox account with limits off (one server, reset per test)."""
    _shared_brevo.sandbox.reset()
    _shared_brevo.clock.now = HandClock().now
    return _shared_brevo


@pytest.fixture
def faults(brevo: ServedBrevo) -> Iterator[BrevoFaults]:
    """The sandbox's fault switches, cleared after the test."""
    yield brevo.sandbox.faults
    brevo.sandbox.faults.clear()


@pytest.fixture
def contact_list(brevo: ServedBrevo) -> int:
    """The id of a fresh list in a fresh folder."""
    folder = brevo.api.post("/contacts/folders", json={"name": "Warehouse"})
    created = brevo.api.post(
        "/contacts/lists", json={"name": "Champions", "folderId": folder.json()["id"]}
    )
    assert created.status_code == 201, created.text
    return created.json()["id"]


MARKETING_ATTRIBUTES = {
    "LTV": "float",
    "LAST_ORDER_DATE": "date",
    "IS_VIP": "boolean",
    "SEGMENT": "text",
}


@pytest.fixture
def marketing_attributes(brevo: ServedBrevo) -> dict[str, str]:
    """Create the enrichment attributes a sync writes: name -> Brevo type."""
    for name, kind in MARKETING_ATTRIBUTES.items():
        response = brevo.api.post(
            f"/contacts/attributes/normal/{name}", json={"type": kind}
        )
        assert response.status_code == 201, response.text
    return dict(MARKETING_ATTRIBUTES)
