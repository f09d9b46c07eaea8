"""What the client sends, and how it handles each failure, over real HTTP.

The scripted server on 127.0.0.1 answers from a list, so each failure mode the
SQL API documents (429, 5xx, 4xx, bodies that are not JSON) can be produced on
demand; the request it recorded shows what the client sent.
"""

import json
import uuid
from urllib.parse import parse_qs

import pytest

from tajo_assets.sandbox.server import ServerThread
from tajo_assets.snowflake import (
    KeyPairAuth,
    SnowflakeAuthError,
    SnowflakeRequestError,
    SnowflakeResponseError,
    SnowflakeTimeoutError,
    SnowflakeUnavailableError,
    SqlApiClient,
)

HANDLE = "01b2c3d4-0000-4000-8000-000000000001"


def result_set(rows, row_type=None, *, num_rows=None, partitions=None):
    row_type = row_type or [{"name": "V", "type": "text", "nullable": True}]
    return {
        "code": "090001",
        "sqlState": "00000",
        "message": "Statement executed successfully.",
        "statementHandle": HANDLE,
        "resultSetMetaData": {
            "numRows": len(rows) if num_rows is None else num_rows,
            "format": "jsonv2",
            "rowType": row_type,
            "partitionInfo": partitions or [{"rowCount": len(rows)}],
        },
        "data": rows,
    }


@pytest.fixture
def make_client(scripted, key_pair):
    _, url = scripted
    auth = KeyPairAuth("myorg-myacct", "etl_user", key_pair.private_pem)

    def make(**options):
        options.setdefault("retry_backoff_s", 0.01)
        return SqlApiClient(url, auth, **options)

    return make


def test_submit_sends_the_documented_request(scripted, make_client):
    api, _ = scripted
    api.answer(200, result_set([["x"]]))

    with make_client(
        warehouse="WH", database="DB", schema="SCH", role="R", query_tag="tag-1"
    ) as client:
        client.execute("SELECT :v AS V", {"v": "x"}, timeout_s=30)

    (request,) = api.seen
    assert (request.method, request.path) == ("POST", "/api/v2/statements")
    request_id = dict(pair.split("=") for pair in request.query.split("&"))["requestId"]
    assert uuid.UUID(request_id).version == 4
    assert request.headers["authorization"].startswith("Bearer ")
    assert request.headers["x-snowflake-authorization-token-type"] == "KEYPAIR_JWT"
    assert request.headers["accept"] == "application/json"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"].startswith("tajo-assets/")
    assert json.loads(request.body) == {
        "statement": "SELECT ? AS V",
        "timeout": 30,
        "warehouse": "WH",
        "database": "DB",
        "schema": "SCH",
        "role": "R",
        "parameters": {"query_tag": "tag-1", "timezone": "UTC"},
        "bindings": {"1": {"type": "TEXT", "value": "x"}},
    }


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_retryable_status_resubmits_the_same_request_id_with_retry(
    scripted, make_client, status
):
    api, _ = scripted
    api.answer(status, {"code": "390505", "message": "Too many requests."})
    api.answer(status, {"code": "390505", "message": "Too many requests."})
    api.answer(200, result_set([["ok"]]))

    with make_client() as client:
        rows = list(client.execute("SELECT 'ok'").rows())

    assert rows == [("ok",)]
    assert len(api.seen) == 3
    queries = [parse_qs(request.query) for request in api.seen]
    assert len({query["requestId"][0] for query in queries}) == 1
    assert [query.get("retry") for query in queries] == [None, ["true"], ["true"]]


def test_retries_end_with_unavailable_error(scripted, make_client):
    api, _ = scripted
    for _ in range(3):
        api.answer(429, {"code": "390505", "message": "Too many requests."})

    with make_client(max_attempts=3) as client:
        with pytest.raises(SnowflakeUnavailableError) as raised:
            client.execute("SELECT 1")

    error = raised.value
    assert len(api.seen) == 3
    assert (error.http_status, error.code) == (429, "390505")
    assert error.retryable
    assert "in 3 attempts" in str(error) and "try again later" in str(error)


def test_persistent_server_errors_end_with_unavailable_error(scripted, make_client):
    api, _ = scripted
    for _ in range(2):
        api.answer(500, {"code": "000603", "message": "internal error"})

    with make_client(max_attempts=2) as client:
        with pytest.raises(SnowflakeUnavailableError, match="internal error"):
            client.execute("SELECT 1")

    assert len(api.seen) == 2


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (
            400,
            {
                "code": "390142",
                "message": "Incoming request does not contain a valid payload.",
            },
            "valid payload",
        ),
        (404, "<html>Not Found</html>", "Not Found"),
        (415, None, "Unsupported Media Type"),
    ],
    ids=["400-invalid-payload", "404-html", "415-empty"],
)
def test_malformed_request_errors_point_at_base_url(
    scripted, make_client, status, body, expected
):
    api, _ = scripted
    api.answer(status, body)

    with make_client() as client:
        with pytest.raises(SnowflakeRequestError) as raised:
            client.execute("SELECT 1")

    assert expected in str(raised.value)
    assert "base_url" in str(raised.value)
    assert raised.value.http_status == status
    assert len(api.seen) == 1


def test_401_signs_again_once_then_names_the_credential(scripted, make_client):
    api, _ = scripted
    api.answer(401, {"code": "390144", "message": "JWT token is invalid."})
    api.answer(401, {"code": "390144", "message": "JWT token is invalid."})

    with make_client() as client:
        with pytest.raises(SnowflakeAuthError) as raised:
            client.execute("SELECT 1")

    assert len(api.seen) == 2
    message = str(raised.value)
    assert "the key pair of user ETL_USER for account MYORG-MYACCT" in message
    assert "JWT token is invalid" in message
    assert api.seen[0].headers["authorization"].split()[1] not in message


def test_403_says_what_to_check(scripted, make_client):
    api, _ = scripted
    api.answer(403, None)

    with make_client() as client:
        with pytest.raises(SnowflakeAuthError, match="SQL API is enabled"):
            client.execute("SELECT 1")


def test_408_on_submit_is_a_timeout_with_the_handle(scripted, make_client):
    api, _ = scripted
    api.answer(
        408,
        {
            "code": "000630",
            "sqlState": "57014",
            "message": "Statement reached its statement or warehouse timeout.",
            "statementHandle": HANDLE,
        },
    )

    with make_client() as client:
        with pytest.raises(SnowflakeTimeoutError) as raised:
            client.execute("SELECT 1")

    assert raised.value.statement_handle == HANDLE
    assert "statement_timeout_s" in str(raised.value)


def test_body_that_is_not_json_is_a_response_error(scripted, make_client):
    api, _ = scripted
    api.answer(200, "<html>proxy login</html>")

    with make_client() as client:
        with pytest.raises(SnowflakeResponseError, match="not a JSON object"):
            client.execute("SELECT 1")


def test_202_without_handle_is_a_response_error(scripted, make_client):
    api, _ = scripted
    api.answer(
        202, {"code": "333334", "message": "Asynchronous execution in progress."}
    )

    with make_client() as client:
        with pytest.raises(SnowflakeResponseError, match="no statement handle"):
            client.execute("SELECT 1")


def test_polling_follows_the_status_url_on_our_own_host(scripted, make_client):
    api, _ = scripted
    status_url = (
        f"https://elsewhere.example.test/api/v2/statements/{HANDLE}?requestId=r1"
    )
    running = {
        "code": "333334",
        "statementHandle": HANDLE,
        "statementStatusUrl": status_url,
    }
    api.answer(202, running)
    api.answer(429, {"code": "390505", "message": "Too many requests."})
    api.answer(202, running)
    api.answer(200, result_set([["done"]]))

    with make_client() as client:
        rows = list(client.execute("SELECT 'done'").rows())

    assert rows == [("done",)]
    polls = api.seen[1:]
    assert [(r.method, r.path, r.query) for r in polls] == [
        ("GET", f"/api/v2/statements/{HANDLE}", "requestId=r1")
    ] * 3


def test_row_count_mismatch_is_detected_after_the_last_partition(scripted, make_client):
    api, _ = scripted
    api.answer(200, result_set([["a"], ["b"]], num_rows=3))

    with make_client() as client:
        result = client.execute("SELECT V FROM T")
        batches = result.batches()
        assert next(batches) == [("a",), ("b",)]
        with pytest.raises(
            SnowflakeResponseError, match="received 2 rows but the result has 3"
        ):
            next(batches)


def test_undecodable_column_type_fails_before_rows_are_read(scripted, make_client):
    api, _ = scripted
    api.answer(200, result_set([["x"]], [{"name": "SHAPE", "type": "hologram"}]))

    with make_client() as client:
        with pytest.raises(
            SnowflakeResponseError, match="column SHAPE has type 'hologram'"
        ):
            client.execute("SELECT SHAPE FROM T")


def test_unreachable_server_is_unavailable(key_pair):
    server = ServerThread(lambda scope, receive, send: None).start()
    url = server.url
    server.stop()
    auth = KeyPairAuth("myorg-myacct", "etl_user", key_pair.private_pem)

    with SqlApiClient(url, auth) as client:
        with pytest.raises(SnowflakeUnavailableError) as raised:
            client.execute("SELECT 1")

    assert f"could not reach the Snowflake SQL API at {url}" in str(raised.value)
