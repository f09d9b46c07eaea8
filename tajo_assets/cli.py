"""The `tajo` command: set up Snowflake, check the set-up, run the sandbox and demo.

tajo keygen                   write a key pair and print its ALTER USER statement
tajo setup-sql                print the least-privilege Snowflake set-up script
tajo doctor                   check configuration, Snowflake and Brevo
tajo demo                     start the sandbox, materialize everything, summarize
tajo sync                     run the tajo_sync job once, for the window open now
tajo sandbox run -- CMD ...   run CMD (e.g. `dagster dev`) against the sandbox
tajo sandbox start [--detach] serve the sandbox until stopped
tajo sandbox stop             stop a detached sandbox
"""

import argparse
import getpass
import json
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import yaml

from tajo_assets.automation.jobs import FORCE_TAG, FULL_RESYNC_TAG, SYNC_JOB_NAME
from tajo_assets.automation.orphans import CommandBusyError, owned_runs
from tajo_assets.automation.outcome import last_run_failures
from tajo_assets.automation.partitions import (
    WINDOW_KEY_SHAPE,
    job_partitions,
    open_window_key,
    window_key_problem,
)
from tajo_assets.config import (
    CONFIG_PATH_VAR,
    DEFAULT_BREVO_API_KEY_VAR,
    DEFAULT_PASSPHRASE_VAR,
    DEFAULT_PRIVATE_KEY_VAR,
    DEFAULT_USER_VAR,
    ConfigError,
    TajoConfig,
    check_environment,
    load_config,
    resolve_config_path,
)
from tajo_assets.config.document import read_document
from tajo_assets.config.env import VARIABLE_NAME
from tajo_assets.config.model import SECRET_PATHS
from tajo_assets.sandbox.runner import DEFAULT_HOME, RunningSandbox, prepare_home

log = logging.getLogger("tajo_assets.cli")

DEFAULT_SNOWFLAKE_PORT = 8765
DEFAULT_BREVO_PORT = 8766
READY_TIMEOUT_S = 120.0
# Dagster's run tags for one partition, and for a range read in one run.
PARTITION_TAG = "dagster/partition"
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
STOP_TIMEOUT_S = 30.0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(name)s %(message)s")
    # A line per request (httpx) or per statement (the sandbox servers) would
    # drown the pipeline's own log.
    # Dagster's instance storage (opened by the demo summary) logs its
    # migrations through alembic.
    for noisy in (
        "alembic",
        "httpx",
        "tajo_assets.sandbox.snowflake",
        "tajo_assets.sandbox.brevo",
    ):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return args.handler(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tajo", description=__doc__.splitlines()[0])
    parser.set_defaults(log_level=logging.INFO)
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    _add_setup_commands(commands)

    demo = commands.add_parser("demo", help="run the main job on the sandbox")
    _add_sandbox_options(demo)
    demo.set_defaults(handler=_demo)
    _add_sync_command(commands)

    sandbox = commands.add_parser("sandbox", help="the local Snowflake and Brevo")
    verbs = sandbox.add_subparsers(required=True, metavar="VERB")
    start = verbs.add_parser("start", help="serve until interrupted (or --detach)")
    _add_sandbox_options(start)
    _add_keep_option(start)
    start.add_argument(
        "--snowflake-port",
        type=int,
        default=DEFAULT_SNOWFLAKE_PORT,
        help="port of the Snowflake SQL API (0 picks a free one)",
    )
    start.add_argument(
        "--brevo-port",
        type=int,
        default=DEFAULT_BREVO_PORT,
        help="port of the Brevo API (0 picks a free one)",
    )
    start.add_argument("--detach", action="store_true", help="serve in the background")
    start.set_defaults(handler=_start)
    stop = verbs.add_parser("stop", help="stop a sandbox started with --detach")
    _add_home_option(stop)
    stop.set_defaults(handler=_stop)
    run = verbs.add_parser("run", help="run a command against the sandbox")
    _add_sandbox_options(run)
    _add_keep_option(run)
    run.add_argument("command", nargs=argparse.REMAINDER, help="-- CMD [ARGS...]")
    run.set_defaults(handler=_run)
    return parser


def _add_setup_commands(commands) -> None:
    """keygen, setup-sql and doctor: their output is the point, so logs stay quiet."""
    keygen = commands.add_parser("keygen", help="write an RSA key pair for Snowflake")
    keygen.add_argument("--out", type=Path, default=Path(), help="directory (./)")
    keygen.add_argument("--name", default="rsa_key", help="file name stem (rsa_key)")
    keygen.add_argument(
        "--user", help="Snowflake user (default: the user tajo.yaml names)"
    )
    keygen.add_argument(
        "--encrypt", action="store_true", help="encrypt the private key"
    )
    keygen.add_argument(
        "--passphrase-env",
        default=DEFAULT_PASSPHRASE_VAR,
        help="variable holding the passphrase for --encrypt (else you are asked)",
    )
    keygen.add_argument("--force", action="store_true", help="replace existing files")
    _add_config_option(keygen)
    keygen.set_defaults(handler=_keygen, log_level=logging.WARNING)

    setup_sql = commands.add_parser("setup-sql", help="print the Snowflake set-up")
    _add_config_option(setup_sql)
    setup_sql.add_argument(
        "--public-key", type=Path, help="the .pub file of tajo keygen, for the user"
    )
    setup_sql.add_argument(
        "--allowed-ip",
        action="append",
        default=[],
        metavar="CIDR",
        help="address or CIDR block tajo signs in from (repeat for more)",
    )
    setup_sql.set_defaults(handler=_setup_sql, log_level=logging.WARNING)

    doctor = commands.add_parser("doctor", help="check configuration and services")
    _add_config_option(doctor)
    # Retry warnings would interleave with the check lines that already say it.
    doctor.set_defaults(handler=_doctor, log_level=logging.ERROR)


def _add_config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        help=f"the tajo.yaml to use (default: ${CONFIG_PATH_VAR}, else ./tajo.yaml)",
    )


def _add_home_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--home",
        type=Path,
        default=DEFAULT_HOME,
        help=f"where the sandbox keeps its keys and data (default {DEFAULT_HOME})",
    )


def _add_sandbox_options(parser: argparse.ArgumentParser) -> None:
    _add_home_option(parser)
    _add_config_option(parser)
    parser.add_argument(
        "--scale-factor",
        type=float,
        default=1.0,
        help="TPC-H scale factor of the sample warehouse (1 = 150,000 customers)",
    )


def _add_keep_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the warehouse's sync state and the Dagster home of the last run "
        "(by default both start empty, like the sandbox Brevo)",
    )


def _keygen(args: argparse.Namespace) -> int:
    from tajo_assets.setup.identifiers import (
        IdentifierError,
        refuse_control_characters,
    )
    from tajo_assets.setup.keygen import KeygenError, instructions, write_key_pair

    passphrase = _new_passphrase(args.passphrase_env) if args.encrypt else None
    if args.encrypt and passphrase is None:
        return 2
    user = (
        args.user or _configured_user(args.config) or os.environ.get(DEFAULT_USER_VAR)
    )
    try:
        # The user is printed into an ALTER USER statement: check it first.
        refuse_control_characters((user or "").strip())
    except IdentifierError as error:
        print(f"tajo keygen: the Snowflake user: {error}; nothing was written")
        return 2
    try:
        files = write_key_pair(
            args.out, args.name, passphrase=passphrase, force=args.force
        )
    except KeygenError as error:
        print(f"tajo keygen: {error}")
        return 1
    print(instructions(files, user))
    return 0


def _new_passphrase(variable: str) -> str | None:
    """The passphrase from `variable`, else asked twice; never a command argument."""
    if os.environ.get(variable):
        return os.environ[variable]
    if not sys.stdin.isatty():
        print(
            f"tajo keygen: --encrypt needs a passphrase; set {variable} or run it "
            "in a terminal to be asked for one"
        )
        return None
    first = getpass.getpass("Passphrase for the private key: ")
    if not first:
        print("tajo keygen: the passphrase is empty; choose one, or drop --encrypt")
        return None
    if getpass.getpass("Same passphrase again: ") != first:
        print("tajo keygen: the two passphrases differ; nothing was written")
        return None
    return first


def _configured_user(path: Path | None) -> str | None:
    """The Snowflake user tajo.yaml names, if the file is there and loads."""
    source = resolve_config_path(path)
    if not source.is_file():
        return None
    try:
        config = _load_settings(source)
    except ConfigError as error:
        print(f"(could not read the user from {source}: {error})", file=sys.stderr)
        return None
    return config.snowflake.user


def _load_settings(path: Path) -> TajoConfig:
    """The configuration's non-secret settings: every unset secret variable is
    filled with a stand-in, since setting up comes before having the keys.

    The variables are the defaults and every `${VAR}` the file writes at a
    secret setting (SECRET_PATHS), whatever the auth method or names chosen.
    """
    stand_ins = {
        name: "unused-by-set-up"
        for name in _secret_variables(path)
        if not os.environ.get(name)
    }
    return load_config(path, env=os.environ | stand_ins)


_VARIABLE_REFERENCE = re.compile(rf"\$\{{({VARIABLE_NAME})")


def _secret_variables(path: Path) -> set[str]:
    """The default secret variables and those the file names at secret settings.

    Raises ConfigError if the file cannot be read as YAML (as load_config would);
    a missing file is left for load_config to explain.
    """
    names = {DEFAULT_PRIVATE_KEY_VAR, DEFAULT_BREVO_API_KEY_VAR}
    source = resolve_config_path(path)
    if not source.is_file():
        return names
    data = read_document(source).data
    for location in SECRET_PATHS:
        value = data
        for key in location:
            value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, str):
            names.update(_VARIABLE_REFERENCE.findall(value))
    return names


def _setup_sql(args: argparse.Namespace) -> int:
    from tajo_assets.setup.setup_sql import (
        SetupError,
        read_public_key,
        render_setup_sql,
    )

    source = resolve_config_path(args.config)
    try:
        config = _load_settings(source)
        user = config.snowflake.user or os.environ.get(DEFAULT_USER_VAR)
        if not user:
            raise SetupError(
                "no Snowflake user: set connectors.snowflake.user or "
                f"{DEFAULT_USER_VAR}"
            )
        public_key = read_public_key(args.public_key) if args.public_key else None
        script = render_setup_sql(
            config,
            source,
            user=user,
            public_key=public_key,
            allowed_ips=args.allowed_ip,
        )
    except (ConfigError, SetupError) as error:
        # stdout carries only the script, so it can be piped to a SQL client.
        print(f"tajo setup-sql: {error}", file=sys.stderr)
        return 2
    print(script, end="")
    return 0


def _doctor(args: argparse.Namespace) -> int:
    from tajo_assets.setup.doctor import Status, diagnose

    failed = False
    for check in diagnose(args.config):
        print(check.line(), flush=True)
        failed = failed or check.status is Status.FAIL
    return 1 if failed else 0


def _demo(args: argparse.Namespace) -> int:
    from tajo_assets.sandbox.summary import summarize

    config = resolve_config_path(args.config)
    # A fresh home would delete the warehouse and run history under a live sandbox.
    if _detached_sandbox_in(args.home):
        return 1
    built_at = datetime.now(UTC)
    home = prepare_home(args.home, scale_factor=args.scale_factor, fresh=True)
    _install_instance_config(home.dagster_home)
    with RunningSandbox(home) as sandbox:
        env = _child_environment(sandbox, config)
        if not _config_is_usable(config, env):
            return 2
        # The job, not `asset materialize --select '*'`: only the job also
        # observes the ML scores and runs their freshness check.
        execute = [_venv_tool("dagster"), "job", "execute"]
        execute += ["-m", "tajo_assets.definitions", "-j", "tajo_sync"]
        execute += _demo_window_tags(load_config(config, env=env), built_at)
        returncode = subprocess.run(execute, env=env, check=False).returncode  # noqa: S603
        if returncode != 0:
            print(f"dagster job execute failed with exit code {returncode}")
            return returncode
        summary = summarize(sandbox, config, env)
    print(summary.text)
    return 0 if summary.ok else 1


def _demo_window_tags(settings: TajoConfig, built_at: datetime) -> list[str]:
    """`--tags` for the windows from the warehouse build to now, if partitioned.

    The sandbox stamps its rows (UPDATED_AT) while it builds, so the windows
    from the one holding `built_at` to the one holding now cover all of them,
    even when the build crossed a window boundary. One run reads the range.
    """
    partitions = job_partitions(settings)
    if partitions is None:
        return []
    first = open_window_key(partitions, built_at)
    last = open_window_key(partitions, datetime.now(UTC))
    if first is None or last is None:
        # Only a partition_start in the future leaves now outside every window.
        raise SystemExit(
            "tajo demo: the sandbox's rows are older than the first partition; "
            "set connectors.snowflake.partition_start to a past date"
        )
    tags = {RANGE_START_TAG: first, RANGE_END_TAG: last}
    return ["--tags", json.dumps(tags)]


def _add_sync_command(commands) -> None:
    sync = commands.add_parser(
        "sync",
        help="run the tajo_sync job once",
        description="Run the tajo_sync job once through `dagster job execute`, "
        "against the accounts the environment names. A partitioned job runs the "
        "window open now, unless --window or --from and --to choose others.",
    )
    _add_config_option(sync)
    windows = sync.add_argument_group(
        "windows", f"a window's key is its start, {WINDOW_KEY_SHAPE}"
    )
    windows.add_argument("--window", metavar="KEY", help="run this one window")
    windows.add_argument(
        "--from", dest="first", metavar="KEY", help="first window of a range"
    )
    windows.add_argument(
        "--to", dest="last", metavar="KEY", help="last window of the range"
    )
    sync.add_argument(
        "--full-resync",
        action="store_true",
        help=f"re-send every row (run tag {FULL_RESYNC_TAG}=true)",
    )
    sync.add_argument(
        "--force",
        action="store_true",
        help=f"let the run shrink a list past the guard (run tag {FORCE_TAG}=true)",
    )
    sync.add_argument(
        "--dry-run",
        action="store_true",
        help="plan every sync and log the plan with a few sample rows; write "
        "nothing to Brevo or to the sync state (run config dry_run: true)",
    )
    sync.set_defaults(handler=_sync)


class WindowError(ValueError):
    """The windows asked of `tajo sync` are not windows of the job."""


def _sync(args: argparse.Namespace) -> int:
    config = resolve_config_path(args.config)
    env = _job_environment(os.environ, config)
    if not _config_is_usable(config, env):
        return 2
    try:
        tags = sync_tags(load_config(config, env=env), args, datetime.now(UTC))
    except WindowError as error:
        print(f"tajo sync: {error}")
        return 2

    try:
        with owned_runs(env.get("DAGSTER_HOME")) as owner_tags:
            returncode = _execute_sync(args, config, env, tags | owner_tags)
    except CommandBusyError as error:
        print(f"tajo sync: {error}")
        return 2
    if returncode != 0:
        reasons = _failure_reasons(env.get("DAGSTER_HOME"))
        print(
            f"tajo sync: the run failed (exit code {returncode})"
            + (":\n  " + "\n  ".join(reasons) if reasons else "; see its log above")
        )
    elif args.dry_run:
        print("tajo sync: dry run done; the plan is in the log above, nothing was sent")
    return returncode


def _failure_reasons(dagster_home: str | None) -> list[str]:
    """The failed checks and steps of the run just ended, read back from
    DAGSTER_HOME; none when that cannot be read (the log above still says)."""
    if not dagster_home or not Path(dagster_home).is_dir():
        return []
    try:
        return last_run_failures(dagster_home)
    except Exception:  # a summary must never hide the run's own exit code
        log.debug("could not read the failed run back", exc_info=True)
        return []


def _execute_sync(
    args: argparse.Namespace, config: Path, env: dict[str, str], tags: dict[str, str]
) -> int:
    """Run the job through `dagster job execute`; returns its exit code."""
    execute = [_venv_tool("dagster"), "job", "execute"]
    execute += ["-m", "tajo_assets.definitions", "-j", SYNC_JOB_NAME]
    execute += ["--tags", json.dumps(tags)] if tags else []
    log.info("running %s with tags %s", SYNC_JOB_NAME, json.dumps(tags))
    with tempfile.TemporaryDirectory(prefix="tajo-sync-") as scratch:
        if args.dry_run:
            run_config = Path(scratch) / "dry_run.yaml"
            run_config.write_text(dry_run_config(load_config(config, env=env)))
            execute += ["-c", str(run_config)]
        return subprocess.run(execute, env=env, check=False).returncode  # noqa: S603


def dry_run_config(settings: TajoConfig) -> str:
    """Run config (YAML) that makes every Brevo sync asset of the job a dry run."""
    names = [spec.name for spec in settings.syncs()]
    # Event syncs too: left out, a "dry" run would send their events.
    names += [spec.name for spec in settings.event_syncs()]
    ops = {f"brevo__{name}": {"config": {"dry_run": True}} for name in names}
    return yaml.safe_dump({"ops": ops})


def sync_tags(
    settings: TajoConfig, args: argparse.Namespace, now: datetime
) -> dict[str, str]:
    """The run tags of `tajo sync`: the windows to read, then the engine's switches.

    Raises WindowError for a key that is not a window's start, or window
    options given to a job without windows, before any run starts: Dagster
    takes any text in the range tags.
    """
    tags = _window_tags(job_partitions(settings), args, now)
    if args.full_resync:
        tags[FULL_RESYNC_TAG] = "true"
    if args.force:
        tags[FORCE_TAG] = "true"
    return tags


def _window_tags(
    partitions: dg.TimeWindowPartitionsDefinition | None,
    args: argparse.Namespace,
    now: datetime,
) -> dict[str, str]:
    """The partition tags: the open window (at `now`) unless the args name others."""
    if partitions is None:
        if args.window or args.first or args.last:
            raise WindowError(
                "no audience query uses :last_sync or :window_end, so tajo_sync "
                "has no windows; drop --window, --from and --to"
            )
        return {}
    if args.window and (args.first or args.last):
        raise WindowError("give either --window KEY or --from KEY --to KEY, not both")
    if bool(args.first) != bool(args.last):
        raise WindowError("a range needs both --from and --to (the same key for one)")

    if args.first:
        first = _window_key(partitions, args.first, "--from")
        last = _window_key(partitions, args.last, "--to")
        if partitions.less_than(last, first):
            raise WindowError(
                f"--from {first} comes after --to {last}; give the earlier first"
            )
        return {RANGE_START_TAG: first, RANGE_END_TAG: last}
    if args.window:
        return {PARTITION_TAG: _window_key(partitions, args.window, "--window")}
    key = open_window_key(partitions, now)
    if key is None:
        raise WindowError(
            "no window holds the present: connectors.snowflake.partition_start "
            "is in the future; set it to a past date"
        )
    return {PARTITION_TAG: key}


def _window_key(
    partitions: dg.TimeWindowPartitionsDefinition, key: str, option: str
) -> str:
    """`key` if it is the start of a window; else WindowError naming the nearest."""
    problem = window_key_problem(partitions, key)
    if problem is not None:
        raise WindowError(f"{option} {problem}")
    return key


def _run(args: argparse.Namespace) -> int:
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        print("tajo sandbox run: give a command after --, e.g. -- dagster dev")
        return 2
    config = resolve_config_path(args.config)
    if _detached_sandbox_in(args.home):
        return 1
    home = _prepare(args)
    with RunningSandbox(home) as sandbox:
        env = _child_environment(sandbox, config)
        if not _config_is_usable(config, env):
            return 2
        return _run_child(command, env)


def _run_child(command: list[str], env: dict[str, str]) -> int:
    """Run `command` to its end; SIGTERM is passed on so the sandbox stops last."""
    try:
        child = subprocess.Popen(command, env=env)  # noqa: S603
    except FileNotFoundError:
        print(f"tajo sandbox run: no such command: {command[0]}")
        return 127
    previous = signal.signal(signal.SIGTERM, lambda *_: child.terminate())
    try:
        return child.wait()
    except KeyboardInterrupt:
        # The terminal sent SIGINT to the child too; let it finish shutting down.
        return child.wait()
    finally:
        signal.signal(signal.SIGTERM, previous)


def _detached_sandbox_in(home: Path) -> bool:
    """Say so when a detached sandbox serves `home`: another must not touch it."""
    running = _running_pid(home.resolve())
    if running is not None:
        print(
            f"a detached sandbox is already running (pid {running}) in "
            f"{home.resolve()}; use it (source {home}/sandbox.env), stop it first "
            "with `tajo sandbox stop`, or give this command another --home"
        )
    return running is not None


def _start(args: argparse.Namespace) -> int:
    if _detached_sandbox_in(args.home):
        return 1
    if args.detach:
        return _start_detached(args)
    home = _prepare(args)
    try:
        sandbox = RunningSandbox(
            home, snowflake_port=args.snowflake_port, brevo_port=args.brevo_port
        )
    except OSError as error:
        print(
            f"cannot listen on 127.0.0.1 ports {args.snowflake_port} and "
            f"{args.brevo_port} ({error.strerror}); is another sandbox running? "
            "Choose others with --snowflake-port and --brevo-port"
        )
        return 1
    sandbox.start()
    _write_env_file(home.env_file, sandbox.environment())
    print(f"sandbox running; `source {home.env_file}` to point tajo.yaml at it")
    _wait_for_stop_signal()
    home.env_file.unlink(missing_ok=True)
    sandbox.stop()
    return 0


def _prepare(args: argparse.Namespace):
    home = prepare_home(args.home, scale_factor=args.scale_factor, fresh=not args.keep)
    if args.keep:
        log.warning(
            "--keep: the warehouse keeps its sync state but the sandbox Brevo "
            "starts empty, so the next sync sends only rows changed since then; "
            "run `tajo sync --full-resync` to send every row"
        )
    _install_instance_config(home.dagster_home)
    return home


def _wait_for_stop_signal() -> None:
    stopping = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.append(True))
    while not stopping:
        time.sleep(0.2)


def _start_detached(args: argparse.Namespace) -> int:
    home_root = args.home.resolve()
    env_file = home_root / "sandbox.env"
    env_file.unlink(missing_ok=True)
    command = [sys.executable, "-m", "tajo_assets.cli", "sandbox", "start"]
    command += ["--home", str(home_root), "--scale-factor", str(args.scale_factor)]
    command += ["--snowflake-port", str(args.snowflake_port)]
    command += ["--brevo-port", str(args.brevo_port)]
    command += ["--keep"] if args.keep else []
    home_root.mkdir(parents=True, exist_ok=True)
    log_path = home_root / "sandbox.log"
    with log_path.open("ab") as log_file:
        process = subprocess.Popen(  # noqa: S603
            command, stdout=log_file, stderr=log_file, start_new_session=True
        )
    deadline = time.monotonic() + READY_TIMEOUT_S
    while not env_file.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            print(f"the sandbox did not start (are its ports in use?); see {log_path}")
            return 1
        time.sleep(0.2)
    (home_root / "sandbox.pid").write_text(str(process.pid))
    print(f"sandbox running in the background (pid {process.pid}).")
    print(f"`source {env_file}` to use it, `tajo sandbox stop` to stop it.")
    return 0


def _stop(args: argparse.Namespace) -> int:
    pid_file = args.home.resolve() / "sandbox.pid"
    pid = _running_pid(args.home.resolve())
    if pid is None:
        pid_file.unlink(missing_ok=True)
        print(f"no detached sandbox is running in {args.home.resolve()}")
        return 1
    os.kill(pid, signal.SIGTERM)
    if not _wait_for_exit(pid, STOP_TIMEOUT_S):
        print(f"sandbox (pid {pid}) did not stop in {STOP_TIMEOUT_S:.0f}s; killing it")
        os.kill(pid, signal.SIGKILL)
    pid_file.unlink(missing_ok=True)
    print(f"sandbox (pid {pid}) stopped")
    return 0


def _running_pid(home: Path) -> int | None:
    """The pid of this home's detached sandbox, if it is alive."""
    pid_file = home / "sandbox.pid"
    if not pid_file.exists():
        return None
    pid = int(pid_file.read_text())
    return pid if _alive(pid) else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _wait_for_exit(pid: int, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.1)
    return False


def _config_is_usable(config: Path, env: dict[str, str]) -> bool:
    """Load the configuration as Dagster will; print its problems if it fails."""
    try:
        check_environment(load_config(config, env=env), env=env)
    except ConfigError as error:
        print(error)
        return False
    return True


# Dagster 1.13 points `dagster job execute` users at `dg`, which this project
# does not install; the advice would only confuse.
JOB_EXECUTE_SUPERSEDED = "ignore:Function `job_execute_command` is superseded"


def _child_environment(sandbox: RunningSandbox, config: Path) -> dict[str, str]:
    """The job's environment on the sandbox, with this venv's tools on PATH, so
    `tajo sandbox run -- dagster dev` works without an activated venv."""
    tools = str(Path(sys.executable).parent)
    path = os.pathsep.join(filter(None, [tools, os.environ.get("PATH")]))
    return _job_environment(os.environ | sandbox.environment(), config) | {"PATH": path}


def _job_environment(base: Mapping[str, str], config: Path) -> dict[str, str]:
    """`base` pointed at `config`, without Dagster's advice to use `dg`."""
    warnings = ",".join(
        filter(None, [base.get("PYTHONWARNINGS"), JOB_EXECUTE_SUPERSEDED])
    )
    return dict(base) | {
        CONFIG_PATH_VAR: str(config.resolve()),
        "PYTHONWARNINGS": warnings,
    }


def _install_instance_config(dagster_home: Path) -> None:
    """Dagster reads dagster.yaml only from DAGSTER_HOME, so copy the project's."""
    project_config = Path("dagster.yaml")
    if project_config.exists():
        shutil.copyfile(project_config, dagster_home / "dagster.yaml")


def _venv_tool(name: str) -> str:
    beside_python = Path(sys.executable).parent / name
    return str(beside_python) if beside_python.exists() else name


def _write_env_file(path: Path, environment: dict[str, str]) -> None:
    lines = [f'export {key}="{value}"' for key, value in environment.items()]
    path.touch(mode=0o600, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
