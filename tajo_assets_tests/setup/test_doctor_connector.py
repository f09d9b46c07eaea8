"""`tajo doctor` with `transport: connector`, against fakesnow in-process.

fakesnow has no CURRENT_WAREHOUSE(), so the identity row is stood in for; every
other statement runs through the connector transport.
"""

import fakesnow
import pytest

from tajo_assets.setup import doctor
from tajo_assets.setup.doctor import Status, diagnose

CONFIG = """\
connectors:
  snowflake:
    account: myorg-myacct
    user: TAJO
    transport: connector
    warehouse: TAJO_WH
    database: MARKETING_DB
    schema: PUBLIC
    queries:
      q: SELECT 'a@b.co' AS EMAIL
  brevo:
    api_key: ${{BREVO_API_KEY}}
    base_url: {brevo_url}/v3
field_mapping:
  email: email
syncs:
  s:
    type: reverse-etl
    query: q
    destination: {{list_id: 1}}
"""
IDENTITY = {
    "USER_NAME": "TAJO",
    "ROLE_NAME": "PUBLIC",
    "WAREHOUSE_NAME": "TAJO_WH",
    "DATABASE_NAME": "MARKETING_DB",
}


@pytest.fixture
def connector_project(tmp_path, monkeypatch, key_pair, closed_port_url):
    monkeypatch.setenv("SNOWFLAKE_PRIVATE_KEY", key_pair.private_pem)
    monkeypatch.setenv("BREVO_API_KEY", "xkeysib-" + "0" * 64)
    path = tmp_path / "tajo.yaml"
    path.write_text(CONFIG.format(brevo_url=closed_port_url))
    with fakesnow.patch():
        yield path


def run(path, monkeypatch, identity) -> dict[str, doctor.Check]:
    monkeypatch.setattr(doctor, "_identity", lambda client: identity)
    return {check.what: check for check in diagnose(path)}


def test_doctor_names_the_account_it_signed_in_to_over_the_connector(
    connector_project, monkeypatch
):
    checks = run(connector_project, monkeypatch, IDENTITY)

    sign_in = checks["Snowflake sign-in"]
    assert sign_in.status is Status.PASS
    assert sign_in.found == "signed in to account myorg-myacct as TAJO"
    assert checks["state schema"].status is Status.PASS
    assert checks["query q"].status is Status.PASS
    assert checks["sync s mapping"].status is Status.PASS


def test_an_unexpected_error_in_a_check_is_a_fail_line_naming_it(
    connector_project, monkeypatch
):
    without_warehouse = {k: v for k, v in IDENTITY.items() if k != "WAREHOUSE_NAME"}

    checks = run(connector_project, monkeypatch, without_warehouse)

    warehouse = checks["Snowflake warehouse"]
    assert warehouse.status is Status.FAIL
    assert warehouse.found == "KeyError: 'WAREHOUSE_NAME'"
    assert "bug in tajo doctor" in warehouse.fix
    # The checks after it still run.
    assert checks["query q"].status is Status.PASS
