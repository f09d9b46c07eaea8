"""The `tajo` command as the README uses it."""

import os
import subprocess
import sys
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
TAJO = str(Path(sys.executable).parent / "tajo")


def tajo(*args: str, timeout_s: float = 300) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TAJO_")}
    return subprocess.run(
        [TAJO, *args],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )


def test_demo_syncs_the_sample_warehouse_and_checks_every_contact(tmp_path):
    result = tajo("demo", "--scale-factor", "0.01", "--home", str(tmp_path / "home"))

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "warehouse rows 1,500:" in result.stdout
    assert "missing from Brevo: 0, not in the list: 0, attribute mismatches: 0" in (
        result.stdout
    )
    assert "    OK" in result.stdout


def test_a_detached_sandbox_serves_until_stopped(tmp_path):
    home = tmp_path / "home"
    ports = ["--snowflake-port", "0", "--brevo-port", "0"]

    started = tajo(
        "sandbox",
        "start",
        "--detach",
        "--scale-factor",
        "0.01",
        "--home",
        str(home),
        *ports,
    )
    assert started.returncode == 0, started.stdout + started.stderr
    env = _read_env_file(home / "sandbox.env")
    answer = httpx.get(
        f"{env['BREVO_BASE_URL']}/account", headers={"api-key": env["BREVO_API_KEY"]}
    )
    pid = int((home / "sandbox.pid").read_text())
    stopped = tajo("sandbox", "stop", "--home", str(home))

    assert answer.status_code == 200
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    assert not _alive(pid)
    assert not (home / "sandbox.env").exists()


def test_sandbox_run_needs_a_command():
    result = tajo("sandbox", "run")

    assert result.returncode == 2
    assert "give a command after --" in result.stdout


def _read_env_file(path: Path) -> dict[str, str]:
    environment = {}
    for line in path.read_text().split("\nexport "):
        name, _, value = line.removeprefix("export ").partition("=")
        environment[name] = value.strip().strip('"')
    return environment


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
