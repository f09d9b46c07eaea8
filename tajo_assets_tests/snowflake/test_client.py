"""The SQL API client against the sandbox, over real HTTP on 127.0.0.1.

Every test that uses `client` has its traffic checked against Snowflake's
published API description when it ends (see the `traffic` fixture).
"""

import logging
import re
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from tajo_assets.snowflake import (
    KeyPairAuth,
    SnowflakeAuthError,
    SnowflakeStatementError,
    SnowflakeTimeoutError,
    SqlApiClient,
)
from tajo_assets_tests.snowflake.conftest import (
    ACCOUNT,
    DATABASE,
    PARTITION_ROWS,
    SCHEMA,
    USER,
)


def record_of(sandbox, handle):
    return sandbox.sandbox.statements[handle]


def test_sandbox_accepts_our_token_and_context(client, sandbox):
    result = client.execute("SELECT 1 AS ONE")

    assert list(result.rows()) == [(1,)]
    record = record_of(sandbox, result.handle)
    assert record.user == USER
    assert record.query_tag == "tajo-tests"
    assert (record.database, record.schema, record.warehouse) == (
        DATABASE,
        SCHEMA,
        "TAJO_WH",
    )
    assert record.timezone == "UTC"


def test_wrong_key_pair_names_user_account_and_fix_without_secrets(
    sandbox, key_pair, other_key_pair, traffic
):
    auth = KeyPairAuth(ACCOUNT, USER, other_key_pair.private_pem)
    token = auth.token()

    with SqlApiClient(sandbox.url, auth) as client:
        with pytest.raises(SnowflakeAuthError) as raised:
            client.execute("SELECT 1")

    message = str(raised.value)
    assert f"the key pair of user {USER} for account {ACCOUNT}" in message
    assert auth.fingerprint in message
    assert "RSA_PUBLIC_KEY_FP" in message
    assert raised.value.http_status == 401
    for secret in (token, auth.token(), "eyJ"):
        assert secret not in message
    for pem in (other_key_pair.private_pem, key_pair.private_pem):
        assert pem.splitlines()[1] not in message


def test_expired_token_is_signed_again_once(sandbox, key_pair, traffic):
    stale_then_now = iter([time.time() - 7200])
    auth = KeyPairAuth(
        ACCOUNT,
        USER,
        key_pair.private_pem,
        clock=lambda: next(stale_then_now, time.time()),
    )

    with SqlApiClient(sandbox.url, auth, database=DATABASE, schema=SCHEMA) as client:
        result = client.execute("SELECT 2 AS TWO")

    assert list(result.rows()) == [(2,)]
    statuses = [e.status for e in sandbox.sandbox.traffic.exchanges]
    assert statuses == [401, 200]


NULL_TYPES = [
    "NUMBER(38,0)",
    "NUMBER(12,2)",
    "FLOAT",
    "VARCHAR",
    "BOOLEAN",
    "DATE",
    "TIME",
    "TIMESTAMP_NTZ",
    "TIMESTAMP_LTZ",
    "TIMESTAMP_TZ",
    "BINARY",
    "VARIANT",
    "OBJECT",
    "ARRAY",
]


def test_null_of_every_type_decodes_to_none(client):
    columns = ", ".join(
        f"NULL::{sql_type} AS C{i}" for i, sql_type in enumerate(NULL_TYPES)
    )

    result = client.execute(f"SELECT {columns}")

    assert list(result.rows()) == [(None,) * len(NULL_TYPES)]
    assert len(result.columns) == len(NULL_TYPES)


VALUE_CASES = [
    (
        "TO_NUMBER('99999999999999999999999999999999999999', 38, 0)",
        10**38 - 1,
    ),
    ("-1234567890.12::NUMBER(12,2)", Decimal("-1234567890.12")),
    ("1.5::FLOAT", 1.5),
    ("'it''s \"quoted\"'", 'it\'s "quoted"'),
    ("TRUE", True),
    ("'1969-07-20'::DATE", date(1969, 7, 20)),
    ("'1900-01-01'::DATE", date(1900, 1, 1)),
    ("'13:45:30.123456'::TIME", datetime(1, 1, 1, 13, 45, 30, 123456).time()),
    (
        "'2021-03-19 17:06:59.123456'::TIMESTAMP_NTZ",
        datetime(2021, 3, 19, 17, 6, 59, 123456),
    ),
    (
        "'1969-12-31 23:59:58.5'::TIMESTAMP_NTZ",
        datetime(1969, 12, 31, 23, 59, 58, 500000),
    ),
    (
        "'2021-03-19 17:06:59.123456'::TIMESTAMP_LTZ",
        datetime(2021, 3, 19, 17, 6, 59, 123456, tzinfo=UTC),
    ),
    ("TO_BINARY('DEADBEEF', 'HEX')", b"\xde\xad\xbe\xef"),
    ('PARSE_JSON(\'{"a": [1, 2], "b": null}\')', {"a": [1, 2], "b": None}),
    ("OBJECT_CONSTRUCT('k', 'v', 'n', 1)::OBJECT", {"k": "v", "n": 1}),
    ("PARSE_JSON('[1, \"two\"]')::ARRAY", [1, "two"]),
]


@pytest.mark.parametrize(
    ("expression", "expected"),
    VALUE_CASES,
    ids=[
        "number-38-0-max",
        "number-12-2",
        "float",
        "text-with-quotes",
        "boolean",
        "date-before-1970",
        "date-1900",
        "time",
        "timestamp-ntz",
        "timestamp-ntz-before-1970",
        "timestamp-ltz",
        "binary",
        "variant",
        "object",
        "array",
    ],
)
def test_values_round_trip_through_sql(client, expression, expected):
    result = client.execute(f"SELECT {expression} AS V")

    (value,) = next(result.rows())
    assert value == expected
    assert type(value) is type(expected)


def test_timestamp_tz_carries_the_session_timezone_offset(sandbox, key_pair, traffic):
    auth = KeyPairAuth(ACCOUNT, USER, key_pair.private_pem)
    with SqlApiClient(
        sandbox.url,
        auth,
        database=DATABASE,
        schema=SCHEMA,
        timezone="America/Los_Angeles",
    ) as client:
        result = client.execute("SELECT '2021-03-19 10:06:59'::TIMESTAMP_TZ AS V")

    (value,) = next(result.rows())
    assert value.utcoffset() == timedelta(hours=-7)
    assert value.astimezone(UTC) == datetime(2021, 3, 19, 17, 6, 59, tzinfo=UTC)
    assert record_of(sandbox, result.handle).timezone == "America/Los_Angeles"


def test_more_than_three_partitions_are_read_in_order(client, sandbox):
    total = PARTITION_ROWS * 4 + 2

    result = client.execute(
        "SELECT i AS N, 'row ' || i AS LABEL FROM range(:total) t(i) ORDER BY i",
        {"total": total},
    )
    batches = list(result.batches())

    assert result.partition_count == 5
    assert [len(batch) for batch in batches] == [PARTITION_ROWS] * 4 + [2]
    rows = [row for batch in batches for row in batch]
    assert rows == [(i, f"row {i}") for i in range(total)]
    assert result.num_rows == total


def test_without_prefetch_partitions_are_fetched_one_at_a_time(
    sandbox, key_pair, traffic
):
    auth = KeyPairAuth(ACCOUNT, USER, key_pair.private_pem)
    with SqlApiClient(
        sandbox.url, auth, database=DATABASE, schema=SCHEMA, prefetch_partitions=0
    ) as client:
        result = client.execute(
            "SELECT i AS N FROM range(:n) t(i) ORDER BY i", {"n": 12}
        )
        log = sandbox.sandbox.traffic

        batches = result.batches()
        before = len(log.exchanges)
        next(batches)
        after_first = len(log.exchanges)
        next(batches)
        after_second = len(log.exchanges)

    assert after_first == before
    assert after_second == before + 1
    assert "partition=1" in log.exchanges[-1].query_string


def test_long_statement_takes_the_202_path(client, sandbox):
    result = client.execute("SELECT SYSTEM$WAIT(2)")

    assert list(result.rows()) == [("waited 2 seconds",)]
    statuses = [(e.method, e.status) for e in sandbox.sandbox.traffic.exchanges]
    assert statuses[0] == ("POST", 202)
    assert statuses[-1] == ("GET", 200)


def test_statement_past_the_poll_deadline_is_cancelled(sandbox, key_pair, traffic):
    auth = KeyPairAuth(ACCOUNT, USER, key_pair.private_pem)
    with SqlApiClient(
        sandbox.url, auth, database=DATABASE, schema=SCHEMA, poll_deadline_s=1.5
    ) as client:
        started = time.monotonic()
        with pytest.raises(SnowflakeTimeoutError) as raised:
            client.execute("SELECT SYSTEM$WAIT(30)")
        elapsed = time.monotonic() - started

    handle = raised.value.statement_handle
    assert handle in str(raised.value)
    assert "poll deadline passed, and it was cancelled" in str(raised.value)
    assert elapsed < 10
    record = record_of(sandbox, handle)
    assert record.cancel_requests == 1
    assert record.cancelled


def test_statement_timeout_is_sent_and_enforced(client, sandbox):
    with pytest.raises(SnowflakeTimeoutError) as raised:
        client.execute("SELECT SYSTEM$WAIT(5)", timeout_s=1)

    assert raised.value.statement_handle in sandbox.sandbox.statements
    assert record_of(sandbox, raised.value.statement_handle).timeout_s == 1


def test_quote_in_binding_stays_data(client, sandbox):
    last_sync = "2024-01-01' OR '1'='1"

    result = client.execute("SELECT :last_sync AS V", {"last_sync": last_sync})

    assert list(result.rows()) == [(last_sync,)]
    record = record_of(sandbox, result.handle)
    assert last_sync not in record.sql
    assert record.sql == "SELECT ? AS V"
    assert record.bindings == {"1": {"type": "TEXT", "value": last_sync}}


def test_typed_bindings_reach_sql_as_values(client):
    moment = datetime(2021, 3, 19, 17, 6, 59, 123456)

    result = client.execute(
        "SELECT :n + 1 AS N, :d AS D, :ts AS TS, :flag AS FLAG, :missing AS M",
        {
            "n": 41,
            "d": date(1969, 7, 20),
            "ts": moment,
            "flag": False,
            "missing": None,
        },
    )

    assert next(result.rows()) == (42, date(1969, 7, 20), moment, False, None)


def test_sql_error_carries_code_state_message_and_handle(client, sandbox):
    with pytest.raises(SnowflakeStatementError) as raised:
        client.execute("SELECT * FROM NO_SUCH_TABLE")

    error = raised.value
    assert error.http_status == 422
    assert error.code == "002003"
    assert error.sql_state
    assert "NO_SUCH_TABLE" in error.message
    assert error.statement_handle in sandbox.sandbox.statements
    text = str(error)
    for part in (error.code, error.sql_state, error.statement_handle):
        assert part in text


def test_dml_stats_and_multi_statement_results(client):
    multi = client.execute_multi(
        [
            "CREATE OR REPLACE TABLE AUDIENCE (ID NUMBER(38,0), EMAIL VARCHAR)",
            "INSERT INTO AUDIENCE VALUES (1, 'a@example.com'), (2, 'b@example.com');",
            "SELECT ID, EMAIL FROM AUDIENCE ORDER BY ID -- trailing comment",
        ]
    )

    assert len(multi.statement_handles) == 3
    created, inserted, selected = list(multi.results())
    assert inserted.stats["numRowsInserted"] == 2
    assert list(selected.rows()) == [(1, "a@example.com"), (2, "b@example.com")]
    assert multi.result(2).handle == selected.handle
    assert created.handle == multi.statement_handles[0]


def test_multi_statement_count_is_exact(client, sandbox):
    with pytest.raises(SnowflakeStatementError) as raised:
        client.execute_multi(["SELECT 1; SELECT 2", "SELECT 3"])

    assert raised.value.code == "000008"


def test_cancelled_statement_reports_the_cancel(sandbox, key_pair, traffic):
    auth = KeyPairAuth(ACCOUNT, USER, key_pair.private_pem)
    with SqlApiClient(
        sandbox.url, auth, database=DATABASE, schema=SCHEMA, poll_deadline_s=0.5
    ) as client:
        with pytest.raises(SnowflakeTimeoutError) as raised:
            client.execute("SELECT SYSTEM$WAIT(30)")
        handle = raised.value.statement_handle

        client.cancel(handle)
        with pytest.raises(SnowflakeStatementError) as cancelled:
            client.get_result(handle)

    assert cancelled.value.code == "000604"
    assert record_of(sandbox, handle).cancelled


def test_one_info_line_per_statement_and_no_values_or_tokens(
    sandbox, key_pair, traffic, caplog
):
    email = "someone@example.com"
    auth = KeyPairAuth(ACCOUNT, USER, key_pair.private_pem)

    with caplog.at_level(logging.DEBUG):
        with SqlApiClient(
            sandbox.url, auth, database=DATABASE, schema=SCHEMA
        ) as client:
            result = client.execute("SELECT :email AS EMAIL", {"email": email})
            rows = list(result.rows())

    ours = [r for r in caplog.records if r.name == "tajo_assets.snowflake"]
    info = [r.getMessage() for r in ours if r.levelno == logging.INFO]
    assert rows == [(email,)]
    assert len(info) == 1
    assert re.fullmatch(
        rf"Snowflake statement {result.handle} finished: "
        r"1 rows in 1 partitions, \d+\.\d\d s",
        info[0],
    )
    assert not any("SELECT" in r.getMessage() for r in ours)
    everything = "\n".join(r.getMessage() for r in caplog.records)
    assert email not in everything
    assert auth.token() not in everything


def test_log_queries_logs_sql_text_but_never_values(sandbox, key_pair, traffic, caplog):
    email = "someone@example.com"
    auth = KeyPairAuth(ACCOUNT, USER, key_pair.private_pem)

    with caplog.at_level(logging.DEBUG, logger="tajo_assets.snowflake"):
        with SqlApiClient(
            sandbox.url, auth, database=DATABASE, schema=SCHEMA, log_queries=True
        ) as client:
            client.execute("SELECT :email AS EMAIL", {"email": email})

    sql_lines = [r for r in caplog.records if "SELECT ? AS EMAIL" in r.getMessage()]
    assert [r.levelno for r in sql_lines] == [logging.INFO]
    assert email not in "\n".join(r.getMessage() for r in caplog.records)


def test_an_email_snowflake_quotes_from_row_data_is_masked_in_the_error(client):
    with pytest.raises(SnowflakeStatementError) as raised:
        client.execute("SELECT 'sofia.mansour@example.com'::NUMBER AS N")

    message = str(raised.value)
    assert "sofia.mansour@example.com" not in message
    assert "s***@example.com" in message
