"""The `tajo` command as the README uses it."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
TAJO = str(Path(sys.executable).parent / "tajo")


def clean_environment(**extra: str) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TAJO_")}
    return environment | extra


def tajo(
    *args: str, timeout_s: float = 300, **extra_env: str
) -> subprocess.CompletedProcess:
    environment = clean_environment(**extra_env)
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
    # The job ran, observation and checks included, without advice to use `dg`.
    assert "observed:      marketing_db/ml_predictions/customer_scores" in output
    assert (
        "materialized:  brevo/customer_segments, models/customer_rfm, "
        "models/customer_segments, snowflake/customer_segments"
    ) in result.stdout
    # Every blocking check passed; the sample scores are older than 48 hours.
    assert "checks passed: 5 of 6" in result.stdout
    assert "not passed:  freshness_check on" in result.stdout
    assert "SupersessionWarning" not in output


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


def test_a_live_detached_sandbox_is_left_alone_and_stays_stoppable(tmp_path):
    home = tmp_path / "home"
    start = ["sandbox", "start", "--detach", "--scale-factor", "0.01"]
    start += ["--home", str(home), "--snowflake-port", "0", "--brevo-port", "0"]
    assert tajo(*start).returncode == 0
    first = int((home / "sandbox.pid").read_text())
    history = home / "dagster_home" / "marker"
    history.write_text("run history stands in here")

    second = tajo(*start)
    # demo and run would rebuild the home under the live sandbox.
    demo = tajo("demo", "--scale-factor", "0.01", "--home", str(home))
    run = tajo("sandbox", "run", "--home", str(home), "--", "true")
    stopped = tajo("sandbox", "stop", "--home", str(home))

    for refused in (second, demo, run):
        assert refused.returncode == 1
        assert f"already running (pid {first})" in refused.stdout
    assert history.exists()
    assert stopped.returncode == 0
    assert not _alive(first)


def test_sandbox_run_honours_tajo_config_and_stops_on_a_bad_one(tmp_path):
    bad = tmp_path / "tajo.yaml"
    bad.write_text("connectors:\n  snowflake:\n    acount: x\n")
    home = str(tmp_path / "home")

    result = tajo(
        "sandbox",
        "run",
        "--scale-factor",
        "0.01",
        "--home",
        home,
        "--",
        "true",
        TAJO_CONFIG=str(bad),
    )

    assert result.returncode == 2
    assert "connectors.snowflake.acount: unknown key" in result.stdout


def test_sigterm_to_sandbox_run_stops_the_command_and_the_sandbox(tmp_path):
    command = [TAJO, "sandbox", "run", "--scale-factor", "0.01"]
    command += ["--home", str(tmp_path / "home"), "--", sys.executable, "-c"]
    command += ["import time; print('ready', flush=True); time.sleep(120)"]
    process = subprocess.Popen(
        command, cwd=REPO, env=clean_environment(), stdout=subprocess.PIPE, text=True
    )
    assert process.stdout.readline().strip() == "ready"

    process.send_signal(signal.SIGTERM)

    assert process.wait(timeout=30) != 0


def test_sandbox_run_needs_a_command():
    result = tajo("sandbox", "run")

    assert result.returncode == 2
    assert "give a command after --" in result.stdout


def test_doctor_checks_the_demo_configuration_against_the_sandbox(tmp_path):
    home = str(tmp_path / "home")

    result = tajo(
        "sandbox", "run", "--scale-factor", "0.01", "--home", home, "--", TAJO, "doctor"
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "PASS  configuration: loads" in result.stdout
    assert "PASS  Snowflake sign-in: signed in to http://127.0.0.1:" in result.stdout
    assert "PASS  Brevo API key:" in result.stdout
    assert "FAIL" not in result.stdout


def test_doctor_exits_1_naming_what_to_fix(tmp_path):
    bad = tmp_path / "tajo.yaml"
    bad.write_text("connectors:\n  snowflake:\n    acount: x\n")

    result = tajo("doctor", "--config", str(bad))

    assert result.returncode == 1
    assert result.stdout.startswith("FAIL  configuration: The tajo configuration")
    assert "connectors.snowflake.acount: unknown key" in result.stdout
    assert "SKIP  Snowflake and Brevo: the configuration must load" in result.stdout


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
