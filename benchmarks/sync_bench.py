"""The sync benchmark: N contacts through both sandboxes, next to the naive approach.

    make bench                                   # N = 100,000 and 1,000,000
    .venv/bin/python -m benchmarks.sync_bench --rows 20000 50000

For each N it builds a fresh sandbox with Brevo's rate limits switched off,
creates N contacts in the warehouse, and runs the audience and its sync in a
process of their own (`benchmarks.sync_child`), measuring wall time, rows per
second, the process's peak resident memory, Brevo requests and bytes, and
warehouse statements. It then changes 1% of the rows and runs again. Last, it
sends a sample of rows the naive way a user would write from the seed's sample,
one `POST /contacts` per row, and prints the ratios. Figures go to stdout and to
a markdown report (`--report`, default benchmarks/REPORT.md).
"""

import argparse
import json
import math
import os
import platform
import pstats
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

from benchmarks.sync_child import PROFILE_VARIABLE
from tajo_assets.brevo.imports import BREVO_MAX_BODY_BYTES
from tajo_assets.sandbox.runner import RunningSandbox, prepare_home
from tajo_assets.snowflake import SnowflakeSqlApiResource

REPO = Path(__file__).resolve().parents[1]
TABLE = "MARKETING_DB.BENCH.CONTACTS"
LIST_NAME = "Benchmark contacts"
CHANGED_SHARE = 100  # one row in this many changes before the incremental rerun
MAPPING = {
    "email": "email",
    "first_name": "FIRSTNAME",
    "last_name": "LASTNAME",
    "score": "SCORE",
    "orders": "ORDERS",
    "last_order": "LAST_ORDER",
    "vip": "VIP",
}
CREATE_CONTACTS = """\
CREATE OR REPLACE TABLE {table} AS
SELECT SEQ4() + 1 AS ID,
       'person' || (SEQ4() + 1) || '@example.com' AS EMAIL,
       'First' || MOD(SEQ4(), 997) AS FIRST_NAME,
       'Last' || MOD(SEQ4(), 1009) AS LAST_NAME,
       MOD(SEQ4(), 1000) / 10.0 AS SCORE,
       MOD(SEQ4(), 50) AS ORDERS,
       DATEADD(DAY, -MOD(SEQ4(), 365), '2026-11-30'::DATE) AS LAST_ORDER,
       MOD(SEQ4(), 7) = 0 AS VIP
FROM TABLE(GENERATOR(ROWCOUNT => {rows}))
"""


@dataclass
class Run:
    """One sync run as measured from outside and as its metadata reports it."""

    wall_s: float
    peak_rss_mb: float
    rows_sent: int
    brevo_requests: int
    brevo_bytes: int
    statements: int
    imports: int

    @property
    def rows_per_s(self) -> float:
        return self.rows_sent / self.wall_s if self.wall_s else 0.0


@dataclass
class Naive:
    rows: int
    wall_s: float
    bytes_sent: int

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.wall_s


@dataclass
class Result:
    rows: int
    full: Run
    rerun: Run
    naive: Naive
    minimum_requests: int


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    machine = describe_machine()
    print(f"machine: {machine}", flush=True)
    results = [
        bench(rows, args.naive_sample, args.profile, args.import_body_bytes)
        for rows in args.rows
    ]
    report = render_report(machine, results)
    print(report)
    args.report.write_text(report)
    print(f"report written to {args.report}")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--rows", type=int, nargs="+", default=[100_000, 1_000_000], metavar="N"
    )
    parser.add_argument(
        "--naive-sample",
        type=int,
        default=2_000,
        help="rows sent one POST /contacts each, to time the naive approach",
    )
    parser.add_argument(
        "--report", type=Path, default=REPO / "benchmarks" / "REPORT.md"
    )
    parser.add_argument(
        "--import-body-bytes",
        type=int,
        metavar="BYTES",
        help="connectors.brevo.import_body_bytes for the syncs (default: the "
        "project's, 8,000,000 as Brevo recommends)",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="run each full sync under cProfile, write DIR/sync-N.prof and print "
        "its costliest functions",
    )
    return parser


def bench(
    rows: int,
    naive_sample: int,
    profile: Path | None = None,
    import_body_bytes: int | None = None,
) -> Result:
    """Full sync, 1% rerun and the naive sample for `rows` contacts; with
    `profile`, the full sync's cProfile statistics go to that directory."""
    with tempfile.TemporaryDirectory(prefix="tajo-bench-") as scratch:
        home = prepare_home(Path(scratch) / "sandbox", scale_factor=0.01)
        with RunningSandbox(home, brevo_rate_limits=False) as sandbox:
            env = sandbox.environment()
            config = write_config(Path(scratch), env, import_body_bytes)
            warehouse(env, CREATE_CONTACTS.format(table=TABLE, rows=int(rows)))
            print(f"N={rows:,}: contacts created; full sync...", flush=True)
            stats = None if profile is None else profile / f"sync-{rows}.prof"
            full = run_sync(config, env, stats)
            if stats is not None:
                print_profile(stats)
            assert full.rows_sent == rows, f"sent {full.rows_sent} of {rows} rows"
            assert len(sandbox.brevo.contacts()) == rows
            warehouse(
                env,
                f"UPDATE {TABLE} SET SCORE = SCORE + 1 "  # noqa: S608
                f"WHERE MOD(ID, {CHANGED_SHARE}) = 0",
            )
            print(f"N={rows:,}: 1% changed; incremental rerun...", flush=True)
            rerun = run_sync(config, env)
            print(f"N={rows:,}: naive sample of {naive_sample:,} rows...", flush=True)
            naive = run_naive(env, min(naive_sample, rows))
    return Result(rows, full, rerun, naive, minimum_requests(full))


def minimum_requests(run: Run) -> int:
    """The fewest Brevo requests the run's work allows: its fixed calls (list,
    folder and attribute look-ups and creations), plus one import and one status
    read per 10 MB body, Brevo's largest."""
    fixed = run.brevo_requests - 2 * run.imports
    return fixed + 2 * math.ceil(run.brevo_bytes / BREVO_MAX_BODY_BYTES)


def write_config(
    scratch: Path, env: dict[str, str], import_body_bytes: int | None = None
) -> Path:
    mapping = "\n".join(f"  {column}: {target}" for column, target in MAPPING.items())
    query = f"SELECT {', '.join(MAPPING)} FROM {TABLE}"  # noqa: S608
    text = textwrap.dedent(
        f"""\
        connectors:
          snowflake:
            account: "${{SNOWFLAKE_ACCOUNT}}"
            user: "${{SNOWFLAKE_USER}}"
            auth:
              method: key_pair
              private_key: ${{SNOWFLAKE_PRIVATE_KEY}}
            base_url: "${{SNOWFLAKE_BASE_URL}}"
            warehouse: TAJO_WH
            database: MARKETING_DB
            schema: PUBLIC
            role: TAJO_ROLE
            state_schema: TAJO_BENCH_STATE
            queries:
              bench_contacts: "{query}"
          brevo:
            api_key: ${{BREVO_API_KEY}}
            base_url: "${{BREVO_BASE_URL}}"
        {{body_bytes}}field_mapping:
        {{mapping}}
        syncs:
          bench_contacts:
            query: bench_contacts
            destination:
              list_name: {LIST_NAME}
        """
    ).replace("{mapping}", mapping)
    body_bytes = (
        f"    import_body_bytes: {import_body_bytes}\n" if import_body_bytes else ""
    )
    text = text.replace("{body_bytes}", body_bytes)
    path = scratch / "tajo.yaml"
    path.write_text(text)
    return path


def warehouse(env: dict[str, str], sql: str) -> list[tuple]:
    resource = SnowflakeSqlApiResource(
        account=env["SNOWFLAKE_ACCOUNT"],
        user=env["SNOWFLAKE_USER"],
        private_key=env["SNOWFLAKE_PRIVATE_KEY"],
        base_url=env["SNOWFLAKE_BASE_URL"],
        database="MARKETING_DB",
        schema="PUBLIC",
    )
    if sql.startswith("CREATE OR REPLACE TABLE"):
        with resource.get_client() as client:
            client.execute("CREATE SCHEMA IF NOT EXISTS MARKETING_DB.BENCH")
    with resource.get_client() as client:
        return list(client.execute(sql).rows())


def run_sync(config: Path, env: dict[str, str], stats: Path | None = None) -> Run:
    """Run the sync in a child process, which reports its own wall time and
    peak memory (`sync_child`).

    With `stats`, the child runs under cProfile (slower) and writes there.
    """
    child_env = {**os.environ, **env, "TAJO_CONFIG": str(config)}
    if stats is not None:
        stats.parent.mkdir(parents=True, exist_ok=True)
        child_env[PROFILE_VARIABLE] = str(stats)
    child_env["PYTHONWARNINGS"] = "ignore"
    with tempfile.TemporaryFile() as out:
        process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "benchmarks.sync_child", str(config)],
            env=child_env,
            cwd=REPO,
            stdout=out,
            stderr=subprocess.DEVNULL,
        )
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        lines = out.read().decode().strip().splitlines()
    if process.returncode != 0 or not lines:
        raise SystemExit(f"the benchmark's sync run failed: {lines[-1:]}")
    measured = json.loads(lines[-1])
    audience = measured["metadata"]["snowflake/bench_contacts"]
    sync = measured["metadata"]["brevo/bench_contacts"]
    run = Run(
        wall_s=measured["wall_s"],
        # The child's own high-water mark; ru_maxrss (kilobytes on Linux) is the
        # fallback, and can include this process's size at fork time.
        peak_rss_mb=(measured.get("peak_rss_kb") or usage.ru_maxrss) / 1024,
        rows_sent=int(sync["contacts_sent"]),
        brevo_requests=int(sync["brevo_requests"]),
        brevo_bytes=int(sync["brevo_bytes_sent"]),
        statements=int(audience["snowflake_statements"])
        + int(sync["snowflake_statements"]),
        imports=int(sync["brevo_import_process_ids"]),
    )
    return run


def print_profile(stats: Path, top: int = 25) -> None:
    """The functions that took the most time of their own, then cumulatively."""
    for order in ("tottime", "cumulative"):
        print(f"profile of the full sync, by {order} ({stats}):")
        pstats.Stats(str(stats)).sort_stats(order).print_stats(top)


def run_naive(env: dict[str, str], sample: int) -> Naive:
    """One `POST /contacts` per row, as the seed's sample would: no batching."""
    rows = warehouse(
        env,
        f"SELECT EMAIL, FIRST_NAME, LAST_NAME, SCORE, ORDERS, LAST_ORDER, VIP "  # noqa: S608
        f"FROM {TABLE} ORDER BY ID LIMIT {int(sample)}",
    )
    sent = 0
    started = time.perf_counter()
    with httpx.Client(
        base_url=env["BREVO_BASE_URL"], headers={"api-key": env["BREVO_API_KEY"]}
    ) as client:
        for email, first, last, score, orders, last_order, vip in rows:
            body = {
                "email": email,
                "attributes": {
                    "FIRSTNAME": first,
                    "LASTNAME": last,
                    "SCORE": float(score),
                    "ORDERS": int(orders),
                    "LAST_ORDER": str(last_order),
                    "VIP": bool(vip),
                },
                "updateEnabled": True,
            }
            response = client.post("/contacts", json=body)
            response.raise_for_status()
            sent += len(response.request.content)
    return Naive(len(rows), time.perf_counter() - started, sent)


def describe_machine() -> str:
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        total_kb = int(meminfo.read_text().split()[1])
        memory = f", {total_kb / 1024 / 1024:.0f} GB RAM"
    return (
        f"{os.cpu_count()} cores ({model}){memory}, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}"
    )


def render_report(machine: str, results: list[Result]) -> str:
    lines = [
        "# Sync benchmark",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine}, with "
        "`make bench`. Both sandboxes on loopback, Brevo's rate limits off.",
        "",
        "| N | wall s | rows/s | peak RSS MB | Brevo requests (min) | Brevo MB "
        "| statements | 1% rerun: rows sent, s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        f, re_ = r.full, r.rerun
        lines.append(
            f"| {r.rows:,} | {f.wall_s:.1f} | {f.rows_per_s:,.0f} | "
            f"{f.peak_rss_mb:.0f} | {f.brevo_requests} ({r.minimum_requests}) | "
            f"{f.brevo_bytes / 1e6:.1f} | {f.statements} | "
            f"{re_.rows_sent:,}, {re_.wall_s:.1f} |"
        )
    lines += ["", "## Against the naive approach (one `POST /contacts` per row)", ""]
    lines += [
        "| N | naive rows/s (sample) | naive requests | naive time at N, "
        "no limits | at 10 requests/s (General tier) | speed-up | requests ratio |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        naive_s = r.rows / r.naive.rows_per_s
        tier_s = r.rows / 10
        lines.append(
            f"| {r.rows:,} | {r.naive.rows_per_s:,.0f} ({r.naive.rows:,} rows) | "
            f"{r.rows:,} | {naive_s:,.0f} s | {tier_s / 3600:,.1f} h | "
            f"{naive_s / r.full.wall_s:,.1f}x (at the tier: "
            f"{tier_s / r.full.wall_s:,.0f}x) | "
            f"{r.rows / r.full.brevo_requests:,.0f}x fewer |"
        )
    lines += ["", "## Targets", ""] + [
        f"- {text}: {'met' if met else 'NOT met'}" for text, met in targets(results)
    ]
    return "\n".join(lines) + "\n"


def targets(results: list[Result]) -> list[tuple[str, bool]]:
    """The issue's targets, each as (what was measured against what, met)."""
    large = results[-1]
    checks = [
        (
            f"{large.full.rows_per_s:,.0f} rows/s end to end at N={large.rows:,} "
            "(target: at least 50,000)",
            large.full.rows_per_s >= 50_000,
        )
    ]
    if len(results) > 1:
        small = results[0]
        growth = large.full.peak_rss_mb / small.full.peak_rss_mb
        checks.append(
            (
                f"peak memory at N={large.rows:,} is {growth:.2f} times that at "
                f"N={small.rows:,} (target: at most 1.25)",
                growth <= 1.25,
            )
        )
    for r in results:
        over = r.full.brevo_requests / r.minimum_requests - 1
        checks.append(
            (
                f"N={r.rows:,}: {r.full.brevo_requests} Brevo requests, {over:.0%} "
                f"over the {r.minimum_requests} that 10 MB import bodies allow "
                "(target: within 10%)",
                over <= 0.10,
            )
        )
        changed = r.rows // CHANGED_SHARE
        checks.append(
            (
                f"N={r.rows:,}: the 1% rerun sent {r.rerun.rows_sent:,} rows for "
                f"{changed:,} changed (target: only the changed rows)",
                r.rerun.rows_sent == changed,
            )
        )
    return checks


if __name__ == "__main__":
    sys.exit(main())
