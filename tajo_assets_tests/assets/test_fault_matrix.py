"""Each fault production throws, at the level of a whole run: the run completes,
or fails naming what went wrong; after a rerun without the fault, Brevo holds
exactly what one clean run gives.

The audience is the `people` table (200 contacts) mirrored into one list, sent
in several imports (small import bodies) and read back from the warehouse in
several result partitions, so each fault can land between batches.
"""

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from tajo_assets_tests.assets.conftest import PEOPLE, email

MAPPING = {"email": "email", "first_name": "FIRSTNAME", "score": "SCORE"}
LIST_NAME = "Customer segments (Snowflake)"
# Two imports for 200 contacts. (5xx beyond the client's retries is left to
# tajo_assets_tests/sandbox/brevo/test_client_under_faults.py: its backoff is
# slow, and a failed run recovers as after a failed import process.)
SMALL_BODIES = "import_body_bytes: 6000\n"
IMPORT = ("POST", "/v3/contacts/import")
PROCESS = ("GET", "/v3/processes/*")
STATEMENTS = ("POST", "/api/v2/statements")
STATUS = ("GET", "/api/v2/statements/*")
RATE_HEADERS = {
    "x-sib-ratelimit-limit": "10",
    "x-sib-ratelimit-remaining": "0",
    "x-sib-ratelimit-reset": "1",
}
JWT_REFUSED = {"code": "390144", "message": "JWT token is invalid."}


@dataclass(frozen=True)
class Case:
    """A fault to switch on (returning it, to count how often it fired), and
    what the first run must then say (None: it must succeed despite it)."""

    switch_on: Callable
    failure_names: str | None = None


CASES = {
    "429-burst-with-reset-headers": Case(
        lambda s: s.brevo.faults.add(*IMPORT, 429, times=3, headers=RATE_HEADERS)
    ),
    "5xx-then-recovery": Case(
        lambda s: s.brevo.faults.add(*IMPORT, 503, times=2, skip=1)
    ),
    "dropped-connection-before-the-import": Case(
        lambda s: s.brevo.faults.drop(*IMPORT, times=1, skip=1)
    ),
    "answer-lost-after-the-import-ran": Case(
        lambda s: s.brevo.faults.drop(*IMPORT, times=1, skip=2, after_execution=True)
    ),
    "process-polls-answer-5xx": Case(
        lambda s: s.brevo.faults.add(*PROCESS, 500, times=2)
    ),
    "import-process-fails": Case(
        lambda s: s.brevo.faults.fail_imports(times=1, skip=1),
        failure_names="import process",
    ),
    "sql-api-503-on-a-partition-fetch": Case(
        lambda s: s.snowflake.faults.add(*STATUS, 503, times=2, query_param="partition")
    ),
    "sql-api-partition-fetch-keeps-failing": Case(
        lambda s: s.snowflake.faults.add(
            *STATUS, 503, times=50, query_param="partition"
        ),
        failure_names="Snowflake",
    ),
    "jwt-refused-once-mid-run": Case(
        lambda s: s.snowflake.faults.add(
            *STATEMENTS, 401, times=1, skip=6, body=JWT_REFUSED
        )
    ),
    "jwt-refused-for-good-mid-run": Case(
        lambda s: s.snowflake.faults.add(
            *STATEMENTS, 401, times=50, skip=6, body=JWT_REFUSED
        ),
        failure_names="TAJO_INTEGRATION",
    ),
}


@pytest.fixture
def small_partitions(sandbox):
    sandbox.snowflake.set_partition_rows(60)
    yield
    sandbox.snowflake.set_partition_rows(10_000)


@pytest.fixture
def clear_faults(sandbox):
    yield
    sandbox.brevo.faults.clear()
    sandbox.snowflake.faults.clear()


def failure_text(result) -> str:
    failures = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    return "\n".join(e.step_failure_data.error.to_string() for e in failures)


def brevo_view(sandbox) -> tuple[dict[str, tuple], set[str]]:
    contacts = sandbox.brevo.contacts()
    values = {
        c["email"]: (c["attributes"].get("FIRSTNAME"), c["attributes"].get("SCORE"))
        for c in contacts
    }
    [synced] = [item for item in sandbox.brevo.lists() if item["name"] == LIST_NAME]
    members = {c["email"] for c in contacts if c["id"] in set(synced["contactIds"])}
    return values, members


def clean_run_view() -> tuple[dict[str, tuple], set[str]]:
    everyone = range(1, PEOPLE + 1)
    values = {email(i): (f"Name {i}", i + 0.5) for i in everyone}
    return values, set(values)


@pytest.mark.parametrize("name", list(CASES))
def test_a_fault_then_a_rerun_leaves_brevo_as_one_clean_run(
    name, write_project, people, sandbox, instance, small_partitions, clear_faults
):
    case = CASES[name]
    project = write_project(
        MAPPING, people.audience, brevo=SMALL_BODIES, sync="mode: mirror"
    )
    fault = case.switch_on(sandbox)

    first = project.run(instance)

    assert fault.applied >= 1, "the fault never fired: the case tests nothing"

    if case.failure_names is None:
        assert first.success, failure_text(first)[-2000:]
    else:
        assert not first.success
        assert case.failure_names in failure_text(first)
    sandbox.brevo.faults.clear()
    sandbox.snowflake.faults.clear()
    rerun = project.run(instance)
    assert rerun.success, failure_text(rerun)[-2000:]
    assert brevo_view(sandbox) == clean_run_view()
    assert len(sandbox.brevo.contacts()) == PEOPLE
