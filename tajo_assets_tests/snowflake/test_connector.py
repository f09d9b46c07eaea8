"""The Python-connector transport against fakesnow in-process.

`fakesnow.patch()` replaces `snowflake.connector.connect`, which is what
dagster-snowflake calls, so these tests run the whole chain: our resource,
dagster-snowflake's `SnowflakeResource`, the connection, our client. One test
runs the same table through the SQL API transport (the sandbox, over HTTP on
127.0.0.1) and compares the decoded rows.
"""

import base64
import logging
import re
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from decimal import Decimal

import fakesnow
import pytest
import snowflake.connector
from cryptography.hazmat.primitives import serialization

from tajo_assets.snowflake import SnowflakeConfigurationError, SnowflakeStatementError
from tajo_assets.snowflake.auth import load_private_key
from tajo_assets.snowflake.connector import (
    ConnectorStatementResult,
    SnowflakeConnectorClient,
    SnowflakeConnectorResource,
)
from tajo_assets.snowflake.transport import SnowflakeTransport
from tajo_assets.sync.state import SyncTables, WarehouseState, render_sql
from tajo_assets_tests.snowflake.conftest import USER

# The same table, made by the same statements, through both transports.
COMPARED_TABLE = [
    """CREATE OR REPLACE TABLE COMPARED (
        ID NUMBER(38,0),
        AMOUNT NUMBER(12,2),
        RATIO FLOAT,
        NAME VARCHAR,
        ACTIVE BOOLEAN,
        SIGNED_UP DATE,
        SEEN_AT TIMESTAMP_NTZ,
        CHANGED_AT TIMESTAMP_TZ
    )""",
    """INSERT INTO COMPARED VALUES
        (1, 1234.50, 0.25, 'Zoë Ångström', TRUE, '1969-07-20',
         '2021-03-19 17:06:59.123456', '2021-03-19 17:06:59.123456'),
        (2, -0.01, -15000000000.5, '東京 — ünïcödé 👋', FALSE, '2024-02-29',
         '1999-12-31 23:59:59', '2024-01-01 00:00:00'),
        (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
        (4, 99999999.99, 1e-7, 'it''s "quoted"', TRUE, '1900-01-01',
         '1969-12-31 23:59:58.5', '1970-01-01 00:00:00')""",
]
COMPARED_QUERY = (
    "SELECT *, :label AS LABEL, :n + ID AS SHIFTED FROM COMPARED "
    "WHERE SEEN_AT IS NULL OR SEEN_AT > :since ORDER BY ID"
)
COMPARED_BINDINGS = {"label": "from ':label'", "n": 10, "since": datetime(1960, 1, 1)}


def describe(column) -> tuple:
    """What decoding depends on: name, type, and scale for NUMBER."""
    return column.name, column.type, column.scale if column.type == "fixed" else None


@pytest.fixture(scope="module")
def fake_snowflake() -> Iterator[None]:
    """fakesnow in place of `snowflake.connector.connect` for this module."""
    with fakesnow.patch():
        yield


@pytest.fixture
def connector_resource(
    fake_snowflake, key_pair
) -> Callable[..., SnowflakeConnectorResource]:
    """A resource on a database of the test's own, with these overrides."""
    database = f"TEST_{uuid.uuid4().hex[:10].upper()}"

    def build(**overrides) -> SnowflakeConnectorResource:
        settings = {
            "account": "myorg-myacct",
            "user": USER,
            "private_key": key_pair.private_pem,
            "warehouse": "TAJO_WH",
            "database": database,
            "schema": "PUBLIC",
            "query_tag": "tajo-tests",
            **overrides,
        }
        return SnowflakeConnectorResource(**settings)

    return build


@pytest.fixture
def connector(connector_resource) -> Iterator[SnowflakeConnectorClient]:
    with connector_resource(fetch_rows=2).get_client() as client:
        yield client


def test_connector_gives_the_same_rows_as_the_sql_api(client, connector):
    for statement in COMPARED_TABLE:
        client.execute(statement)
        connector.execute(statement)

    over_http = client.execute(COMPARED_QUERY, COMPARED_BINDINGS)
    in_process = connector.execute(COMPARED_QUERY, COMPARED_BINDINGS)

    expected = list(over_http.rows())
    assert list(in_process.rows()) == expected
    assert [describe(c) for c in in_process.columns] == [
        describe(c) for c in over_http.columns
    ]
    assert in_process.num_rows == over_http.num_rows == 4
    assert expected[0][3] == "Zoë Ångström"
    assert expected[2][1:8] == (None,) * 7
    for row_http, row_connector in zip(expected, in_process.rows(), strict=True):
        assert [type(v) for v in row_connector] == [type(v) for v in row_http]


def test_both_transports_are_the_same_interface(client, connector):
    assert isinstance(client, SnowflakeTransport)
    assert isinstance(connector, SnowflakeTransport)


def test_values_decode_to_the_sql_api_types(connector):
    result = connector.execute(
        "SELECT 7::NUMBER(38,0) AS N, 12.5::NUMBER(12,2) AS D, 1.5::FLOAT AS F, "
        "'2021-03-19 17:06:59'::TIMESTAMP_LTZ AS LTZ, "
        "'2021-03-19 17:06:59'::TIMESTAMP_TZ AS TZ, "
        "'13:45:30'::TIME AS T, TO_BINARY('DEADBEEF', 'HEX') AS B, "
        'PARSE_JSON(\'{"a": [1, 2], "b": null}\') AS V'
    )

    (row,) = list(result.rows())
    n, d, f, ltz, tz, t, b, v = row
    assert (type(n), type(d), type(f)) == (int, Decimal, float)
    assert (n, d, f) == (7, Decimal("12.50"), 1.5)
    assert ltz == datetime(2021, 3, 19, 17, 6, 59, tzinfo=UTC)
    assert ltz.tzinfo is UTC and tz.tzinfo is UTC
    assert (t.hour, t.minute, t.second) == (13, 45, 30)
    assert b == b"\xde\xad\xbe\xef"
    assert v == {"a": [1, 2], "b": None}


def test_bindings_are_values_never_sql(connector):
    hostile = "x' OR '1'='1"
    moment = datetime(2021, 3, 19, 17, 6, 59, 123456)

    result = connector.execute(
        "SELECT :text AS T, :n + 1 AS N, :d AS D, :ts AS TS, :flag AS F, "
        ":missing AS M, :text = :text AS SAME",
        {
            "text": hostile,
            "n": 41,
            "d": date(1969, 7, 20),
            "ts": moment,
            "flag": False,
            "missing": None,
        },
    )

    assert next(result.rows()) == (
        hostile,
        42,
        date(1969, 7, 20),
        moment,
        False,
        None,
        True,
    )


def test_a_binding_the_statement_lacks_is_refused_like_the_sql_api(connector):
    with pytest.raises(ValueError, match=":ghost does not occur"):
        connector.execute("SELECT 1 AS ONE", {"ghost": 1})


def test_batches_hold_at_most_fetch_rows(connector):
    result = connector.execute(
        "SELECT i AS N FROM range(:total) t(i) ORDER BY i", {"total": 5}
    )

    batches = list(result.batches())

    assert [len(batch) for batch in batches] == [2, 2, 1]
    assert [row for batch in batches for row in batch] == [(i,) for i in range(5)]
    assert list(result.rows()) == [(i,) for i in range(5)], "a second pass re-reads"


def test_multi_statement_results_and_dml_counts(connector):
    multi = connector.execute_multi(
        [
            "CREATE OR REPLACE TABLE AUDIENCE (ID NUMBER(38,0), EMAIL VARCHAR)",
            "INSERT INTO AUDIENCE VALUES (1, 'a@example.com'), (2, 'b@example.com');",
            "SELECT ID, EMAIL FROM AUDIENCE ORDER BY ID -- trailing comment",
            "UPDATE AUDIENCE SET EMAIL = 'c@example.com' WHERE ID = 2",
            "DELETE FROM AUDIENCE WHERE ID = 1",
        ]
    )

    created, inserted, selected, updated, deleted = list(multi.results())
    assert len(set(multi.statement_handles)) == 5
    assert multi.handle == created.handle == multi.statement_handles[0]
    assert inserted.stats == {"numRowsInserted": 2}
    assert inserted.num_rows == 1
    assert list(selected.rows()) == [(1, "a@example.com"), (2, "b@example.com")]
    assert multi.result(2) is selected
    assert updated.stats["numRowsUpdated"] == 1
    assert list(updated.rows()) == [tuple(updated.stats.values())]
    assert deleted.stats == {"numRowsDeleted": 1}


def test_a_failing_statement_stops_the_rest(connector):
    with pytest.raises(SnowflakeStatementError):
        connector.execute_multi(
            [
                "CREATE OR REPLACE TABLE STEPS (N NUMBER(38,0))",
                "INSERT INTO NO_SUCH_TABLE VALUES (1)",
                "INSERT INTO STEPS VALUES (1)",
            ]
        )

    assert list(connector.execute("SELECT COUNT(*) FROM STEPS").rows()) == [(0,)]


def test_create_schema_does_not_move_later_statements(connector):
    connector.execute("CREATE TABLE AT_HOME (N NUMBER(38,0))")

    connector.execute_multi(
        [
            "CREATE SCHEMA IF NOT EXISTS ELSEWHERE",
            "CREATE TABLE ONLY_ELSEWHERE (N NUMBER(38,0))",
        ]
    )

    assert list(connector.execute("SELECT COUNT(*) FROM AT_HOME").rows()) == [(0,)]
    moved_within = connector.execute("SELECT COUNT(*) FROM ELSEWHERE.ONLY_ELSEWHERE")
    assert list(moved_within.rows()) == [(0,)], "the session persists within a call"


def test_sql_error_is_a_statement_error_with_code_and_fix(connector):
    with pytest.raises(SnowflakeStatementError) as raised:
        connector.execute("SELECT * FROM NO_SUCH_TABLE")

    error = raised.value
    assert error.code == "002003"
    assert error.sql_state == "42S02"
    assert "NO_SUCH_TABLE" in error.message
    assert not error.message.startswith("002003"), "no doubled code prefix"
    assert "fix the statement or its bindings" in str(error)
    assert isinstance(error.__cause__, snowflake.connector.errors.ProgrammingError)


def test_take_snapshot_runs_through_the_connector(connector):
    connector.execute_multi(
        [
            "CREATE TABLE CUSTOMERS (ID NUMBER(38,0), UPDATED_AT TIMESTAMP_NTZ)",
            "INSERT INTO CUSTOMERS VALUES (1, '2020-01-01 00:00:00'), "
            "(2, '2030-01-01 00:00:00')",
        ]
    )
    query = "SELECT ID FROM CUSTOMERS WHERE UPDATED_AT > :last_sync"
    state = WarehouseState(connector, SyncTables("TAJO_STATE", "members", "customers"))
    window = (datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 1, 2, tzinfo=UTC))

    first = state.take_snapshot(query, "hash-1", window)
    read = render_sql("read_snapshot", snapshot_table=first.table)
    snapshot = list(connector.execute(read).rows())
    state.record_definition("hash-1")
    changed = state.take_snapshot(query, "hash-2", window)

    assert (first.row_count, first.window_start, first.widened) == (1, window[0], False)
    assert snapshot == [(2,)]
    # A changed definition reads from the epoch: every row carries it anew.
    assert (changed.row_count, changed.widened) == (2, True)
    assert all(state.statement_handles)


def test_session_and_context_reach_the_connector(connector_resource, key_pair):
    resource = connector_resource(
        account="myorg-myacct.snowflakecomputing.com",
        role="TAJO_ROLE",
        statement_timeout_s=120,
        timezone="Europe/Paris",
    )

    with resource.get_client():
        arguments = snowflake.connector.connect.call_args.kwargs

    assert arguments["account"] == "myorg-myacct"
    assert arguments["paramstyle"] == "qmark"
    assert (arguments["warehouse"], arguments["role"]) == ("TAJO_WH", "TAJO_ROLE")
    assert arguments["session_parameters"] == {
        "QUERY_TAG": "tajo-tests",
        "TIMEZONE": "Europe/Paris",
        "STATEMENT_TIMEOUT_IN_SECONDS": 120,
    }
    assert isinstance(arguments["private_key"], bytes), "loaded, not the PEM text"
    assert "authenticator" not in arguments
    assert key_pair.private_pem.splitlines()[1] not in repr(resource)


@pytest.mark.parametrize(
    "key_setting",
    [
        lambda pair: {"private_key": pair.private_pem.strip().replace("\n", "\\n")},
        lambda pair: {
            "private_key": base64.b64encode(pair.private_pem.encode()).decode()
        },
        lambda pair: {
            "private_key": pair.encrypted_private_pem,
            "private_key_passphrase": pair.passphrase,
        },
    ],
    ids=["literal-newlines", "base64", "encrypted"],
)
def test_every_key_form_the_sql_api_takes_signs_in(
    connector_resource, key_pair, key_setting
):
    with connector_resource(**key_setting(key_pair)).get_client() as client:
        arguments = snowflake.connector.connect.call_args.kwargs
        assert list(client.execute("SELECT 1 AS N").rows()) == [(1,)]

    expected = load_private_key(key_pair.private_pem).private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    assert arguments["private_key"] == expected


@pytest.mark.parametrize(
    ("credential", "sign_in"),
    [
        (
            {"oauth_token": "token-value-123"},
            {"authenticator": "oauth", "token": "token-value-123"},
        ),
        (
            {"programmatic_access_token": "pat-value-123"},
            {"authenticator": "PROGRAMMATIC_ACCESS_TOKEN", "token": "pat-value-123"},
        ),
        (
            {
                "oauth_client_id": "tajo-client",
                "oauth_client_secret": "secret-value-123",
                "oauth_scope": "session:role:TAJO",
            },
            {
                "authenticator": "OAUTH_CLIENT_CREDENTIALS",
                "oauth_client_id": "tajo-client",
                "oauth_client_secret": "secret-value-123",
                "oauth_scope": "session:role:TAJO",
            },
        ),
    ],
    ids=["oauth-token", "pat", "oauth-client-credentials"],
)
def test_other_credentials_sign_in_without_a_key(
    connector_resource, credential, sign_in
):
    resource = connector_resource(private_key=None, **credential)

    with resource.get_client():
        arguments = snowflake.connector.connect.call_args.kwargs

    assert {key: arguments.get(key) for key in sign_in} == sign_in
    assert "private_key" not in arguments
    assert "value-123" not in repr(resource)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"private_key": None}, "not 0 (none)"),
        ({"oauth_token": "t"}, "not 2 (private_key, oauth_token)"),
        ({"private_key": "not a key"}, "neither PEM text nor base64"),
        (
            {"private_key": None, "oauth_client_secret": "s"},
            "oauth_client_secret is set without oauth_client_id",
        ),
    ],
    ids=["no-credential", "two-credentials", "unreadable-key", "secret-without-id"],
)
def test_unusable_credentials_fail_before_connecting(
    connector_resource, overrides, expected
):
    calls = snowflake.connector.connect.call_count

    with pytest.raises(SnowflakeConfigurationError, match=re.escape(expected)):
        with connector_resource(**overrides).get_client():
            pass

    assert snowflake.connector.connect.call_count == calls


def test_a_connection_without_qmark_is_refused(fake_snowflake):
    connection = snowflake.connector.connect(database="PARAMSTYLE_TEST")

    with pytest.raises(SnowflakeConfigurationError, match="paramstyle='qmark'"):
        SnowflakeConnectorClient(connection)

    connection.close()


def test_one_info_line_per_statement_without_values(connector_resource, caplog):
    secret_value = "ann@example.com"

    with connector_resource(log_queries=True).get_client() as client:
        with caplog.at_level(logging.INFO, logger="tajo_assets.snowflake"):
            result = client.execute("SELECT :email AS E", {"email": secret_value})

    lines = [r.getMessage() for r in caplog.records if r.name.startswith("tajo")]
    assert isinstance(result, ConnectorStatementResult)
    assert len(lines) == 2
    assert "SELECT ? AS E" in lines[0]
    assert result.handle in lines[1]
    assert all(secret_value not in line for line in lines)
