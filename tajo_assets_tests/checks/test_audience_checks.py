"""The blocking checks over the sandbox: they pass on the sample audience, and
each broken condition stops the Brevo sync with metadata that says why."""

import itertools
import time

import dagster as dg
import pytest

from tajo_assets.assets.warehouse import audience_key
from tajo_assets.checks import build_row_count_check
from tajo_assets.checks.audience import (
    EMAIL_RATE_CHECK,
    KEYS_CHECK,
    MAPPED_COLUMNS_CHECK,
)
from tajo_assets.checks.row_count import ROW_COUNT_CHECK
from tajo_assets.sync.keys import normalize_email
from tajo_assets.sync.state import snapshot_table
from tajo_assets_tests.assets.conftest import QUERY, SEED_MAPPING, warehouse_client

AUDIENCE = "snowflake__customer_segments"
SYNC = "brevo__customer_segments"
COLUMNS = (
    "email, first_name, last_name, ltv_score, rfm_class, total_orders, "
    "last_purchase_date, predicted_churn, segment_name AS customer_segment"
)
_views = itertools.count(1)


def full_query(source: str = "customer_segments", max_customer_id: int = 1500) -> str:
    """An audience of every row (no :last_sync), up to one customer id."""
    return f"SELECT {COLUMNS}\nFROM {source}\nWHERE customer_id <= {max_customer_id}\n"


def add_checks_block(project, **thresholds) -> None:
    lines = "".join(f"  {name}: {value}\n" for name, value in thresholds.items())
    project.path.write_text(project.path.read_text() + f"checks:\n{lines}")


def evaluations(result: dg.ExecuteInProcessResult) -> dict[str, object]:
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def metadata(evaluation) -> dict[str, object]:
    return {key: value.value for key, value in evaluation.metadata.items()}


def sync_materializations(result: dg.ExecuteInProcessResult) -> list:
    return result.asset_materializations_for_node(SYNC)


def assert_sync_blocked(result: dg.ExecuteInProcessResult) -> None:
    """The audience was snapshotted, a check failed, the sync never ran."""
    assert not result.success
    assert result.asset_materializations_for_node(AUDIENCE)
    assert sync_materializations(result) == []


def client(env: dict[str, str]):
    return warehouse_client(env)


def warehouse_emails(env: dict[str, str]) -> list[str | None]:
    with client(env) as warehouse:
        sql = "SELECT email FROM MARKETING_DB.PUBLIC.CUSTOMER_SEGMENTS"
        return [row[0] for row in warehouse.execute(sql).rows()]


def test_every_check_passes_on_the_sample_audience_and_the_sync_runs(
    write_project, sandbox, instance
):
    project = write_project()

    result = project.run(instance)

    assert result.success
    checks = evaluations(result)
    # The seed's audience is incremental (:last_sync): no row-count check.
    assert set(checks) == {MAPPED_COLUMNS_CHECK, KEYS_CHECK, EMAIL_RATE_CHECK}
    assert all(check.passed for check in checks.values())
    emails = warehouse_emails(project.env)
    valid = sum(1 for email in emails if normalize_email(email))
    rate = metadata(checks[EMAIL_RATE_CHECK])
    assert rate["rows"] == len(emails) == 1500
    assert rate["valid_emails"] == valid < 1500
    keys = metadata(checks[KEYS_CHECK])
    assert keys["null_keys"] == keys["duplicate_keys"] == 0
    assert metadata(checks[MAPPED_COLUMNS_CHECK])["missing_columns"] == []
    assert sync_materializations(result)
    assert len(sandbox.brevo.contacts()) == valid


def test_the_checks_are_blocking_and_explain_themselves(write_project):
    defs = write_project(query=full_query()).definitions()

    checks_def = defs.get_asset_checks_def(
        dg.AssetCheckKey(audience_key("customer_segments"), KEYS_CHECK)
    )

    specs = {spec.name: spec for spec in checks_def.check_specs}
    assert set(specs) == {
        MAPPED_COLUMNS_CHECK,
        KEYS_CHECK,
        EMAIL_RATE_CHECK,
        ROW_COUNT_CHECK,
    }
    assert all(spec.blocking for spec in specs.values())
    assert "checks.max_null_keys" in specs[KEYS_CHECK].description
    assert "95.0%" in specs[EMAIL_RATE_CHECK].description
    assert ":last_sync" in specs[ROW_COUNT_CHECK].description


def test_null_keys_block_the_sync(write_project, sandbox, instance):
    query = QUERY.replace(
        "SELECT email,",
        "SELECT CASE WHEN customer_id % 500 = 0 THEN NULL ELSE email END AS email,",
    )
    project = write_project(query=query)

    result = project.run(instance)

    assert_sync_blocked(result)
    assert sandbox.brevo.contacts() == [] and sandbox.brevo.processes() == []
    keys = evaluations(result)[KEYS_CHECK]
    assert not keys.passed
    assert metadata(keys)["null_keys"] == 3
    assert "3 rows have an empty or NULL EMAIL" in keys.description
    assert "max_null_keys allows 0" in keys.description
    assert evaluations(result)[EMAIL_RATE_CHECK].passed


def test_keys_repeated_in_another_case_block_the_sync_and_are_masked(
    write_project, sandbox, instance
):
    again_upper_case = QUERY.replace("SELECT email,", "SELECT UPPER(email),").replace(
        "WHERE updated_at > :last_sync", "WHERE customer_id <= 2"
    )
    project = write_project(query=QUERY + "UNION ALL\n" + again_upper_case)

    result = project.run(instance)

    assert_sync_blocked(result)
    assert sandbox.brevo.contacts() == []
    keys = evaluations(result)[KEYS_CHECK]
    found = metadata(keys)
    assert not keys.passed and found["duplicate_keys"] == 2
    assert "2 rows repeat another row's EMAIL" in keys.description
    repeated = warehouse_emails(project.env)[:2]
    assert len(found["duplicate_sample"]) == 2
    assert all(
        "***@" in entry and entry.endswith("x2") for entry in found["duplicate_sample"]
    )
    for email in repeated:
        assert email.strip().lower() not in str(found).lower()


def test_a_valid_email_rate_below_the_threshold_blocks_the_sync(
    write_project, sandbox, instance
):
    project = write_project()
    add_checks_block(project, min_valid_email_rate=1)

    result = project.run(instance)

    assert_sync_blocked(result)
    assert sandbox.brevo.contacts() == []
    rate = evaluations(result)[EMAIL_RATE_CHECK]
    found = metadata(rate)
    assert not rate.passed
    assert found["min_valid_email_rate"] == 1.0
    assert found["invalid_emails"] == 1500 - found["valid_emails"] > 0
    assert "below checks.min_valid_email_rate (100.00%)" in rate.description
    assert evaluations(result)[KEYS_CHECK].passed


@pytest.fixture
def audience_view(sandbox_env):
    """A view the audience reads, that a test can later redefine."""
    name = f"MARKETING_DB.PUBLIC.CHECKS_AUDIENCE_{next(_views)}"
    with client(sandbox_env) as warehouse:
        warehouse.execute(f"CREATE OR REPLACE VIEW {name} AS {full_query()}")
    yield name
    with client(sandbox_env) as warehouse:
        warehouse.execute(f"DROP VIEW IF EXISTS {name}")


def test_a_view_that_lost_a_mapped_column_blocks_the_sync(
    write_project, sandbox, instance, audience_view
):
    # The view's name is the fixture's own, not outside input.
    query = f"SELECT * FROM {audience_view}\n"  # noqa: S608
    project = write_project(SEED_MAPPING, query=query)
    assert project.run(instance).success
    imports_before = len(sandbox.brevo.processes())
    lost_ltv = full_query().replace("ltv_score, ", "ltv_score AS ltv_scor, ")
    with client(project.env) as warehouse:
        warehouse.execute(f"CREATE OR REPLACE VIEW {audience_view} AS {lost_ltv}")

    result = project.run(instance)

    assert_sync_blocked(result)
    assert len(sandbox.brevo.processes()) == imports_before
    mapped = evaluations(result)[MAPPED_COLUMNS_CHECK]
    found = metadata(mapped)
    assert not mapped.passed
    assert found["missing_columns"] == ["LTV_SCORE"]
    assert found["did_you_mean"] == {"LTV_SCORE": "LTV_SCOR"}
    assert (
        "field_mapping names column LTV_SCORE, but query customer_segments "
        "returns EMAIL, FIRST_NAME, LAST_NAME, LTV_SCOR" in mapped.description
    )
    assert "did you mean LTV_SCORE -> LTV_SCOR?" in mapped.description


def test_a_full_audience_that_halves_blocks_the_sync(write_project, sandbox, instance):
    project = write_project(query=full_query(max_customer_id=1500))
    state_schema = project.path.stem.upper()
    table = snapshot_table(state_schema, "customer_segments")
    # The factory for whole tables, on the same snapshot, checked alongside.
    extra = build_row_count_check(
        audience_key("customer_segments"), table, name="snapshot_table_rows"
    )

    def run() -> dg.ExecuteInProcessResult:
        defs = dg.Definitions.merge(
            project.definitions(), dg.Definitions(asset_checks=[extra])
        )
        job = defs.resolve_job_def("tajo_sync")
        return job.execute_in_process(instance=instance, raise_on_error=False)

    first = run()
    assert first.success
    assert evaluations(first)[ROW_COUNT_CHECK].passed
    imports_before = len(sandbox.brevo.processes())
    project.path.write_text(project.path.read_text().replace("<= 1500", "<= 700"))

    second = run()

    assert_sync_blocked(second)
    assert len(sandbox.brevo.processes()) == imports_before
    for name in (ROW_COUNT_CHECK, "snapshot_table_rows"):
        collapse = evaluations(second)[name]
        found = metadata(collapse)
        assert not collapse.passed, name
        assert (found["rows"], found["previous_rows"]) == (700, 1500)
        assert found["minimum_rows"] == 750
        assert "more than checks.max_row_count_drop (50%)" in collapse.description
    assert (
        metadata(evaluations(second)["snapshot_table_rows"])["snowflake_statements"]
        == 1
    )

    # Running again does not make the stopped, collapsed count the reference.
    third = run()

    assert_sync_blocked(third)
    for name in (ROW_COUNT_CHECK, "snapshot_table_rows"):
        assert metadata(evaluations(third)[name])["previous_rows"] == 1500, name


def test_a_sync_with_nothing_to_send_makes_no_request_at_all(
    write_project, sandbox, instance
):
    # A bounded window: rows updated from :last_sync up to :window_end.
    project = write_project(query=QUERY + "  AND updated_at < :window_end\n")
    assert project.run(instance).success
    # A window of three days ago: the sandbox's rows are all younger.
    partitions = project.definitions().resolve_job_def("tajo_sync").partitions_def
    quiet_window = partitions.get_partition_key_for_timestamp(time.time() - 3 * 86_400)
    statements_before = set(sandbox.snowflake.statements)
    brevo_before = sandbox.brevo.request_counts.by_route.copy()

    second = project.run(instance, partition_range=(quiet_window, quiet_window))

    assert second.success
    [audience] = second.asset_materializations_for_node(AUDIENCE)
    assert audience.metadata["rows"].value == 0
    new_statements = set(sandbox.snowflake.statements) - statements_before
    # Only the audience's own statements: none from the checks or the sync.
    assert new_statements == set(audience.metadata["statement_handles"].value)
    assert sandbox.brevo.request_counts.by_route == brevo_before
    [sync] = sync_materializations(second)
    found = {key: value.value for key, value in sync.metadata.items()}
    assert found["contacts_sent"] == found["snowflake_statements"] == 0
    assert found["brevo_requests"] == 0
    assert "no warehouse statement and no Brevo request" in found["skipped_reason"]
    for check in evaluations(second).values():
        assert check.passed and "skipped_reason" in metadata(check)


def test_a_key_column_that_needs_quotes_is_refused_with_the_fix(
    write_project, sandbox, instance
):
    mapping = {"e-mail": "email", "first_name": "FIRSTNAME"}
    query = QUERY.replace("SELECT email,", 'SELECT email AS "e-mail",')
    project = write_project(mapping, query=query)

    result = project.run(instance)

    assert not result.success
    assert sync_materializations(result) == []
    failures = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    message = failures[0].step_failure_data.error.to_string()
    assert "the key column 'e-mail' is not a plain identifier" in message
    assert "give it a plain alias in the audience query" in message
    assert sandbox.brevo.contacts() == []
