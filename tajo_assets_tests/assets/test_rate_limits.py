"""Two syncs of one API key in one run spend one rate-limit budget.

The sandbox's Brevo runs at the General tier (10 contact calls per second);
it counts what reaches it in its busiest second, 429s included. The job's
in-process executor runs the syncs one after another in one process, so they
share the key's pacer; concurrent clients are tested in
tajo_assets_tests/brevo/test_pacing_sandbox.py.
"""

from tajo_assets.brevo.pacing import shared_pacer
from tajo_assets_tests.assets.conftest import create_table

GENERAL_PER_SECOND = 10
ROWS = 12
PUT_ROUTE = ("PUT", "/v3/contacts/{identifier}")


def ext_id_table(sandbox_env, prefix: str) -> str:
    rows = [f"('{prefix}-{i:02d}', 'Name {i}')" for i in range(1, ROWS + 1)]
    return create_table(sandbox_env, prefix.upper(), rows, "CUSTOMER_ID, FIRST_NAME")


def second_sync(table: str) -> str:
    """A sync block appended under `syncs:`; its inline SQL names its audience."""
    query = f"SELECT customer_id, first_name FROM {table}"  # noqa: S608
    lines = [
        "second_audience:",
        f"  query: {query}",
        "  mode: update",
        "  destination:",
        "    list_name: Second audience",
    ]
    return "".join(f"  {line}\n" for line in lines)


def test_two_syncs_in_one_run_stay_within_the_tier_together(
    write_project, sandbox_env, sandbox, instance
):
    # Update mode keyed by ext_id sends one PUT per row: many calls per sync.
    first, second = (ext_id_table(sandbox_env, p) for p in ("first", "second"))
    project = write_project(
        {"customer_id": "ext_id", "first_name": "FIRSTNAME"},
        f"SELECT customer_id, first_name FROM {first}\n",  # noqa: S608
        sync="mode: update",
    )
    project.path.write_text(project.path.read_text() + second_sync(second))

    result = project.run(instance)

    assert result.success
    counts = sandbox.brevo.request_counts
    assert counts.by_route[PUT_ROUTE].requests == 2 * ROWS
    assert counts.by_bucket["contacts"].rate_limited == 0
    assert counts.peak_per_second["contacts"] <= GENERAL_PER_SECOND
    # Both syncs took their turns from the key's one pacer.
    env = sandbox_env
    pacer = shared_pacer(env["BREVO_API_KEY"], env["BREVO_BASE_URL"], "general")
    assert pacer.calls("contacts") == counts.by_bucket["contacts"].requests
