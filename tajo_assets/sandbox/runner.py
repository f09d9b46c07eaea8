"""Start and stop the whole local sandbox: both vendor servers and their data.

The sandbox home (default `.tajo_sandbox/` in the working directory) holds what
the sandbox generates: an RSA key pair registered for the Snowflake user, the
Brevo API key, the sample warehouse's database files and a Dagster home. Nothing
in it is a real credential, and it is git-ignored.
"""

import logging
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

from tajo_assets.sandbox.brevo import BrevoSandbox, BrevoSandboxSettings
from tajo_assets.sandbox.server import ServerThread
from tajo_assets.sandbox.snowflake import (
    OAuthClient,
    SnowflakeSandbox,
    SnowflakeSandboxSettings,
)
from tajo_assets.sandbox.warehouse import generate_sample_warehouse
from tajo_assets.snowflake.keys import generate_key_pair

log = logging.getLogger("tajo_assets.sandbox")

DEFAULT_HOME = Path(".tajo_sandbox")
ACCOUNT = "SANDBOX"
USER = "TAJO_INTEGRATION"
# Bump when the sample warehouse's tables change, so old homes get rebuilt.
# 2: contacts in CUSTOMERS, segments built by the project's models.
WAREHOUSE_LAYOUT = "2"
# Roles the sandbox's OAuth client may ask for (scope session:role:<ROLE>).
SANDBOX_ROLES = ("TAJO_ROLE", "PUBLIC")


@dataclass(frozen=True)
class SandboxHome:
    """The files of one sandbox, under `root`."""

    root: Path

    @property
    def private_key_path(self) -> Path:
        return self.root / "keys" / "rsa_key.p8"

    @property
    def public_key_path(self) -> Path:
        return self.root / "keys" / "rsa_key.pub"

    @property
    def brevo_key_path(self) -> Path:
        return self.root / "keys" / "brevo_api_key"

    @property
    def warehouse_dir(self) -> Path:
        return self.root / "warehouse"

    @property
    def layout_path(self) -> Path:
        return self.warehouse_dir / "LAYOUT"

    @property
    def cache_dir(self) -> Path:
        return self.root / "cache"

    @property
    def dagster_home(self) -> Path:
        return self.root / "dagster_home"

    @property
    def env_file(self) -> Path:
        return self.root / "sandbox.env"


def prepare_home(
    root: Path = DEFAULT_HOME, *, scale_factor: float = 1.0, fresh: bool = False
) -> SandboxHome:
    """Create keys and the sample warehouse if missing (or anew with `fresh`).

    `fresh` also empties the Dagster home and the sync state, so the next run
    starts from nothing, as on a new machine. A warehouse built by an older
    version of the sandbox (another `WAREHOUSE_LAYOUT`) is rebuilt too: the
    models need the inputs of the current layout.
    """
    home = SandboxHome(root.resolve())
    if fresh or not _current_layout(home):
        for path in (home.warehouse_dir, home.dagster_home):
            shutil.rmtree(path, ignore_errors=True)
    _ensure_credentials(home)
    if not home.warehouse_dir.exists():
        home.warehouse_dir.mkdir(parents=True)
        sample = generate_sample_warehouse(
            home.warehouse_dir, scale_factor=scale_factor, cache_dir=home.cache_dir
        )
        home.layout_path.write_text(f"{WAREHOUSE_LAYOUT}\n")
        log.info("sample warehouse ready: %s", sample)
    home.dagster_home.mkdir(parents=True, exist_ok=True)
    return home


def _current_layout(home: SandboxHome) -> bool:
    """True when there is no warehouse yet, or one of the current layout."""
    if not home.warehouse_dir.exists():
        return True
    path = home.layout_path
    return path.exists() and path.read_text().strip() == WAREHOUSE_LAYOUT


def _ensure_credentials(home: SandboxHome) -> None:
    if home.private_key_path.exists() and home.brevo_key_path.exists():
        return
    home.private_key_path.parent.mkdir(parents=True, exist_ok=True)
    pair = generate_key_pair()
    _write_private(home.private_key_path, pair.private_pem)
    home.public_key_path.write_text(pair.public_pem)
    _write_private(home.brevo_key_path, f"xkeysib-sandbox-{secrets.token_hex(24)}\n")


def _write_private(path: Path, text: str) -> None:
    path.touch(mode=0o600, exist_ok=True)
    path.write_text(text)


class RunningSandbox:
    """Both servers of one sandbox home, serving on 127.0.0.1."""

    def __init__(
        self,
        home: SandboxHome,
        *,
        snowflake_port: int = 0,
        brevo_port: int = 0,
        brevo_rate_limits: bool = True,
    ) -> None:
        """`brevo_rate_limits=False` switches Brevo's limits off (benchmarks)."""
        self.home = home
        self.brevo_api_key = home.brevo_key_path.read_text().strip()
        self.snowflake = SnowflakeSandbox(
            SnowflakeSandboxSettings(
                db_path=home.warehouse_dir,
                account=ACCOUNT,
                public_keys={USER: home.public_key_path.read_text()},
            )
        )
        self._register_other_credentials()
        tier = "general" if brevo_rate_limits else None
        self.brevo = BrevoSandbox(
            BrevoSandboxSettings(api_keys={self.brevo_api_key}, tier=tier)
        )
        self._servers = [
            ServerThread(self.snowflake.app, snowflake_port, name="snowflake-sandbox"),
            ServerThread(self.brevo.app, brevo_port, name="brevo-sandbox"),
        ]

    @property
    def snowflake_url(self) -> str:
        return self._servers[0].url

    @property
    def brevo_url(self) -> str:
        return f"{self._servers[1].url}/v3"

    def start(self) -> "RunningSandbox":
        for server in self._servers:
            server.start()
        log.info(
            "sandbox up: Snowflake SQL API at %s, Brevo API at %s",
            self.snowflake_url,
            self.brevo_url,
        )
        return self

    def stop(self) -> None:
        for server in self._servers:
            server.stop()
        self.snowflake.close()
        log.info("sandbox stopped")

    def _register_other_credentials(self) -> None:
        """An OAuth client and a PAT for USER, new each start, to try those methods.

        Key pair stays the demo's method; these are exported by `environment()`.
        """
        self.oauth_client_id = "tajo-sandbox"
        self._oauth_client_secret = secrets.token_urlsafe(24)
        self._pat = f"sandbox-pat-{secrets.token_urlsafe(24)}"
        self.snowflake.register_oauth_client(
            self.oauth_client_id,
            OAuthClient(self._oauth_client_secret, USER, SANDBOX_ROLES),
        )
        self.snowflake.register_pat(USER, self._pat)

    def environment(self) -> dict[str, str]:
        """Variables that point tajo.yaml and Dagster at this sandbox."""
        return {
            "SNOWFLAKE_ACCOUNT": ACCOUNT.lower(),
            "SNOWFLAKE_USER": USER,
            "SNOWFLAKE_PRIVATE_KEY": self.home.private_key_path.read_text(),
            "SNOWFLAKE_OAUTH_CLIENT_ID": self.oauth_client_id,
            "SNOWFLAKE_OAUTH_CLIENT_SECRET": self._oauth_client_secret,
            "SNOWFLAKE_PAT": self._pat,
            "SNOWFLAKE_BASE_URL": self.snowflake_url,
            "BREVO_API_KEY": self.brevo_api_key,
            "BREVO_BASE_URL": self.brevo_url,
            "DAGSTER_HOME": str(self.home.dagster_home),
        }

    def __enter__(self) -> "RunningSandbox":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
