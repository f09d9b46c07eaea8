"""The `tajo` command: run the local sandbox and the demo.

tajo demo                     start the sandbox, materialize everything, summarize
tajo sandbox run -- CMD ...   run CMD (e.g. `dagster dev`) against the sandbox
tajo sandbox start [--detach] serve the sandbox until stopped
tajo sandbox stop             stop a detached sandbox
"""

import argparse
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from tajo_assets.sandbox.runner import DEFAULT_HOME, RunningSandbox, prepare_home

log = logging.getLogger("tajo_assets.cli")

DEFAULT_SNOWFLAKE_PORT = 8765
DEFAULT_BREVO_PORT = 8766
READY_TIMEOUT_S = 120.0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    # A line per request (httpx) or per statement (the sandbox servers) would
    # drown the pipeline's own log.
    for noisy in (
        "httpx",
        "tajo_assets.sandbox.snowflake",
        "tajo_assets.sandbox.brevo",
    ):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    args = _parser().parse_args(argv)
    return args.handler(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tajo", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    demo = commands.add_parser("demo", help="run the main job on the sandbox")
    _add_home_options(demo)
    demo.add_argument("--config", type=Path, default=Path("tajo.yaml"))
    demo.set_defaults(handler=_demo)

    sandbox = commands.add_parser("sandbox", help="the local Snowflake and Brevo")
    verbs = sandbox.add_subparsers(required=True, metavar="VERB")
    start = verbs.add_parser("start", help="serve until interrupted (or --detach)")
    _add_home_options(start)
    start.add_argument("--snowflake-port", type=int, default=DEFAULT_SNOWFLAKE_PORT)
    start.add_argument("--brevo-port", type=int, default=DEFAULT_BREVO_PORT)
    start.add_argument("--detach", action="store_true", help="serve in the background")
    start.set_defaults(handler=_start)
    stop = verbs.add_parser("stop", help="stop a sandbox started with --detach")
    stop.add_argument("--home", type=Path, default=DEFAULT_HOME)
    stop.set_defaults(handler=_stop)
    run = verbs.add_parser("run", help="run a command against a fresh sandbox")
    _add_home_options(run)
    run.add_argument("command", nargs=argparse.REMAINDER, help="-- CMD [ARGS...]")
    run.set_defaults(handler=_run)
    return parser


def _add_home_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--home", type=Path, default=DEFAULT_HOME)
    parser.add_argument(
        "--scale-factor",
        type=float,
        default=1.0,
        help="TPC-H scale factor of the sample warehouse (1 = 150,000 customers)",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the warehouse's sync state and the Dagster home of the last run "
        "(by default both start empty, like the sandbox Brevo)",
    )


def _demo(args: argparse.Namespace) -> int:
    from tajo_assets.sandbox.summary import summarize

    home = prepare_home(args.home, scale_factor=args.scale_factor, fresh=True)
    _install_instance_config(home.dagster_home)
    with RunningSandbox(home) as sandbox:
        env = _child_environment(sandbox, args.config)
        materialize = [_venv_tool("dagster"), "asset", "materialize"]
        materialize += ["-m", "tajo_assets.definitions", "--select", "*"]
        returncode = subprocess.run(materialize, env=env, check=False).returncode  # noqa: S603
        if returncode != 0:
            print(f"dagster asset materialize failed with exit code {returncode}")
            return returncode
        summary = summarize(sandbox, args.config.resolve(), env)
    print(summary.text)
    return 0 if summary.ok else 1


def _run(args: argparse.Namespace) -> int:
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        print("tajo sandbox run: give a command after --, e.g. -- dagster dev")
        return 2
    home = prepare_home(args.home, scale_factor=args.scale_factor, fresh=not args.keep)
    _install_instance_config(home.dagster_home)
    with RunningSandbox(home) as sandbox:
        env = _child_environment(sandbox, Path("tajo.yaml"))
        try:
            return subprocess.run(command, env=env, check=False).returncode  # noqa: S603
        except KeyboardInterrupt:
            return 130


def _start(args: argparse.Namespace) -> int:
    if args.detach:
        return _start_detached(args)
    home = prepare_home(args.home, scale_factor=args.scale_factor, fresh=not args.keep)
    _install_instance_config(home.dagster_home)
    sandbox = RunningSandbox(
        home, snowflake_port=args.snowflake_port, brevo_port=args.brevo_port
    ).start()
    _write_env_file(home.env_file, sandbox.environment())
    print(f"sandbox running; `source {home.env_file}` to point tajo.yaml at it")
    stopping = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.append(True))
    while not stopping:
        time.sleep(0.2)
    home.env_file.unlink(missing_ok=True)
    sandbox.stop()
    return 0


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
    (home_root / "sandbox.pid").write_text(str(process.pid))
    deadline = time.monotonic() + READY_TIMEOUT_S
    while not env_file.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            print(f"sandbox did not start; see {log_path}")
            return 1
        time.sleep(0.2)
    print(f"sandbox running in the background (pid {process.pid}); ")
    print(f"`source {env_file}` to use it, `tajo sandbox stop` to stop it")
    return 0


def _stop(args: argparse.Namespace) -> int:
    pid_file = args.home.resolve() / "sandbox.pid"
    if not pid_file.exists():
        print(f"no detached sandbox found ({pid_file} is missing)")
        return 1
    pid = int(pid_file.read_text())
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        print(f"sandbox process {pid} was not running")
    else:
        _wait_for_exit(pid)
        print(f"sandbox (pid {pid}) stopped")
    pid_file.unlink()
    return 0


def _wait_for_exit(pid: int, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)


def _child_environment(sandbox: RunningSandbox, config: Path) -> dict[str, str]:
    return os.environ | sandbox.environment() | {"TAJO_CONFIG": str(config.resolve())}


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
