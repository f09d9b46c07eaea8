"""`tajo doctor` against the sandbox: a PASS for what works, a FAIL with the
fix for what does not, and never a secret."""

import pytest

from tajo_assets.brevo import BrevoClient
from tajo_assets.setup.doctor import Check, Status, diagnose

# Reads two sandbox tables, so the mapping holds a date and a float attribute.
QUERY = """\
SELECT c.email, c.first_name, s.churn_score, s.score_date
FROM customers c
JOIN ml_predictions.customer_scores s ON s.email = c.email
WHERE c.created_at > :last_sync
"""
MAPPING = {
    "email": "email",
    "first_name": "FIRSTNAME",
    "churn_score": "CHURN_RISK",
    "score_date": "SCORE_DATE",
}
ATTRIBUTE_TYPES = {"CHURN_RISK": "float", "SCORE_DATE": "date"}


def doctor(project) -> dict[str, Check]:
    return {check.what: check for check in diagnose(project.path)}


def statuses(checks: dict[str, Check]) -> dict[str, Status]:
    return {what: check.status for what, check in checks.items()}


def failures(checks: dict[str, Check]) -> list[Check]:
    return [check for check in checks.values() if check.status is Status.FAIL]


def create_attributes(env: dict[str, str]) -> None:
    with BrevoClient(env["BREVO_API_KEY"], env["BREVO_BASE_URL"]) as brevo:
        for name, kind in ATTRIBUTE_TYPES.items():
            brevo.create_attribute(name, kind)


def test_every_check_passes_against_the_sandbox(write_project, sandbox_env):
    project = write_project(mapping=MAPPING, query=QUERY)
    create_attributes(sandbox_env)

    checks = doctor(project)

    assert statuses(checks) == {
        "configuration": Status.PASS,
        "environment": Status.PASS,
        "Snowflake sign-in": Status.PASS,
        "Snowflake role": Status.PASS,
        "Snowflake warehouse": Status.PASS,
        "state schema": Status.PASS,
        "query customer_segments": Status.PASS,
        "sync customer_segments mapping": Status.PASS,
        "Brevo API key": Status.PASS,
        "Brevo attributes": Status.PASS,
    }
    assert "as TAJO_INTEGRATION" in checks["Snowflake sign-in"].found
    assert checks["Snowflake role"].found == "statements run as TAJO_ROLE"
    assert checks["Snowflake warehouse"].found == "statements run on TAJO_WH"
    assert "did not exist; created it" in checks["state schema"].found
    assert doctor(project)["state schema"].found.endswith(
        "exists; the role created and dropped a table in it"
    )


def test_missing_attributes_warn_that_the_first_sync_creates_them(write_project):
    project = write_project(mapping=MAPPING, query=QUERY)

    check = doctor(project)["Brevo attributes"]

    assert check.status is Status.WARN
    assert check.found == (
        "missing CHURN_RISK (float), SCORE_DATE (date); the first sync creates them"
    )


def test_a_query_bounded_by_its_window_end_is_probed_with_both_bounds(
    write_project,
):
    query = QUERY.rstrip() + " AND c.created_at < :window_end\n"
    project = write_project(mapping=MAPPING, query=query)

    checks = doctor(project)

    assert statuses(checks)["query customer_segments"] is Status.PASS


def test_a_mapped_column_the_query_lacks_fails_with_a_did_you_mean(write_project):
    mapping = {**MAPPING, "churn_scor": "CHURN_RISK"}
    del mapping["churn_score"]
    project = write_project(mapping=mapping, query=QUERY)

    checks = doctor(project)

    [failure] = failures(checks)
    assert failure.what == "sync customer_segments mapping"
    assert "names column CHURN_SCOR, but query customer_segments returns" in (
        failure.found
    )
    assert "did you mean CHURN_SCOR -> CHURN_SCORE?" in failure.found
    assert "fix the mapping or the query" in failure.found
    assert checks["Brevo attributes"].status is Status.SKIP


def test_a_query_that_does_not_compile_fails_naming_the_query(write_project):
    project = write_project(query=QUERY.replace("c.first_name", "c.no_such_column"))

    [failure] = failures(doctor(project))

    assert failure.what == "query customer_segments"
    assert "NO_SUCH_COLUMN" in failure.found.upper()
    assert failure.fix == "correct the SQL of query customer_segments in tajo.yaml"


def test_a_query_of_a_model_table_not_built_yet_only_warns(write_project):
    project = write_project(
        mapping={"email": "email"},
        query="SELECT email FROM analytics.not_built_yet WHERE updated_at > :last_sync",
    )
    models = "models:\n  rfm_table: MARKETING_DB.ANALYTICS.NOT_BUILT_YET\n"
    project.path.write_text(project.path.read_text() + models)

    checks = doctor(project)

    assert failures(checks) == []
    assert checks["query customer_segments"].status is Status.WARN
    assert checks["query customer_segments"].found.startswith(
        "reads MARKETING_DB.ANALYTICS.NOT_BUILT_YET, which the warehouse models "
        "create on their first run"
    )
    assert checks["sync customer_segments mapping"].status is Status.SKIP


def test_a_missing_table_beside_a_built_model_table_fails_naming_it(write_project):
    # CUSTOMER_SEGMENTS is a model's table (the sandbox has it built).
    project = write_project(
        mapping={"email": "email"},
        query="SELECT s.email FROM customer_segments s JOIN no_such_table n "
        "ON n.id = s.customer_id WHERE s.updated_at > :last_sync",
        models="models: {}\n",
    )

    checks = doctor(project)

    [failure] = failures(checks)
    assert failure.what == "query customer_segments"
    assert failure.found == (
        "MARKETING_DB.PUBLIC.NO_SUCH_TABLE does not exist or the role may not read it"
    )


def test_a_missing_table_beside_an_unbuilt_model_table_fails_too(write_project):
    project = write_project(
        mapping={"email": "email"},
        query="SELECT b.email FROM analytics.not_built_yet b JOIN no_such_table n "
        "ON n.id = b.customer_id WHERE b.updated_at > :last_sync",
        models="models:\n  rfm_table: MARKETING_DB.ANALYTICS.NOT_BUILT_YET\n",
    )

    [failure] = failures(doctor(project))

    assert failure.found.startswith("MARKETING_DB.PUBLIC.NO_SUCH_TABLE does not exist")


def test_each_model_source_must_exist_with_the_columns_its_model_reads(
    write_project,
):
    project = write_project(
        mapping={"email": "email"},
        query="SELECT email FROM customers WHERE created_at > :last_sync",
        models="models:\n  orders: MARKETING_DB.PUBLIC.NO_SUCH_ORDERS\n"
        "  customer_scores: MARKETING_DB.PUBLIC.CUSTOMERS\n",
    )

    checks = doctor(project)

    assert statuses(checks)["model source customers"] is Status.PASS
    orders = checks["model source orders"]
    assert orders.status is Status.FAIL
    assert orders.found == (
        "MARKETING_DB.PUBLIC.NO_SUCH_ORDERS does not exist or the role may not read it"
    )
    assert orders.fix.startswith("set models.orders to the table holding O_CUSTKEY")
    scores = checks["model source customer_scores"]
    assert scores.status is Status.FAIL
    assert scores.found == (
        "MARKETING_DB.PUBLIC.CUSTOMERS lacks PREDICTED_LTV, CHURN_SCORE, SCORE_DATE"
    )


def test_a_wrong_brevo_key_fails_naming_its_variable_not_its_value(
    write_project, monkeypatch
):
    project = write_project(mapping=MAPPING, query=QUERY)
    monkeypatch.setenv("BREVO_API_KEY", "xkeysib-not-the-sandbox-key")

    checks = doctor(project)

    [failure] = failures(checks)
    assert failure.what == "Brevo API key"
    assert "BREVO_API_KEY" in failure.fix
    assert "xkeysib-not-the-sandbox-key" not in failure.line()
    assert checks["Snowflake sign-in"].status is Status.PASS


@pytest.mark.parametrize("wrong", ["user", "key"])
def test_an_unknown_snowflake_user_or_key_fails_sign_in_with_the_fingerprint_to_check(
    write_project, monkeypatch, other_key_pair, wrong
):
    project = write_project(mapping=MAPPING, query=QUERY)
    if wrong == "user":
        monkeypatch.setenv("SNOWFLAKE_USER", "NOBODY")
    else:
        monkeypatch.setenv("SNOWFLAKE_PRIVATE_KEY", other_key_pair.private_pem)

    checks = doctor(project)

    [failure] = failures(checks)
    assert failure.what == "Snowflake sign-in"
    assert "RSA_PUBLIC_KEY_FP" in failure.fix
    assert "PRIVATE KEY" not in failure.line()
    assert checks["Brevo API key"].status is Status.PASS


def test_an_unreachable_snowflake_fails_with_one_clear_line(
    write_project, monkeypatch, closed_port_url
):
    project = write_project(mapping=MAPPING, query=QUERY)
    monkeypatch.setenv("SNOWFLAKE_BASE_URL", closed_port_url)

    checks = doctor(project)

    [failure] = failures(checks)
    assert failure.what == "Snowflake reachable"
    assert f"could not reach the Snowflake SQL API at {closed_port_url}" in (
        failure.found
    )
    assert failure.fix == "check the account (or base_url) and the network"
    assert "Traceback" not in failure.line()


def test_a_configuration_that_does_not_load_stops_the_checks(tmp_path):
    path = tmp_path / "tajo.yaml"
    path.write_text("connectors:\n  snowflake:\n    acount: x\n")

    checks = list(diagnose(path))

    assert [(c.status, c.what) for c in checks] == [
        (Status.FAIL, "configuration"),
        (Status.SKIP, "Snowflake and Brevo"),
    ]
    assert "connectors.snowflake.acount: unknown key" in checks[0].found


def test_an_unset_secret_variable_stops_the_checks_naming_it(
    write_project, monkeypatch
):
    project = write_project(mapping=MAPPING, query=QUERY)
    monkeypatch.delenv("SNOWFLAKE_USER")

    checks = list(diagnose(project.path))

    assert checks[0].status is Status.FAIL
    assert "SNOWFLAKE_USER" in checks[0].found


EVENT_SYNC = """\
  order_events:
    type: events
    query: SELECT c.customer_id, c.email, c.created_at FROM customers c
    event:
      name: customer_created
      id_column: CUSTOMER_ID
      date_column: {date_column}
      identifier: {{email: EMAIL}}
"""


@pytest.mark.parametrize(
    ("date_column", "status"), [("CREATED_AT", Status.PASS), ("SIGNED_UP", Status.FAIL)]
)
def test_an_event_syncs_columns_are_checked_against_its_query(
    write_project, date_column, status
):
    project = write_project(mapping=MAPPING, query=QUERY)
    sync = EVENT_SYNC.format(date_column=date_column)
    project.path.write_text(project.path.read_text() + sync)

    check = doctor(project)["sync order_events event"]

    assert check.status is status
    if status is Status.FAIL:
        assert "names SIGNED_UP (date_column), but query order_events" in check.found


def test_an_attribute_brevo_holds_as_another_type_fails_as_the_sync_would(
    write_project, sandbox_env
):
    with BrevoClient(sandbox_env["BREVO_API_KEY"], sandbox_env["BREVO_BASE_URL"]) as b:
        b.create_attribute("CHURN_RISK", "date")  # the column holds numbers
        b.create_attribute("SCORE_DATE", "text")  # text takes any value
    project = write_project(mapping=MAPPING, query=QUERY)

    check = doctor(project)["Brevo attributes"]

    assert check.status is Status.FAIL
    assert check.found.startswith(
        "CHURN_RISK is date, its column holds float (Brevo ignores values of the "
        "wrong type, so the sync stops before sending"
    )
    assert "SCORE_DATE" not in check.found
