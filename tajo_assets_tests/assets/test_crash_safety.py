"""A sync killed with SIGKILL at random points, then rerun, leaves Brevo as one
clean run would.

`tajo sync` runs in its own process group (it starts `dagster job execute`,
which may start step processes); the test kills the whole group, as a container
runtime does, while the sandbox it talks to keeps running in this process. Kill
points are drawn from a seeded generator: after some Brevo requests (an import
sent but not yet confirmed, a list change half done) or after some seconds (the
warehouse steps). After the kills, one run to completion must leave exactly the
expected contacts, values and list members.
"""

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tajo_assets_tests.assets.conftest import Project, create_table, warehouse_client
from tajo_assets_tests.test_cli import REPO

ROWS = 2000
MAPPING = {"email": "email", "first_name": "FIRSTNAME", "score": "SCORE"}
# Small import bodies: a run sends several imports, so kills land between them.
BREVO = "import_body_bytes: 40000\n"
KILLS_PER_STAGE = 2
LIST_NAME = "Customer segments (Snowflake)"
RUN_TIMEOUT_S = 240


def address(person: int) -> str:
    return f"crash{person}@example.com"


@pytest.fixture
def crowd(sandbox_env) -> str:
    rows = [
        f"({i}, '{address(i)}', 'Name {i}', {i}.25, TRUE)" for i in range(1, ROWS + 1)
    ]
    return create_table(
        sandbox_env, "CROWD", rows, "ID, EMAIL, FIRST_NAME, SCORE, IN_AUDIENCE"
    )


@pytest.fixture
def tajo_sync(tmp_path):
    """Start `tajo sync` for a project in a new process group; returns the Popen."""
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    shutil.copy(REPO / "dagster.yaml", dagster_home / "dagster.yaml")
    tajo = str(Path(sys.executable).with_name("tajo"))

    def start(project: Project, log: Path) -> subprocess.Popen:
        env = {
            **os.environ,
            **project.env,
            "TAJO_CONFIG": str(project.path),
            "DAGSTER_HOME": str(dagster_home),
        }
        with log.open("ab") as out:
            return subprocess.Popen(
                [tajo, "sync"], env=env, stdout=out, stderr=out, start_new_session=True
            )

    return start


# Where a run can be killed: after some seconds (the warehouse steps), or after
# the n-th request of a kind to Brevo.
ROUTES = {
    "imports sent": ("POST", "/v3/contacts/import"),
    "processes polled": ("GET", "/v3/processes/{processId}"),
    "members removed": ("POST", "/v3/contacts/lists/{listId}/contacts/remove"),
}


def requests_to(sandbox, kind: str) -> int:
    count = sandbox.brevo.request_counts.by_route.get(ROUTES[kind])
    return count.requests if count else 0


def kill_at(process: subprocess.Popen, point: tuple[str, float], sandbox) -> bool:
    """SIGKILL the run's process group at `point`; False if it ended before."""
    kind, amount = point
    started = time.monotonic()
    before = 0 if kind == "seconds" else requests_to(sandbox, kind)
    while process.poll() is None:
        waited = time.monotonic() - started
        if waited > RUN_TIMEOUT_S:
            os.killpg(process.pid, signal.SIGKILL)
            pytest.fail(f"the run neither ended nor reached {point}: it hangs")
        if kind == "seconds":
            reached = waited >= amount
        else:
            reached = requests_to(sandbox, kind) - before >= amount
        if reached:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            return True
        time.sleep(0.02)
    return False


def kill_points(rng: random.Random, kinds: dict[str, int]) -> list[tuple[str, float]]:
    """Points among `kinds` (a kind of request and how many a run makes), or
    after some seconds."""
    points = []
    for _ in range(KILLS_PER_STAGE):
        kind = rng.choice(["seconds", *kinds])
        if kind == "seconds":
            points.append((kind, round(rng.uniform(4.0, 9.0), 1)))
        else:
            points.append((kind, rng.randint(1, kinds[kind])))
    return points


def run_with_kills(project, tajo_sync, sandbox, points, log: Path) -> list[str]:
    """Kill runs at `points`, then run to completion; returns what happened."""
    happened = []
    for point in points:
        killed = kill_at(tajo_sync(project, log), point, sandbox)
        happened.append(f"{'killed' if killed else 'finished before'} at {point}")
        with log.open("a") as out:
            out.write(f"test: {happened[-1]}\n")
    assert any(line.startswith("killed") for line in happened), happened
    final = tajo_sync(project, log)
    assert final.wait(timeout=RUN_TIMEOUT_S) == 0, log.read_text()[-3000:]
    return happened


def brevo_view(sandbox) -> tuple[dict[str, tuple], set[str]]:
    """Every contact's (FIRSTNAME, SCORE) by email, and the list's members."""
    contacts = sandbox.brevo.contacts()
    values = {
        c["email"]: (c["attributes"].get("FIRSTNAME"), c["attributes"].get("SCORE"))
        for c in contacts
    }
    [synced] = [item for item in sandbox.brevo.lists() if item["name"] == LIST_NAME]
    ids = set(synced["contactIds"])
    return values, {c["email"] for c in contacts if c["id"] in ids}


def expected_view(env, table: str, earlier: dict[str, tuple]) -> tuple[dict, set]:
    """What one clean run gives: the audience's current values (contacts who
    left keep what they last had) and the audience as the list."""
    with warehouse_client(env) as client:
        rows = client.execute(
            f"SELECT EMAIL, FIRST_NAME, SCORE, IN_AUDIENCE FROM {table}"  # noqa: S608
        ).rows()
        rows = list(rows)
    values = dict(earlier)
    values |= {row[0]: (row[1], float(row[2])) for row in rows if row[3]}
    return values, {row[0] for row in rows if row[3]}


def test_kills_at_random_points_then_a_rerun_leave_brevo_as_one_clean_run(
    write_project, crowd, sandbox, tajo_sync, tmp_path
):
    project = write_project(
        MAPPING,
        f"SELECT email, first_name, score FROM {crowd} WHERE in_audience",  # noqa: S608
        brevo=BREVO,
        sync="mode: mirror",
    )
    rng = random.Random(20261204)
    log = tmp_path / "runs.log"

    # 2,000 new contacts: 5 imports, each polled once.
    points = kill_points(rng, {"imports sent": 5, "processes polled": 5})
    first = run_with_kills(project, tajo_sync, sandbox, points, log)
    after_first = brevo_view(sandbox)
    assert after_first == expected_view(project.env, crowd, {}), first

    with warehouse_client(project.env) as client:
        client.execute(f"UPDATE {crowd} SET IN_AUDIENCE = FALSE WHERE ID <= 300")  # noqa: S608
        client.execute(
            f"UPDATE {crowd} SET FIRST_NAME = 'Renamed ' || ID "  # noqa: S608
            "WHERE ID BETWEEN 1001 AND 1300"
        )
    # 300 renamed (one import) and 300 leaving the list (two removals of 150).
    points = kill_points(
        rng, {"imports sent": 1, "processes polled": 1, "members removed": 2}
    )
    second = run_with_kills(project, tajo_sync, sandbox, points, log)

    assert brevo_view(sandbox) == expected_view(project.env, crowd, after_first[0]), (
        second
    )
