"""`tajo setup-sql`: the least-privilege script for a tajo.yaml."""

import textwrap

import pytest

from tajo_assets import cli
from tajo_assets.config import load_config
from tajo_assets.setup.keygen import public_key_body, write_key_pair
from tajo_assets.setup.setup_sql import SetupError, read_public_key, render_setup_sql
from tajo_assets.snowflake import KeyPairAuth, SqlApiClient
from tajo_assets_tests.sandbox.snowflake_fixtures import ACCOUNT, USER

CONFIG = """\
connectors:
  snowflake:
    account: myorg-myacct
    user: svc_tajo
    warehouse: TAJO_WH
    database: {database}
    schema: PUBLIC
    role: {role}
    queries:
      customer_segments: |
        SELECT s.email, c.churn_score
        FROM customer_segments s JOIN ml.scores c ON c.email = s.email
        WHERE s.updated_at > :last_sync
      from_stage: SELECT * FROM @exports
field_mapping:
  email: email
"""


def write_config(tmp_path, database="MARKETING_DB", role="TAJO_ROLE", extra=""):
    path = tmp_path / "tajo.yaml"
    path.write_text(CONFIG.format(database=database, role=role) + extra)
    return path


def statements(script: str) -> list[str]:
    """The script's statements, one line each, without comments."""
    code = [line for line in script.splitlines() if not line.startswith("--")]
    return [" ".join(s.split()) for s in "\n".join(code).split(";") if s.strip()]


def render(path, **options) -> str:
    return render_setup_sql(load_config(path, env={}), path, user="svc_tajo", **options)


def test_the_script_grants_what_the_queries_read_and_nothing_more(tmp_path):
    script = render(write_config(tmp_path))

    assert statements(script) == [
        "USE ROLE SECURITYADMIN",
        "CREATE ROLE IF NOT EXISTS TAJO_ROLE COMMENT = 'tajo-assets: reverse ETL to "
        "Brevo'",
        "GRANT ROLE TAJO_ROLE TO ROLE SYSADMIN",
        "USE ROLE SYSADMIN",
        "CREATE WAREHOUSE IF NOT EXISTS TAJO_WH WAREHOUSE_SIZE = XSMALL "
        "AUTO_SUSPEND = 300 AUTO_RESUME = TRUE INITIALLY_SUSPENDED = TRUE "
        "COMMENT = 'tajo-assets'",
        "GRANT USAGE ON WAREHOUSE TAJO_WH TO ROLE TAJO_ROLE",
        "GRANT USAGE ON DATABASE MARKETING_DB TO ROLE TAJO_ROLE",
        "GRANT USAGE ON SCHEMA MARKETING_DB.ML TO ROLE TAJO_ROLE",
        "GRANT USAGE ON SCHEMA MARKETING_DB.PUBLIC TO ROLE TAJO_ROLE",
        "GRANT SELECT ON TABLE MARKETING_DB.ML.SCORES TO ROLE TAJO_ROLE",
        "GRANT SELECT ON TABLE MARKETING_DB.PUBLIC.CUSTOMER_SEGMENTS TO ROLE TAJO_ROLE",
        "CREATE SCHEMA IF NOT EXISTS MARKETING_DB.TAJO_STATE COMMENT = "
        "'tajo-assets sync state'",
        "GRANT OWNERSHIP ON SCHEMA MARKETING_DB.TAJO_STATE TO ROLE TAJO_ROLE "
        "COPY CURRENT GRANTS",
        "USE ROLE SECURITYADMIN",
        "CREATE USER IF NOT EXISTS SVC_TAJO TYPE = SERVICE DEFAULT_ROLE = TAJO_ROLE "
        "DEFAULT_WAREHOUSE = TAJO_WH COMMENT = 'tajo-assets'",
        "GRANT ROLE TAJO_ROLE TO USER SVC_TAJO",
    ]
    assert render(write_config(tmp_path)) == script


def test_a_query_that_cannot_be_analysed_is_named_with_what_to_grant(tmp_path):
    script = render(write_config(tmp_path))

    assert (
        "-- Query from_stage could not be analysed: it reads @exports, a computed "
        "name.\n-- Grant by hand USAGE on each database and schema it reads and "
        "SELECT on each table." in script
    )


def test_the_user_gets_the_public_key_and_its_fingerprint(tmp_path):
    files = write_key_pair(tmp_path, "rsa_key")

    script = render(
        write_config(tmp_path), public_key=read_public_key(files.public_path)
    )

    body = public_key_body(files.public_pem)
    assert f"ALTER USER SVC_TAJO SET RSA_PUBLIC_KEY = '{body}';" in script
    assert f"fingerprint {files.fingerprint}" in script


def test_without_a_key_the_script_says_how_to_make_one(tmp_path):
    script = render(write_config(tmp_path))

    assert not any("RSA_PUBLIC_KEY" in statement for statement in statements(script))
    assert "Run `tajo keygen --user SVC_TAJO`" in script


def test_a_private_key_given_as_public_key_is_refused(tmp_path):
    files = write_key_pair(tmp_path, "rsa_key")

    with pytest.raises(SetupError, match="not a PEM public key"):
        read_public_key(files.private_path)


def test_the_network_policy_allows_the_given_addresses_and_applies_to_the_user(
    tmp_path,
):
    ips = ["203.0.113.0/24", "198.51.100.7", "203.0.113.0/24"]

    script = render(write_config(tmp_path), allowed_ips=ips)

    listed = "('203.0.113.0/24', '198.51.100.7')"
    assert statements(script)[-3:] == [
        f"CREATE NETWORK POLICY IF NOT EXISTS TAJO_POLICY ALLOWED_IP_LIST = {listed} "
        "COMMENT = 'tajo-assets'",
        f"ALTER NETWORK POLICY TAJO_POLICY SET ALLOWED_IP_LIST = {listed}",
        "ALTER USER SVC_TAJO SET NETWORK_POLICY = TAJO_POLICY",
    ]


def test_names_that_are_not_plain_upper_case_are_quoted(tmp_path):
    path = write_config(tmp_path, database="marketing", role="Tajo Role")

    script = render(path)

    assert 'GRANT USAGE ON DATABASE "marketing" TO ROLE "Tajo Role";' in script
    assert 'GRANT SELECT ON TABLE "marketing".ML.SCORES TO ROLE "Tajo Role";' in script


def test_the_models_tables_are_created_by_the_role_and_their_sources_read(tmp_path):
    path = write_config(tmp_path, extra="models: {}\n")

    lines = statements(render(path))

    role = "TO ROLE TAJO_ROLE"
    assert f"GRANT SELECT ON TABLE MARKETING_DB.PUBLIC.CUSTOMERS {role}" in lines
    # The segments table is what the models write: owned, not granted.
    assert not any("PUBLIC.CUSTOMER_SEGMENTS" in line for line in lines)
    created = lines.index("CREATE SCHEMA IF NOT EXISTS MARKETING_DB.ANALYTICS")
    used = lines.index(f"GRANT USAGE ON SCHEMA MARKETING_DB.ANALYTICS {role}")
    assert created < used
    assert f"GRANT CREATE TABLE ON SCHEMA MARKETING_DB.ANALYTICS {role}" in lines


def test_the_shared_sample_database_is_read_through_imported_privileges(tmp_path):
    # The models' default orders source is SNOWFLAKE_SAMPLE_DATA.TPCH_SF1.ORDERS;
    # Snowflake refuses USAGE and SELECT grants in a shared database.
    path = write_config(tmp_path, extra="models: {}\n")

    lines = statements(render(path))

    granted = [line for line in lines if "SNOWFLAKE_SAMPLE_DATA" in line]
    assert granted == [
        "GRANT IMPORTED PRIVILEGES ON DATABASE SNOWFLAKE_SAMPLE_DATA TO ROLE TAJO_ROLE"
    ]
    at = lines.index(granted[0])
    assert lines[at - 1] == "USE ROLE SECURITYADMIN"
    assert lines[at + 1] == "USE ROLE SYSADMIN"


def test_names_with_a_line_break_are_refused_not_printed(tmp_path):
    # A name in a `--` comment with a line break would start a statement.
    path = write_config(tmp_path)
    config = load_config(path, env={})

    with pytest.raises(SetupError, match="control character"):
        render_setup_sql(config, path, user="TAJO\nDROP DATABASE PROD_DB;\n--")


def test_a_quoted_table_name_with_a_line_break_is_left_to_grant_by_hand(tmp_path):
    path = write_config(tmp_path)
    text = path.read_text().replace(
        "from_stage: SELECT * FROM @exports",
        'odd: "SELECT email FROM \\"a\\nGRANT ROLE X TO ROLE PUBLIC;\\""',
    )
    path.write_text(text)

    script = render(path)

    assert "-- Query odd could not be analysed: the name 'a\\nGRANT" in script
    assert "GRANT ROLE X" not in " ".join(statements(script))


def test_identifiers_in_comments_cannot_leave_the_comment(tmp_path):
    path = write_config(tmp_path, extra="models: {}\n")
    public = tmp_path / "k\nDROP USER X;.pub"
    write_key_pair(tmp_path, "k", passphrase=None)
    public.write_bytes((tmp_path / "k.pub").read_bytes())

    script = render(path, public_key=read_public_key(public))

    for line in script.splitlines():
        assert line.startswith("--") or "DROP USER X" not in line


# -- the command -------------------------------------------------------------------


def test_setup_sql_prints_only_the_script_on_stdout(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("SNOWFLAKE_PRIVATE_KEY", raising=False)
    monkeypatch.delenv("BREVO_API_KEY", raising=False)
    path = write_config(tmp_path)

    code = cli.main(["setup-sql", "--config", str(path), "--allowed-ip", "10.0.0.0/8"])

    captured = capsys.readouterr()
    assert code == 0
    assert captured.out == render(path, allowed_ips=["10.0.0.0/8"])


@pytest.mark.parametrize(
    "auth",
    [
        "{method: oauth, client_id: abc, "
        "client_secret: '${SNOWFLAKE_OAUTH_CLIENT_SECRET}'}",
        "{method: pat, token: '${MY_PAT}'}",
        "{method: key_pair, private_key: '${MY_KEY}', "
        "private_key_passphrase: '${MY_PASSPHRASE}'}",
    ],
)
def test_setup_sql_needs_no_secret_whatever_the_auth_method_or_variable_names(
    tmp_path, capsys, monkeypatch, auth
):
    for name in (
        "SNOWFLAKE_PRIVATE_KEY",
        "BREVO_API_KEY",
        "SNOWFLAKE_OAUTH_CLIENT_SECRET",
    ):
        monkeypatch.delenv(name, raising=False)
    path = write_config(tmp_path)
    text = path.read_text().replace("    role:", f"    auth: {auth}\n    role:", 1)
    brevo = "  brevo: {api_key: '${MY_BREVO_KEY}'}\n"
    path.write_text(text.replace("field_mapping:", brevo + "field_mapping:", 1))

    code = cli.main(["setup-sql", "--config", str(path)])

    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "GRANT ROLE TAJO_ROLE TO USER SVC_TAJO;" in captured.out


def test_setup_sql_refuses_a_bad_address_on_stderr(tmp_path, capsys):
    path = write_config(tmp_path)

    code = cli.main(["setup-sql", "--config", str(path), "--allowed-ip", "10.0.0.300"])

    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert "--allowed-ip '10.0.0.300' is not an IP address or CIDR block" in (
        captured.err
    )


# -- in the sandbox ------------------------------------------------------------------


def test_the_script_runs_in_the_sandbox_and_its_user_signs_in(
    shared_snowflake, key_pair, tmp_path
):
    api = shared_snowflake.with_new_database()
    files = write_key_pair(tmp_path, "rsa_key")
    path = write_config(tmp_path, database=api.database)
    script = render(path, public_key=read_public_key(files.public_path))
    url = api.server.url

    admin = KeyPairAuth(ACCOUNT, USER, key_pair.private_pem)
    with SqlApiClient(url, admin, database=api.database) as session:
        # USE ROLE runs only inside a multi-statement request, as in Snowflake.
        session.execute_multi(statements(script))
        created = session.execute(
            "SELECT COUNT(*) FROM INFORMATION_SCHEMA.SCHEMATA "
            "WHERE CATALOG_NAME = :db AND SCHEMA_NAME = 'TAJO_STATE'",
            {"db": api.database},
        )
    new_user = KeyPairAuth(ACCOUNT, "svc_tajo", files.private_path.read_text())
    with SqlApiClient(url, new_user) as tajo:
        signed_in = list(tajo.execute("SELECT 1 AS SIGNED_IN").rows())

    assert list(created.rows()) == [(1,)]
    assert signed_in == [(1,)]


def test_statements_helper_splits_the_script_as_a_client_would():
    script = textwrap.dedent(
        """\
        -- a comment; with a semicolon
        USE ROLE SECURITYADMIN;
        CREATE ROLE IF NOT EXISTS R
          COMMENT = 'x';
        """
    )

    assert statements(script) == [
        "USE ROLE SECURITYADMIN",
        "CREATE ROLE IF NOT EXISTS R COMMENT = 'x'",
    ]


@pytest.mark.parametrize(
    ("auth", "expected"),
    [
        (
            "method: pat\ntoken: ${MY_PAT}",
            "ALTER USER SVC_TAJO ADD PROGRAMMATIC ACCESS TOKEN TAJO_PAT",
        ),
        (
            "method: oauth\nclient_id: tajo-app\nclient_secret: ${SECRET}",
            "scope session:role:TAJO_ROLE",
        ),
    ],
    ids=["pat", "oauth"],
)
def test_the_user_section_follows_the_auth_method(tmp_path, auth, expected):
    extra = "    auth:\n" + textwrap.indent(auth, "      ") + "\n"
    path = tmp_path / "tajo.yaml"
    path.write_text(
        CONFIG.format(database="MARKETING_DB", role="TAJO_ROLE").replace(
            "    queries:", extra + "    queries:", 1
        )
    )

    config = load_config(path, env={"MY_PAT": "unused", "SECRET": "unused"})
    script = render_setup_sql(config, path, user="svc_tajo")

    assert expected in script
    assert "RSA_PUBLIC_KEY" not in script
    assert "tajo keygen" not in script
    # The advice is comments only: nothing runs that the admin did not write.
    assert not any("PROGRAMMATIC" in s or "scope" in s for s in statements(script))
