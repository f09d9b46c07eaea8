"""The sandbox's Snowflake SQL API v2, spoken to over real HTTP on 127.0.0.1."""

import json
import logging
import threading
import time
import uuid

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tajo_assets.sandbox.snowflake import SnowflakeSandboxSettings, StatementStatus
from tajo_assets.sandbox.snowflake.results import ResultStore, StoredResult
from tajo_assets_tests.contract import SNOWFLAKE
from tajo_assets_tests.sandbox.snowflake_fixtures import (
    STATEMENTS,
    SqlApi,
    gunzip_json,
    headers_for,
    mint_jwt,
)


def submit_here(api: SqlApi, statement: str, **body) -> httpx.Response:
    """Submit in the test's own database (TEST_....PUBLIC)."""
    return api.submit(statement, **{**api.context, **body})


def run(api: SqlApi, statement: str, **body) -> dict:
    """Submit in the test's own database and insist on 200; return the ResultSet."""
    response = api.submit(statement, **{**api.context, **body})
    assert response.status_code == 200, response.text
    return response.json()


# -- authentication --------------------------------------------------------------------


def test_a_valid_key_pair_jwt_runs_the_statement(snowflake_api):
    response = snowflake_api.submit("SELECT 1 AS ONE")

    assert response.status_code == 200
    assert response.json()["data"] == [["1"]]


def _call(api: SqlApi, token: str | None, token_type: str | None = "KEYPAIR_JWT"):
    headers = headers_for(token)
    if token_type is None:
        del headers["X-Snowflake-Authorization-Token-Type"]
    else:
        headers["X-Snowflake-Authorization-Token-Type"] = token_type
    if token is None:
        headers["Authorization"] = ""
    return httpx.post(
        f"{api.server.url}{STATEMENTS}", json={"statement": "SELECT 1"}, headers=headers
    )


def test_a_missing_token_is_refused_with_the_header_to_send(snowflake_api):
    response = _call(snowflake_api, None)

    assert response.status_code == 401
    assert response.json()["code"] == "390146"
    assert "Authorization: Bearer" in response.json()["message"]


@pytest.mark.parametrize(
    ("case", "expected_in_message"),
    [
        (
            "unknown_user",
            "'NOBODY' named in the 'iss' claim has no registered public key",
        ),
        (
            "other_fingerprint",
            "sign with the private key that belongs to the registered",
        ),
        ("bad_signature", "signature does not verify against user TAJO_TEST"),
        ("expired", "expired"),
        ("too_long_lifetime", "lifetime (exp - iat) is 7200 s"),
        ("lower_case_account", "names account 'sandbox'"),
        ("wrong_subject", "'sub' claim must be 'SANDBOX.TAJO_TEST'"),
        ("issued_in_future", "s in the future; check the clock"),
        ("not_a_jwt", "not a JWT"),
    ],
)
def test_a_bad_jwt_is_refused_with_the_reason_and_never_echoed(
    snowflake_api, key_pair, other_key_pair, case, expected_in_message
):
    token = _bad_token(case, key_pair, other_key_pair)

    response = _call(snowflake_api, token)

    assert response.status_code == 401
    assert response.json()["code"] == "390144"
    assert response.json()["message"].startswith("JWT token is invalid.")
    assert expected_in_message in response.json()["message"]
    assert token not in response.text
    assert token.split(".")[-1] not in response.text


def _bad_token(case: str, key_pair, other_key_pair) -> str:
    own = {"public_pem": key_pair.public_pem}
    now = time.time()
    tokens = {
        "unknown_user": lambda: mint_jwt(key_pair.private_pem, user="NOBODY", **own),
        "other_fingerprint": lambda: mint_jwt(
            other_key_pair.private_pem, public_pem=other_key_pair.public_pem
        ),
        "bad_signature": lambda: mint_jwt(other_key_pair.private_pem, **own),
        "expired": lambda: mint_jwt(
            key_pair.private_pem, issued_at=now - 4000, lifetime_s=3000, **own
        ),
        "too_long_lifetime": lambda: mint_jwt(
            key_pair.private_pem, issued_at=now - 10, lifetime_s=7200, **own
        ),
        "lower_case_account": lambda: mint_jwt(
            key_pair.private_pem, account="sandbox", **own
        ),
        "wrong_subject": lambda: mint_jwt(
            key_pair.private_pem, subject="SANDBOX.SOMEONE", **own
        ),
        "issued_in_future": lambda: mint_jwt(
            key_pair.private_pem, issued_at=now + 600, lifetime_s=600, **own
        ),
        "not_a_jwt": lambda: "opaque-token-without-dots",
    }
    return tokens[case]()


def test_iat_and_exp_in_milliseconds_are_accepted(snowflake_api, key_pair):
    token = mint_jwt(
        key_pair.private_pem, public_pem=key_pair.public_pem, milliseconds=True
    )

    assert _call(snowflake_api, token).status_code == 200


def test_the_token_type_header_may_be_left_out_for_a_jwt(snowflake_api, key_pair):
    token = mint_jwt(key_pair.private_pem, public_pem=key_pair.public_pem)

    assert _call(snowflake_api, token, token_type=None).status_code == 200


def test_an_unknown_token_type_is_refused_naming_the_accepted_ones(snowflake_api):
    response = _call(snowflake_api, "some-opaque-token", token_type="PASSWORD")

    assert response.status_code == 401
    message = response.json()["message"]
    assert "'PASSWORD' is not accepted" in message
    for accepted in ("KEYPAIR_JWT", "OAUTH", "PROGRAMMATIC_ACCESS_TOKEN"):
        assert accepted in message
    assert "some-opaque-token" not in response.text


@pytest.mark.parametrize(
    ("token_type", "message"),
    [
        ("OAUTH", "Invalid OAuth access token."),
        ("PROGRAMMATIC_ACCESS_TOKEN", "Programmatic access token is invalid."),
    ],
)
def test_an_opaque_token_never_issued_is_refused_with_390303(
    snowflake_api, token_type, message
):
    response = _call(snowflake_api, "some-opaque-token", token_type=token_type)

    assert response.status_code == 401
    assert response.json()["code"] == "390303"
    assert response.json()["message"].startswith(message)
    assert "some-opaque-token" not in response.text


def test_a_key_registered_later_lets_its_user_in(snowflake_api, other_key_pair):
    token = mint_jwt(
        other_key_pair.private_pem,
        public_pem=other_key_pair.public_pem,
        user="LATECOMER",
    )
    assert _call(snowflake_api, token).status_code == 401

    snowflake_api.sandbox.register_public_key("latecomer", other_key_pair.public_pem)

    assert _call(snowflake_api, token).status_code == 200


def test_a_statement_of_another_user_is_not_found(snowflake_api, other_key_pair):
    handle = snowflake_api.submit("SELECT 1").json()["statementHandle"]
    snowflake_api.sandbox.register_public_key("INTRUDER", other_key_pair.public_pem)
    token = mint_jwt(
        other_key_pair.private_pem,
        public_pem=other_key_pair.public_pem,
        user="INTRUDER",
    )

    response = httpx.get(
        f"{snowflake_api.server.url}{STATEMENTS}/{handle}", headers=headers_for(token)
    )

    assert response.status_code == 422
    assert response.json()["code"] == "000709"


# -- malformed requests ----------------------------------------------------------------


def test_a_body_that_is_not_json_is_refused(snowflake_api):
    response = snowflake_api.client.post(
        STATEMENTS,
        content=b"statement=SELECT 1",
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 400
    assert response.json()["code"] == "390142"
    assert "not valid JSON" in response.json()["message"]


def test_another_content_type_is_refused_with_415(snowflake_api):
    response = snowflake_api.client.post(
        STATEMENTS, content=b"SELECT 1", headers={"Content-Type": "text/plain"}
    )

    assert response.status_code == 415
    assert "application/json" in response.json()["message"]


@pytest.mark.parametrize(
    ("body", "query", "expected"),
    [
        ({}, None, "needs 'statement'"),
        ({"statement": "SELECT 1", "timeout": -5}, None, "'timeout' is -5"),
        ({"statement": "SELECT 1", "timeout": "10"}, None, "'timeout' is '10'"),
        ({"statement": "SELECT 1", "database": 7}, None, "'database' must be a string"),
        (
            {"statement": "SELECT 1", "bindings": {"1": "x"}},
            None,
            "Binding '1' must be",
        ),
        (
            {"statement": "SELECT 1"},
            {"requestId": "abc"},
            "requestId 'abc' is not a UUID",
        ),
        (
            {"statement": "SELECT 1", "parameters": {"timezone": "Mars/Olympus"}},
            None,
            "time zone 'Mars/Olympus' is unknown",
        ),
        (
            {"statement": "SELECT 1", "parameters": {"MULTI_STATEMENT_COUNT": "two"}},
            None,
            "MULTI_STATEMENT_COUNT is 'two'",
        ),
    ],
    ids=[
        "no-statement",
        "negative-timeout",
        "timeout-as-string",
        "database-not-string",
        "binding-not-object",
        "request-id-not-uuid",
        "unknown-timezone",
        "statement-count-not-number",
    ],
)
def test_an_invalid_payload_is_refused_naming_the_field(
    snowflake_api, body, query, expected
):
    response = snowflake_api.client.post(STATEMENTS, params=query, json=body)

    assert response.status_code == 400
    assert response.json()["code"] == "390142"
    assert expected in response.json()["message"]


def test_an_empty_statement_is_refused(snowflake_api):
    response = snowflake_api.submit("  ;  -- nothing here")

    assert response.status_code == 400
    assert response.json() == {"code": "000900", "message": "Empty SQL statement."}


# -- results and their encoding --------------------------------------------------------


def test_values_are_encoded_as_snowflake_strings(snowflake_api):
    run(
        snowflake_api,
        "CREATE TABLE T (N NUMBER(38,0), D2 NUMBER(12,2), R FLOAT, S VARCHAR, "
        "B BOOLEAN, DT DATE, TM TIME, NTZ TIMESTAMP_NTZ, TZ TIMESTAMP_TZ, BIN BINARY, "
        "V VARIANT)",
    )
    run(
        snowflake_api,
        "INSERT INTO T SELECT 12345678901234567, 2.5, 1.5, 'नमस्ते \"q\"', TRUE, "
        "'1969-12-31', '12:34:56.123456', '2021-03-19 17:06:59.123', "
        "'2021-03-19 17:06:59', TO_BINARY('DEADBEEF', 'HEX'), "
        "PARSE_JSON('{\"a\": [1, 2]}')",
    )
    run(snowflake_api, "INSERT INTO T (N) VALUES (NULL)")

    result = run(snowflake_api, "SELECT * FROM T ORDER BY N NULLS LAST")

    full, empty = result["data"]
    assert full[:9] == [
        "12345678901234567",
        "2.50",
        "1.5",
        'नमस्ते "q"',
        "true",
        "-1",
        "45296.123456000",
        "1616173619.123000000",
        "1616173619.000000000 1440",
    ]
    assert full[9] == "DEADBEEF"
    assert json.loads(full[10]) == {"a": [1, 2]}
    assert empty == [None] * 11


def test_row_type_names_lower_case_types_with_precision_and_scale(snowflake_api):
    run(snowflake_api, "CREATE TABLE T (N NUMBER(12,2), S VARCHAR, D DATE, F FLOAT)")

    row_type = run(snowflake_api, "SELECT * FROM T")["resultSetMetaData"]["rowType"]

    assert [(c["name"], c["type"]) for c in row_type] == [
        ("N", "fixed"),
        ("S", "text"),
        ("D", "date"),
        ("F", "real"),
    ]
    assert (row_type[0]["precision"], row_type[0]["scale"]) == (12, 2)
    assert row_type[1]["length"] == 16777216
    assert all(column["nullable"] for column in row_type)


def test_timestamp_tz_carries_the_offset_of_the_session_timezone(snowflake_api):
    run(snowflake_api, "CREATE TABLE T (TZ TIMESTAMP_TZ)")
    run(snowflake_api, "INSERT INTO T VALUES ('2021-01-15 20:00:00')")

    in_utc = run(snowflake_api, "SELECT TZ FROM T")
    in_los_angeles = run(
        snowflake_api,
        "SELECT TZ FROM T",
        parameters={"timezone": "america/los_angeles"},
    )
    in_kolkata = run(
        snowflake_api, "SELECT TZ FROM T", parameters={"TIMEZONE": "Asia/Kolkata"}
    )

    assert in_utc["data"] == [["1610740800.000000000 1440"]]
    assert in_los_angeles["data"] == [["1610740800.000000000 960"]]
    assert in_kolkata["data"] == [["1610740800.000000000 1770"]]


def test_nullable_false_sends_null_as_the_string_null(snowflake_api):
    response = snowflake_api.submit(
        "SELECT NULL AS A, 'x' AS B", query={"nullable": "false"}
    )

    assert response.json()["data"] == [["null", "x"]]


def test_an_empty_result_keeps_its_row_type(snowflake_api):
    response = snowflake_api.submit("SELECT 1 AS ONE WHERE 1 = 0")

    metadata = response.json()["resultSetMetaData"]
    assert response.json()["data"] == []
    assert metadata["numRows"] == 0
    assert metadata["rowType"][0]["name"] == "ONE"
    assert metadata["partitionInfo"] == [{"rowCount": 0, "uncompressedSize": 2}]


def test_dml_reports_row_counts_as_stats(snowflake_api):
    run(snowflake_api, "CREATE TABLE T (ID NUMBER, NAME VARCHAR)")

    inserted = run(snowflake_api, "INSERT INTO T VALUES (1, 'a'), (2, 'b'), (3, 'c')")
    updated = run(snowflake_api, "UPDATE T SET NAME = 'z' WHERE ID >= 2")
    deleted = run(snowflake_api, "DELETE FROM T WHERE ID = 1")

    assert inserted["stats"] == {"numRowsInserted": 3}
    assert inserted["data"] == [["3"]]
    assert updated["stats"] == {"numRowsUpdated": 2}
    assert deleted["stats"] == {"numRowsDeleted": 1}


def test_merge_reports_what_it_inserted_and_updated(snowflake_api):
    run(snowflake_api, "CREATE TABLE T (ID NUMBER, NAME VARCHAR)")
    run(snowflake_api, "INSERT INTO T VALUES (1, 'a'), (2, 'b')")

    merged = run(
        snowflake_api,
        "MERGE INTO T USING (SELECT 2 AS ID, 'B' AS NAME UNION ALL SELECT 3, 'c') AS S "
        "ON T.ID = S.ID WHEN MATCHED THEN UPDATE SET NAME = S.NAME "
        "WHEN NOT MATCHED THEN INSERT (ID, NAME) VALUES (S.ID, S.NAME)",
    )

    assert merged["stats"] == {"numRowsInserted": 1, "numRowsUpdated": 1}


def test_a_large_result_comes_in_gzip_partitions_with_data_only(serve_snowflake):
    api = serve_snowflake(partition_rows=4)

    first = api.submit(
        "SELECT SEQ4() + 1 AS N FROM TABLE(GENERATOR(ROWCOUNT => 10)) ORDER BY N"
    )
    body = first.json()
    response, raw = api.raw_partition(body["statementHandle"], 1)

    info = body["resultSetMetaData"]["partitionInfo"]
    assert [p["rowCount"] for p in info] == [4, 4, 2]
    assert body["resultSetMetaData"]["numRows"] == 10
    assert response.headers["content-encoding"] == "gzip"
    assert gunzip_json(raw) == {"data": [["5"], ["6"], ["7"], ["8"]]}
    assert info[1]["compressedSize"] == len(raw)
    assert [int(row[0]) for row in api.all_rows(first)] == list(range(1, 11))


def test_a_partition_out_of_range_is_refused(serve_snowflake):
    api = serve_snowflake(partition_rows=2)
    handle = api.submit("SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3").json()[
        "statementHandle"
    ]

    response = api.status(handle, partition=2)

    assert response.status_code == 400
    assert response.json()["code"] == "391922"
    assert "partitions 0 to 1" in response.json()["message"]


def test_get_on_a_finished_statement_returns_partition_zero_again(snowflake_api):
    posted = snowflake_api.submit("SELECT 'same' AS S")

    fetched = snowflake_api.status(posted.json()["statementHandle"])
    fetched_zero = snowflake_api.status(posted.json()["statementHandle"], partition=0)

    assert fetched.status_code == fetched_zero.status_code == 200
    assert fetched.json() == posted.json() == fetched_zero.json()


# -- bindings --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("binding", "expected"),
    [
        ({"type": "FIXED", "value": "-42"}, "-42"),
        ({"type": "FIXED", "value": "3.25"}, "3.25"),
        ({"type": "REAL", "value": "1.5"}, "1.5"),
        ({"type": "TEXT", "value": "O'Neil"}, "O'Neil"),
        ({"type": "BOOLEAN", "value": "false"}, "false"),
        ({"type": "DATE", "value": "1616112000000"}, "18705"),
        ({"type": "TIME", "value": "45296000000000"}, "45296.000000000"),
        (
            {"type": "TIMESTAMP_NTZ", "value": "1616173619123000000"},
            "1616173619.123000000",
        ),
        (
            {"type": "TIMESTAMP_LTZ", "value": "1616173619000000000"},
            "1616173619.000000000 1440",
        ),
        (
            {"type": "TIMESTAMP_TZ", "value": "1616173619000000000 1500"},
            "1616173619.000000000 1440",
        ),
        ({"type": "BINARY", "value": "cafe"}, "CAFE"),
        ({"type": "TEXT", "value": None}, None),
    ],
    ids=[
        "fixed-integer",
        "fixed-decimal",
        "real",
        "text-with-quote",
        "boolean",
        "date-in-ms",
        "time-in-ns",
        "timestamp-ntz-in-ns",
        "timestamp-ltz-in-ns",
        "timestamp-tz-with-offset",
        "binary-hex",
        "null",
    ],
)
def test_each_binding_type_reaches_the_database_as_its_value(
    snowflake_api, binding, expected
):
    response = snowflake_api.submit("SELECT ? AS V", bindings={"1": binding})

    assert response.status_code == 200, response.text
    assert response.json()["data"] == [[expected]]


def test_numbered_placeholders_may_repeat_and_reorder(snowflake_api):
    response = snowflake_api.submit(
        "SELECT :2 AS B, :1 AS A, :2 AS B_AGAIN",
        bindings={
            "1": {"type": "TEXT", "value": "a"},
            "2": {"type": "TEXT", "value": "b"},
        },
    )

    assert response.json()["data"] == [["b", "a", "b"]]


def test_a_bound_value_never_changes_the_statement(snowflake_api):
    run(snowflake_api, "CREATE TABLE T (S VARCHAR)")
    hostile = "x'); DROP TABLE T; --"

    run(
        snowflake_api,
        "INSERT INTO T VALUES (?)",
        bindings={"1": {"type": "TEXT", "value": hostile}},
    )

    assert run(snowflake_api, "SELECT S FROM T")["data"] == [[hostile]]


def test_question_marks_in_literals_identifiers_and_comments_are_not_placeholders(
    snowflake_api,
):
    response = snowflake_api.submit(
        "SELECT '?' AS \"what?\", ? AS V -- really?\n",
        bindings={"1": {"type": "FIXED", "value": "7"}},
    )

    assert response.status_code == 200, response.text
    assert response.json()["data"] == [["?", "7"]]


def test_a_bad_binding_value_fails_with_100037(snowflake_api):
    response = snowflake_api.submit(
        "SELECT ? AS V", bindings={"1": {"type": "FIXED", "value": "forty-two"}}
    )

    assert response.status_code == 422
    assert response.json()["code"] == "100037"
    assert response.json()["sqlState"] == "22018"
    assert "FIXED value 'forty-two' is not recognized" in response.json()["message"]
    assert "send a decimal number" in response.json()["message"]


def test_a_placeholder_without_a_binding_fails_with_002049(snowflake_api):
    response = snowflake_api.submit(
        "SELECT ? AS A, ? AS B", bindings={"1": {"type": "TEXT", "value": "a"}}
    )

    assert response.status_code == 422
    assert response.json()["code"] == "002049"
    assert "add binding '2'" in response.json()["message"]


def test_a_binding_type_snowflake_lacks_fails_with_002040(snowflake_api):
    response = snowflake_api.submit(
        "SELECT ? AS V", bindings={"1": {"type": "VARIANT", "value": "{}"}}
    )

    assert response.status_code == 422
    assert response.json()["code"] == "002040"
    assert "Unsupported data type 'VARIANT'" in response.json()["message"]


def test_array_bindings_insert_one_row_per_element(snowflake_api):
    run(snowflake_api, "CREATE TABLE T (ID NUMBER, EMAIL VARCHAR)")

    inserted = run(
        snowflake_api,
        "INSERT INTO T VALUES (?, ?)",
        bindings={
            "1": {"type": "FIXED", "value": ["1", "2", "3"]},
            "2": {"type": "TEXT", "value": ["a@example.com", None, "c@example.com"]},
        },
    )

    assert inserted["stats"] == {"numRowsInserted": 3}
    assert run(snowflake_api, "SELECT * FROM T ORDER BY ID")["data"] == [
        ["1", "a@example.com"],
        ["2", None],
        ["3", "c@example.com"],
    ]


def test_array_bindings_of_unequal_length_fail_with_002099(snowflake_api):
    response = snowflake_api.submit(
        "SELECT ? AS A, ? AS B",
        bindings={
            "1": {"type": "FIXED", "value": ["1", "2"]},
            "2": {"type": "FIXED", "value": ["1"]},
        },
    )

    assert response.status_code == 422
    assert response.json()["code"] == "002099"


# -- multi-statement requests ----------------------------------------------------------


@pytest.mark.parametrize(
    "parameters",
    [
        {"MULTI_STATEMENT_COUNT": "3"},
        {"multi_statement_count": 3},
        {"MULTI_STATEMENT_COUNT": "0"},
    ],
    ids=["upper-case-string", "lower-case-integer", "zero-means-any"],
)
def test_a_multi_statement_request_returns_child_handles(snowflake_api, parameters):
    result = run(
        snowflake_api,
        "CREATE TABLE T (X NUMBER); INSERT INTO T VALUES (1), (2); "
        "SELECT COUNT(*) AS N FROM T",
        parameters=parameters,
    )

    assert result["data"] == [["Multiple statements executed successfully."]]
    children = result["statementHandles"]
    assert len(children) == 3
    last = snowflake_api.status(children[2])
    assert last.json()["data"] == [["2"]]
    assert snowflake_api.status(children[1]).json()["stats"] == {"numRowsInserted": 2}
    parent = snowflake_api.sandbox.statements[result["statementHandle"]]
    assert parent.child_handles == children


def test_several_statements_without_a_count_fail_like_snowflake(snowflake_api):
    response = submit_here(snowflake_api, "CREATE TABLE T (X NUMBER); SELECT 1")

    assert response.status_code == 422
    assert response.json()["code"] == "000008"
    assert response.json()["message"] == (
        "Actual statement count 2 did not match the desired statement count 1."
    )
    record = snowflake_api.sandbox.statements[response.json()["statementHandle"]]
    assert record.executions == 0
    assert submit_here(snowflake_api, "SELECT * FROM T").status_code == 422


def test_a_statement_count_that_does_not_match_fails(snowflake_api):
    response = snowflake_api.submit(
        "SELECT 1; SELECT 2", parameters={"MULTI_STATEMENT_COUNT": "3"}
    )

    assert response.status_code == 422
    assert "desired statement count 3" in response.json()["message"]


def test_semicolons_in_literals_and_comments_do_not_split_statements(snowflake_api):
    response = snowflake_api.submit("SELECT 'a;b' AS \"c;d\" -- e;f")

    assert response.status_code == 200
    assert response.json()["data"] == [["a;b"]]


def test_a_failing_statement_stops_the_rest(snowflake_api):
    response = submit_here(
        snowflake_api,
        "CREATE TABLE A (X NUMBER); SELECT * FROM MISSING; CREATE TABLE B (X NUMBER)",
        parameters={"MULTI_STATEMENT_COUNT": "3"},
    )

    assert response.status_code == 422
    assert response.json()["code"] == "100132"
    assert "statement 2 of 3" in response.json()["message"]
    assert "MISSING" in response.json()["message"]
    assert submit_here(snowflake_api, "SELECT * FROM A").status_code == 200
    assert submit_here(snowflake_api, "SELECT * FROM B").status_code == 422
    parent = snowflake_api.sandbox.statements[response.json()["statementHandle"]]
    assert len(parent.child_handles) == 2


def test_bindings_are_refused_in_a_multi_statement_request(snowflake_api):
    response = snowflake_api.submit(
        "SELECT ?; SELECT 2",
        parameters={"MULTI_STATEMENT_COUNT": "2"},
        bindings={"1": {"type": "TEXT", "value": "x"}},
    )

    assert response.status_code == 400
    assert (
        "Bindings are not supported in multi-statement requests"
        in response.json()["message"]
    )


def test_a_transaction_runs_inside_a_multi_statement_request(snowflake_api):
    run(snowflake_api, "CREATE TABLE T (X NUMBER)")

    run(
        snowflake_api,
        "BEGIN; INSERT INTO T VALUES (1); ROLLBACK; INSERT INTO T VALUES (2)",
        parameters={"MULTI_STATEMENT_COUNT": "4"},
    )

    assert run(snowflake_api, "SELECT X FROM T")["data"] == [["2"]]


@pytest.mark.parametrize(
    "statement", ["BEGIN", "USE DATABASE TESTDB", "PUT file:///x @s"]
)
def test_commands_the_sql_api_refuses_alone_fail_with_391911(snowflake_api, statement):
    response = snowflake_api.submit(statement)

    assert response.status_code == 422
    assert response.json()["code"] == "391911"
    assert response.json()["message"].startswith("Command not supported by SQL API")


# -- running long, polling, timeouts and cancels ---------------------------------------


def test_async_returns_202_and_polling_gets_the_result(snowflake_api):
    response = snowflake_api.submit(
        "CALL SYSTEM$WAIT(300, 'MILLISECONDS')", query={"async": "true"}
    )

    body = response.json()
    assert response.status_code == 202
    assert body["code"] == "333334"
    assert body["statementStatusUrl"] == f"/api/v2/statements/{body['statementHandle']}"
    done = snowflake_api.wait_done(body["statementHandle"])
    assert done.status_code == 200
    assert done.json()["data"] == [["waited 0.3 seconds"]]


def test_a_statement_running_past_the_sync_wait_answers_202(serve_snowflake):
    api = serve_snowflake(sync_wait_s=0.1)

    response = api.submit("SELECT SYSTEM$WAIT(1)")

    assert response.status_code == 202
    done = api.wait_done(response.json()["statementHandle"])
    assert done.json()["data"] == [["waited 1 seconds"]]
    assert done.json()["resultSetMetaData"]["rowType"][0]["name"] == "SYSTEM$WAIT(1)"


def test_system_wait_with_an_unknown_unit_fails_naming_the_units(snowflake_api):
    response = snowflake_api.submit("CALL SYSTEM$WAIT(1, 'FORTNIGHTS')")

    assert response.status_code == 422
    assert "'FORTNIGHTS' is not one of DAYS, HOURS, MINUTES, SECONDS" in response.text


def test_a_statement_past_its_timeout_is_cancelled_with_408(snowflake_api):
    started = time.monotonic()

    response = snowflake_api.submit("SELECT SYSTEM$WAIT(20)", timeout=1)

    assert time.monotonic() - started < 5
    assert response.status_code == 408
    assert response.json()["code"] == "000630"
    handle = response.json()["statementHandle"]
    assert snowflake_api.sandbox.statements[handle].status == StatementStatus.TIMED_OUT
    assert snowflake_api.status(handle).json()["code"] == "000630"


def test_a_timeout_interrupts_a_long_query_in_duckdb(snowflake_api):
    started = time.monotonic()

    response = snowflake_api.submit(
        "SELECT COUNT(*) FROM TABLE(GENERATOR(ROWCOUNT => 1000000)) A, "
        "TABLE(GENERATOR(ROWCOUNT => 1000000)) B",
        timeout=1,
    )

    assert response.status_code == 408
    assert time.monotonic() - started < 10


def test_cancel_stops_a_running_statement_and_is_recorded(snowflake_api):
    handle = snowflake_api.submit(
        "SELECT SYSTEM$WAIT(30)", query={"async": "true"}
    ).json()["statementHandle"]

    cancelled = snowflake_api.cancel(handle)
    status = snowflake_api.wait_done(handle, timeout_s=5)

    assert cancelled.status_code == 200
    assert cancelled.json()["code"] == "000604"
    assert cancelled.json()["statementHandle"] == handle
    assert status.status_code == 422
    assert status.json()["code"] == "000604"
    record = snowflake_api.sandbox.statements[handle]
    assert record.cancelled
    assert record.cancel_requests == 1


def test_cancel_interrupts_a_long_query_in_duckdb(snowflake_api):
    handle = snowflake_api.submit(
        "SELECT COUNT(*) FROM TABLE(GENERATOR(ROWCOUNT => 1000000)) A, "
        "TABLE(GENERATOR(ROWCOUNT => 1000000)) B",
        query={"async": "true"},
    ).json()["statementHandle"]
    time.sleep(0.2)

    snowflake_api.cancel(handle)

    assert snowflake_api.wait_done(handle, timeout_s=10).json()["code"] == "000604"
    assert snowflake_api.submit("SELECT 1").status_code == 200


def test_cancelling_a_finished_statement_changes_nothing(snowflake_api):
    handle = snowflake_api.submit("SELECT 1").json()["statementHandle"]

    response = snowflake_api.cancel(handle)

    assert response.status_code == 200
    assert "already finished (succeeded)" in response.json()["message"]
    assert snowflake_api.status(handle).status_code == 200
    assert snowflake_api.sandbox.statements[handle].cancel_requests == 1


def test_an_unknown_handle_is_not_found(snowflake_api):
    handle = str(uuid.uuid4())

    fetched = snowflake_api.status(handle)
    cancelled = snowflake_api.cancel(handle)

    assert fetched.status_code == cancelled.status_code == 422
    assert fetched.json()["code"] == cancelled.json()["code"] == "000709"
    assert handle in fetched.json()["message"]


def test_too_many_running_statements_answer_429(serve_snowflake):
    api = serve_snowflake(max_concurrent_statements=2)
    handles = [
        api.submit("SELECT SYSTEM$WAIT(30)", query={"async": "true"}).json()[
            "statementHandle"
        ]
        for _ in range(2)
    ]

    refused = api.submit("SELECT 1")
    api.cancel(handles[0])
    accepted = api.submit("SELECT 1")

    assert refused.status_code == 429
    assert refused.json()["code"] == "390505"
    assert "retry with backoff" in refused.json()["message"]
    assert accepted.status_code == 200


def test_concurrent_requests_all_land(snowflake_api):
    run(snowflake_api, "CREATE TABLE T (ID NUMBER)")
    statuses = []

    def insert(value: int) -> None:
        response = submit_here(
            snowflake_api,
            "INSERT INTO T VALUES (?)",
            bindings={"1": {"type": "FIXED", "value": str(value)}},
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=insert, args=(i,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert statuses == [200] * 12
    ids = run(snowflake_api, "SELECT ID FROM T ORDER BY ID")["data"]
    assert ids == [[str(i)] for i in range(12)]


# -- request ids, context, errors ------------------------------------------------------


def test_a_retried_request_id_returns_the_first_result_without_running_again(
    snowflake_api,
):
    run(snowflake_api, "CREATE TABLE T (X NUMBER)")
    request_id = str(uuid.uuid4())

    first = submit_here(
        snowflake_api,
        "INSERT INTO T VALUES (1)",
        query={"requestId": request_id},
    )
    retried = submit_here(
        snowflake_api,
        "INSERT INTO T VALUES (1)",
        query={"requestId": request_id, "retry": "true"},
    )

    assert retried.json() == first.json()
    record = snowflake_api.sandbox.statements[first.json()["statementHandle"]]
    assert record.executions == 1
    assert record.request_id == request_id
    assert run(snowflake_api, "SELECT COUNT(*) FROM T")["data"] == [["1"]]


def test_a_retried_request_id_of_a_failed_statement_runs_again(snowflake_api):
    request_id = str(uuid.uuid4())
    query = {"requestId": request_id, "retry": "true"}

    first = submit_here(snowflake_api, "SELECT * FROM T", query=query)
    run(snowflake_api, "CREATE TABLE T (X NUMBER)")
    second = submit_here(snowflake_api, "SELECT * FROM T", query=query)

    assert first.status_code == 422
    assert second.status_code == 200
    assert second.json()["statementHandle"] != first.json()["statementHandle"]


def test_the_statement_record_keeps_what_the_request_carried(snowflake_api):
    bindings = {"1": {"type": "TEXT", "value": "v"}}
    request_id = str(uuid.uuid4())

    result = run(
        snowflake_api,
        "SELECT ? AS V",
        bindings=bindings,
        warehouse="TAJO_WH",
        role="TAJO_ROLE",
        parameters={"QUERY_TAG": "tajo:test", "timezone": "UTC"},
        query={"requestId": request_id},
    )

    record = snowflake_api.sandbox.statements[result["statementHandle"]]
    assert record.sql == "SELECT ? AS V"
    assert record.bindings == bindings
    assert record.query_tag == "tajo:test"
    assert (record.database, record.schema) == (snowflake_api.database, "PUBLIC")
    assert (record.warehouse, record.role) == ("TAJO_WH", "TAJO_ROLE")
    assert record.request_id == request_id
    assert record.status == StatementStatus.SUCCEEDED
    assert (record.executions, record.num_rows) == (1, 1)


def test_session_functions_answer_from_the_request(snowflake_api):
    body = run(
        snowflake_api,
        "SELECT CURRENT_USER() AS U, CURRENT_ROLE() AS R, CURRENT_WAREHOUSE() AS W, "
        "CURRENT_DATABASE() AS D, 'CURRENT_USER()' AS LITERAL",
        role="TAJO_ROLE",
        warehouse="TAJO_WH",
    )

    assert body["data"] == [
        ["TAJO_TEST", "TAJO_ROLE", "TAJO_WH", snowflake_api.database, "CURRENT_USER()"]
    ]


def test_without_role_and_warehouse_the_session_has_public_and_none(snowflake_api):
    body = run(snowflake_api, "SELECT CURRENT_ROLE() AS R, CURRENT_WAREHOUSE() AS W")

    assert body["data"] == [["PUBLIC", None]]


def test_database_and_schema_set_the_context_for_unqualified_names(snowflake_api):
    run(snowflake_api, "CREATE TABLE T (X NUMBER)")
    run(snowflake_api, "INSERT INTO T VALUES (5)")

    assert run(snowflake_api, "SELECT X FROM T")["data"] == [["5"]]


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        (
            {"database": "{db_lower}"},
            "Database '{db_lower}' does not exist or not authorized. "
            "Names are case-sensitive here; did you mean '{db}'?",
        ),
        ({"database": "NOPE"}, "Database 'NOPE' does not exist"),
        ({"database": "{db}", "schema": "NOPE"}, "Schema '{db}.NOPE' does not exist"),
        ({"schema": "PUBLIC"}, "set 'database' in the request too"),
    ],
    ids=["wrong-case", "missing-database", "missing-schema", "schema-without-database"],
)
def test_a_context_that_does_not_exist_fails_naming_it(
    snowflake_api, context, expected
):
    names = {"db": snowflake_api.database, "db_lower": snowflake_api.database.lower()}

    response = snowflake_api.submit(
        "SELECT 1", **{key: value.format(**names) for key, value in context.items()}
    )

    assert response.status_code == 422
    assert expected.format(**names) in response.json()["message"]


def test_sql_errors_come_back_as_query_failure_status(snowflake_api):
    missing = submit_here(snowflake_api, "SELECT * FROM NO_SUCH_TABLE")
    syntax = snowflake_api.submit("SELEC 1")

    assert missing.status_code == syntax.status_code == 422
    assert (missing.json()["code"], missing.json()["sqlState"]) == ("002003", "42S02")
    assert "NO_SUCH_TABLE" in missing.json()["message"]
    assert (syntax.json()["code"], syntax.json()["sqlState"]) == ("001003", "42000")
    handle = missing.json()["statementHandle"]
    assert snowflake_api.status(handle).json()["code"] == "002003"


# -- keeping results and data ----------------------------------------------------------


def test_only_the_newest_results_are_kept(serve_snowflake):
    api = serve_snowflake(max_results=2)
    handles = [
        api.submit(f"SELECT {n} AS N").json()["statementHandle"] for n in range(3)
    ]

    oldest, newest = api.status(handles[0]), api.status(handles[2])

    assert oldest.status_code == 422
    assert "no longer kept" in oldest.json()["message"]
    assert newest.json()["data"] == [["2"]]


def test_results_older_than_the_ttl_are_dropped():
    now = [0.0]
    store = ResultStore(max_results=10, ttl_s=60, clock=lambda: now[0])
    store.put("a", StoredResult(b"{}", (), 0))

    now[0] = 59.0
    kept = store.get("a")
    now[0] = 61.0

    assert kept is not None
    assert store.get("a") is None


def test_database_files_outlive_the_sandbox(serve_snowflake, tmp_path):
    first = serve_snowflake(db_path=tmp_path)
    assert first.submit("CREATE DATABASE KEPT").status_code == 200
    assert (
        first.submit("CREATE TABLE KEPT.PUBLIC.T AS SELECT 7 AS X").status_code == 200
    )
    first.sandbox.close()
    first.sandbox.close()

    second = serve_snowflake(db_path=tmp_path)

    assert second.submit("SELECT X FROM KEPT.PUBLIC.T").json()["data"] == [["7"]]


def test_logs_name_statements_but_never_values(snowflake_api, caplog):
    run(snowflake_api, "CREATE TABLE T (EMAIL VARCHAR)")

    with caplog.at_level(logging.DEBUG, logger="tajo_assets"):
        result = run(
            snowflake_api,
            "INSERT INTO T VALUES (?)",
            bindings={"1": {"type": "TEXT", "value": "private.person@example.com"}},
        )

    lines = [record.getMessage() for record in caplog.records]
    assert any(result["statementHandle"] in line for line in lines)
    assert not any("private.person" in line or "INSERT" in line for line in lines)


# -- the contract ----------------------------------------------------------------------


def test_every_exchange_of_a_broad_mix_matches_the_published_api(
    serve_snowflake, key_pair
):
    api = serve_snowflake(partition_rows=2, max_concurrent_statements=3)
    api.sandbox.traffic.enabled = True

    _broad_mix_of_requests(api, key_pair)

    exchanges = api.sandbox.traffic.take()
    assert len(exchanges) >= 25
    assert {e.status for e in exchanges} >= {200, 202, 400, 401, 408, 422, 429}
    assert SNOWFLAKE.violations(exchanges) == []


def _broad_mix_of_requests(api: SqlApi, key_pair) -> None:
    run(api, "CREATE TABLE T (ID NUMBER, NAME VARCHAR, D DATE, TS TIMESTAMP_TZ)")
    run(
        api,
        "INSERT INTO T VALUES (?, ?, ?, ?)",
        bindings={
            "1": {"type": "FIXED", "value": ["1", "2", "3"]},
            "2": {"type": "TEXT", "value": ["a", None, "c"]},
            "3": {"type": "DATE", "value": ["0", "86400000", None]},
            "4": {"type": "TIMESTAMP_TZ", "value": ["0 1440", None, "1 1500"]},
        },
    )
    result = run(
        api, "SELECT * FROM T ORDER BY ID", parameters={"timezone": "Asia/Tokyo"}
    )
    api.all_rows(submit_here(api, "SELECT * FROM T ORDER BY ID"))
    api.status(result["statementHandle"], partition=5)
    run(
        api,
        "UPDATE T SET NAME = 'b' WHERE ID = 2",
        query={"requestId": str(uuid.uuid4())},
    )
    multi = run(
        api,
        "SELECT 1; DELETE FROM T WHERE ID = 3",
        parameters={"MULTI_STATEMENT_COUNT": "2"},
    )
    for child in multi["statementHandles"]:
        api.status(child)
    api.submit("SELECT 1; SELECT 2")
    submit_here(api, "SELECT * FROM NOPE")
    api.submit("SELECT ?", bindings={"1": {"type": "FIXED", "value": "x"}})
    api.submit("SELECT SYSTEM$WAIT(5)", timeout=1)
    waiting = [
        api.submit("SELECT SYSTEM$WAIT(30)", query={"async": "true"}).json()[
            "statementHandle"
        ]
        for _ in range(3)
    ]
    api.status(waiting[0])
    api.submit("SELECT 1")
    for handle in waiting:
        api.cancel(handle)
        api.wait_done(handle)
    api.cancel(waiting[0])
    api.cancel(str(uuid.uuid4()))
    api.status(str(uuid.uuid4()))
    bad_token = mint_jwt(
        key_pair.private_pem, public_pem=key_pair.public_pem, user="NOBODY"
    )
    api.client.post(
        STATEMENTS,
        json={"statement": "SELECT 1"},
        headers={"Authorization": f"Bearer {bad_token}"},
    )
    api.submit("")


def test_responses_to_malformed_requests_still_match_the_published_api(serve_snowflake):
    api = serve_snowflake()
    api.sandbox.traffic.enabled = True

    api.client.post(
        STATEMENTS, content=b"{not json", headers={"Content-Type": "application/json"}
    )
    api.client.post(
        STATEMENTS, content=b"SELECT 1", headers={"Content-Type": "text/plain"}
    )
    api.client.post(STATEMENTS, json={"statement": "SELECT 1", "timeout": -1})
    api.client.post(STATEMENTS, json={"statement": 1})

    exchanges = api.sandbox.traffic.take()
    problems = SNOWFLAKE.violations(exchanges)
    assert [e.status for e in exchanges] == [400, 415, 400, 400]
    assert [p for p in problems if p.startswith("response")] == []


def test_account_must_be_given_as_in_jwt_claims():
    with pytest.raises(ValueError, match="upper case, periods replaced by hyphens"):
        SnowflakeSandboxSettings(account="myorg.my_acct")


def test_partitions_must_hold_at_least_one_row():
    with pytest.raises(ValueError, match="partition_rows is 0; it must be at least 1"):
        SnowflakeSandboxSettings(partition_rows=0)


def test_only_rsa_public_keys_can_be_registered(snowflake_api):
    ec_public_pem = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        .decode()
    )

    with pytest.raises(ValueError, match="ECKEY is not an RSA key"):
        snowflake_api.sandbox.register_public_key("eckey", ec_public_pem)
