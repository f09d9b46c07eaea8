"""The connector transport on the real connector's code path.

fakesnow's server (on 127.0.0.1) speaks the Python connector's own protocol, so
here the whole chain is real: our resource, dagster-snowflake, a real
`SnowflakeConnection` over HTTP, and our client. Bindings go out as the typed
pairs the real connector sends to Snowflake, and results come back through the
connector's own result decoding. fakesnow's server does not check credentials.
"""

from collections.abc import Iterator
from datetime import date

import fakesnow
import pytest
import snowflake.connector

from tajo_assets.snowflake import SnowflakeConfigurationError, SnowflakeStatementError
from tajo_assets.snowflake.connector import (
    SnowflakeConnectorClient,
    SnowflakeConnectorResource,
)


@pytest.fixture(scope="module")
def served_fakesnow() -> Iterator[dict]:
    """Connection arguments for a fakesnow server of this module's own."""
    with fakesnow.server() as arguments:
        yield arguments


@pytest.fixture
def wire_resource(served_fakesnow, key_pair) -> SnowflakeConnectorResource:
    return SnowflakeConnectorResource(
        account="fakesnow",
        user="fake",
        private_key=key_pair.private_pem,
        database="WIRE",
        schema="PUBLIC",
        host=served_fakesnow["host"],
        port=served_fakesnow["port"],
        protocol="http",
        fetch_rows=2,
    )


@pytest.fixture
def wire_client(wire_resource) -> Iterator[SnowflakeConnectorClient]:
    with wire_resource.get_client() as client:
        yield client


def test_the_resource_opens_a_real_connector_connection(wire_client):
    # fakesnow's server cannot end sessions, so closing is not observable here.
    connection = wire_client._connection

    assert isinstance(connection, snowflake.connector.SnowflakeConnection)
    assert (connection.database, connection.schema) == ("WIRE", "PUBLIC")


def test_plain_http_is_refused_off_loopback(wire_resource):
    remote = wire_resource.model_copy(update={"host": "snowflake.example.com"})

    with pytest.raises(SnowflakeConfigurationError, match=r"only for 127\.0\.0\.1"):
        with remote.get_client():
            pass


def test_typed_bindings_reach_the_server_as_values(wire_client):
    hostile = "x' OR '1'='1"

    result = wire_client.execute(
        "SELECT :n + 1 AS N, :text AS T, :flag AS F, :day AS D, :missing AS M",
        {
            "n": 41,
            "text": hostile,
            "flag": True,
            "day": date(1969, 7, 20),
            "missing": None,
        },
    )

    assert list(result.rows()) == [(42, hostile, True, date(1969, 7, 20), None)]
    assert [column.type for column in result.columns][:2] == ["fixed", "text"]


def test_results_stream_in_batches_and_count_dml(wire_client):
    multi = wire_client.execute_multi(
        [
            "CREATE OR REPLACE TABLE WIRED (N NUMBER(38,0), LABEL VARCHAR)",
            "INSERT INTO WIRED SELECT i, 'Zoë ' || i FROM range(5) t(i)",
            "SELECT N, LABEL FROM WIRED ORDER BY N",
        ]
    )

    _created, inserted, selected = list(multi.results())
    assert inserted.stats == {"numRowsInserted": 5}
    assert [len(batch) for batch in selected.batches()] == [2, 2, 1]
    assert list(selected.rows())[4] == (4, "Zoë 4")


def test_sql_error_keeps_its_code_and_state(wire_client):
    with pytest.raises(SnowflakeStatementError) as raised:
        wire_client.execute("SELECT * FROM NO_SUCH_TABLE")

    error = raised.value
    assert (error.code, error.sql_state) == ("002003", "42S02")
    assert error.message.startswith("Catalog Error"), "no code prefix in the text"
