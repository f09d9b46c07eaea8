"""The main job end to end: warehouse audience -> Brevo contacts and list."""

import math
from datetime import date
from decimal import Decimal

import dagster as dg

from tajo_assets.sandbox.summary import summarize
from tajo_assets.sync.keys import normalize_email
from tajo_assets_tests.assets.conftest import SEED_MAPPING, warehouse_client
from tajo_assets_tests.contract import BREVO, SNOWFLAKE

SYNC = "brevo__customer_segments"
AUDIENCE = "snowflake__customer_segments"
WAREHOUSE_ROWS_SQL = """
SELECT email, first_name, last_name, ltv_score, rfm_class, total_orders,
       last_purchase_date, predicted_churn, segment_name
FROM MARKETING_DB.PUBLIC.CUSTOMER_SEGMENTS
"""


def materialization(result: dg.ExecuteInProcessResult, node: str):
    """The metadata of a node's materialization; a run over a range of windows
    records the same metadata once per window."""
    events = result.asset_materializations_for_node(node)
    assert events and all(e.metadata == events[0].metadata for e in events)
    return {key: value.value for key, value in events[0].metadata.items()}


def failure_messages(result: dg.ExecuteInProcessResult) -> str:
    """Everything the run's step failures say, causes included."""
    failures = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert failures
    return "\n".join(e.step_failure_data.error.to_string() for e in failures)


def warehouse_rows(env: dict[str, str]) -> list[tuple]:
    with warehouse_client(env) as client:
        return list(client.execute(WAREHOUSE_ROWS_SQL).rows())


def expected_attributes(row: tuple) -> dict:
    """The warehouse row as Brevo should hold it, written out by hand."""
    (_, first, last, ltv, rfm, orders, last_order, churn, segment) = row
    values = {
        "FIRSTNAME": first,
        "LASTNAME": last,
        "LTV_SCORE": float(ltv) if isinstance(ltv, Decimal) else ltv,
        "RFM_SEGMENT": rfm,
        "ORDER_COUNT": orders,
        "LAST_ORDER_DATE": last_order.isoformat()
        if isinstance(last_order, date)
        else None,
        "CHURN_RISK": churn,
        "SEGMENT_NAME": segment,
    }
    return {name: value for name, value in values.items() if value is not None}


def test_every_valid_customer_lands_in_brevo_with_the_warehouse_values(
    write_project, sandbox, instance
):
    project = write_project()

    result = project.run(instance)

    assert result.success
    rows = warehouse_rows(project.env)
    valid = {normalize_email(row[0]): row for row in rows if normalize_email(row[0])}
    invalid = len(rows) - len(valid)
    assert len(rows) == 1500 and invalid > 0
    contacts = {c["email"]: c for c in sandbox.brevo.contacts()}
    assert set(contacts) == set(valid)
    [audience_list] = sandbox.brevo.lists()
    assert audience_list["name"] == "Customer segments (Snowflake)"
    assert sorted(audience_list["contactIds"]) == sorted(
        c["id"] for c in contacts.values()
    )
    for email, row in valid.items():
        stored = contacts[email]["attributes"]
        for name, value in expected_attributes(row).items():
            if isinstance(value, float):
                assert math.isclose(stored[name], value), (email, name)
            else:
                assert stored[name] == value, (email, name)
        assert "EMAIL" not in stored or stored["EMAIL"] == email


def test_the_pipelines_traffic_follows_both_vendors_api_descriptions(
    write_project, sandbox, instance
):
    project = write_project()
    recorders = [sandbox.snowflake.traffic, sandbox.brevo.traffic]
    for recorder in recorders:
        recorder.take()
        recorder.enabled = True
    try:
        assert project.run(instance).success
    finally:
        for recorder in recorders:
            recorder.enabled = False
    snowflake_traffic, brevo_traffic = (recorder.take() for recorder in recorders)

    assert len(snowflake_traffic) >= 5 and len(brevo_traffic) >= 8
    assert any(x.path == "/v3/contacts/import" for x in brevo_traffic)
    assert SNOWFLAKE.violations(snowflake_traffic) == []
    assert BREVO.violations(brevo_traffic) == []


def test_metadata_reports_what_the_run_did_without_raw_emails(
    write_project, sandbox, instance
):
    project = write_project()

    result = project.run(instance)

    audience = materialization(result, AUDIENCE)
    sync = materialization(result, SYNC)
    assert audience["dagster/row_count"] == 1500
    assert audience["snapshot_table"].endswith(".AUDIENCE_CUSTOMER_SEGMENTS")
    assert len(audience["statement_handles"]) == audience["snowflake_statements"] >= 3
    assert sync["rows_read"] == 1500
    assert sync["contacts_sent"] == len(sandbox.brevo.contacts())
    assert sync["contacts_acknowledged"] == sync["contacts_sent"]
    assert sync["rejected"] == 1500 - sync["contacts_sent"] > 0
    assert sync["rejection_reasons"] == {"invalid email address": sync["rejected"]}
    assert sync["brevo_import_process_ids"] == [
        p["id"] for p in sandbox.brevo.processes()
    ]
    assert sync["snowflake_statements"] == len(sync["statement_handles"]) >= 2
    assert sync["brevo_requests"] == brevo_requests(sandbox)
    assert sync["brevo_bytes_sent"] > 100 * sync["contacts_sent"]
    assert sync["duration_s"] > 0
    sample = sync["rejected_sample"].records
    assert sample and all("***" in record.data["key"] for record in sample)
    invalid = [r[0] for r in warehouse_rows(project.env) if not normalize_email(r[0])]
    assert not any(raw.strip() in str(sync) for raw in invalid if raw and raw.strip())


def test_a_second_run_without_changes_sends_nothing(write_project, sandbox, instance):
    project = write_project()
    assert project.run(instance).success
    writes_after_first = brevo_writes(sandbox)

    second = project.run(instance)

    # The same windows again: the audience reads the same rows, and the
    # fingerprints in the sync state find none of them changed.
    assert second.success
    assert materialization(second, AUDIENCE)["dagster/row_count"] == 1500
    sync = materialization(second, SYNC)
    assert (sync["contacts_sent"], sync["unchanged"], sync["created"]) == (0, 1498, 0)
    assert brevo_writes(sandbox) == writes_after_first


def brevo_requests(sandbox) -> int:
    return sum(
        count.requests for count in sandbox.brevo.request_counts.by_route.values()
    )


def brevo_writes(sandbox) -> int:
    """Brevo requests that write: anything but GET."""
    return sum(
        count.requests
        for (method, _), count in sandbox.brevo.request_counts.by_route.items()
        if method != "GET"
    )


def test_the_demo_summary_agrees_with_the_sync(write_project, sandbox, instance):
    project = write_project()
    assert project.run(instance).success

    summary = summarize(sandbox, project.path, project.env)

    assert summary.ok, summary.text
    assert "attribute mismatches: 0" in summary.text


def test_a_mapped_column_the_query_lacks_fails_before_anything_is_sent(
    write_project, sandbox, instance
):
    project = write_project({**SEED_MAPPING, "lifetime_value": "LIFETIME_VALUE"})

    result = project.run(instance)

    # The blocking check on the audience stops the run before the sync starts.
    assert not result.success
    [mapped] = [
        evaluation
        for evaluation in result.get_asset_check_evaluations()
        if evaluation.check_name == "mapped_columns_present"
    ]
    assert not mapped.passed
    assert "field_mapping names column LIFETIME_VALUE" in mapped.description
    assert "EMAIL, FIRST_NAME, LAST_NAME, LTV_SCORE" in mapped.description
    assert sandbox.brevo.contacts() == []
    assert sandbox.brevo.processes() == []
    assert sandbox.brevo.lists() == []


def test_a_wrong_brevo_key_names_the_variable_and_never_the_key(
    write_project, sandbox, instance, monkeypatch
):
    project = write_project()
    wrong_key = "xkeysib-not-the-sandbox-key-0123456789"
    monkeypatch.setenv("BREVO_API_KEY", wrong_key)

    result = project.run(instance)

    assert not result.success
    messages = failure_messages(result)
    assert "BREVO_API_KEY" in messages
    assert wrong_key not in messages
    assert sandbox.brevo.contacts() == []


def test_a_wrong_key_pair_names_the_user_and_never_the_key(
    write_project, sandbox, instance, monkeypatch, other_key_pair
):
    project = write_project()
    monkeypatch.setenv("SNOWFLAKE_PRIVATE_KEY", other_key_pair.private_pem)

    result = project.run(instance)

    assert not result.success
    messages = failure_messages(result)
    assert "TAJO_INTEGRATION" in messages
    key_body = other_key_pair.private_pem.splitlines()[1]
    assert key_body not in messages
    assert sandbox.brevo.contacts() == []


def test_changing_the_mapping_sends_every_row_again(write_project, sandbox, instance):
    without_last_name = {k: v for k, v in SEED_MAPPING.items() if k != "last_name"}
    project = write_project(without_last_name)
    assert project.run(instance).success
    assert not any("LASTNAME" in c["attributes"] for c in sandbox.brevo.contacts())
    project.path.write_text(
        project.path.read_text().replace(
            "  first_name: FIRSTNAME\n",
            "  first_name: FIRSTNAME\n  last_name: LASTNAME\n",
        )
    )

    second = project.run(instance)

    assert second.success
    sent = materialization(second, SYNC)["contacts_sent"]
    assert sent == len(sandbox.brevo.contacts()) > 1000
    assert all(c["attributes"].get("LASTNAME") for c in sandbox.brevo.contacts())


def run_log(project) -> list[str]:
    """The Python log lines of a run's event log, under the shipped dagster.yaml.

    The sandbox servers run in this process and log under tajo_assets.sandbox;
    the `sandbox` fixture keeps them at WARNING so only the pipeline speaks.
    """
    python_logs = {
        "managed_python_loggers": ["tajo_assets"],
        "python_log_level": "DEBUG",
    }
    with dg.instance_for_test(overrides={"python_logs": python_logs}) as instance:
        result = project.run(instance)
        assert result.success
        records = instance.all_logs(result.run_id)
    return [r.user_message for r in records if r.dagster_event is None]


def test_debug_mode_from_tajo_yaml_reaches_the_run_log(write_project):
    project = write_project()
    text = project.path.read_text()
    project.path.write_text(
        text.replace(
            "    state_schema:",
            "    debug: true\n    log_queries: true\n    state_schema:",
        )
    )

    lines = run_log(project)

    assert any("SQL:" in line and "CREATE OR REPLACE" in line for line in lines)


def test_log_level_from_tajo_yaml_quiets_the_run_log(write_project):
    project = write_project()
    text = project.path.read_text()
    project.path.write_text(
        text.replace("    state_schema:", "    log_level: error\n    state_schema:")
    )

    lines = run_log(project)

    assert lines == []
