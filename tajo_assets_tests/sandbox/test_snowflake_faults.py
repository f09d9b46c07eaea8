"""The sandbox's fault switches, over real HTTP on 127.0.0.1."""

import threading
import uuid

import httpx
import pytest

from tajo_assets_tests.contract import SNOWFLAKE
from tajo_assets_tests.sandbox.snowflake_fixtures import STATEMENTS, SqlApi


@pytest.fixture
def api(snowflake_api) -> SqlApi:
    snowflake_api.sandbox.traffic.take()
    snowflake_api.sandbox.traffic.enabled = True
    yield snowflake_api
    snowflake_api.sandbox.faults.clear()
    snowflake_api.sandbox.traffic.enabled = False
    assert SNOWFLAKE.violations(snowflake_api.sandbox.traffic.take()) == []


def test_a_fault_answers_its_status_the_given_number_of_times(api):
    api.sandbox.faults.add("POST", STATEMENTS, 503, times=2)

    answers = [api.submit("SELECT 1") for _ in range(3)]

    assert [a.status_code for a in answers] == [503, 503, 200]
    assert "Service unavailable" in answers[0].json()["message"]
    recorded = [e.status for e in api.sandbox.traffic.exchanges]
    assert recorded == [503, 503, 200]


def test_a_429_carries_snowflakes_code_and_the_given_headers(api):
    api.sandbox.faults.add("POST", STATEMENTS, 429, headers={"Retry-After": "1"})

    answer = api.submit("SELECT 1")

    assert answer.status_code == 429
    assert answer.json() == {"code": "390505", "message": "Too many requests."}
    assert answer.headers["retry-after"] == "1"


def test_after_execution_the_statement_runs_and_its_answer_is_replaced(api):
    api.sandbox.faults.add("POST", STATEMENTS, 500, after_execution=True)
    request_id = str(uuid.uuid4())

    failed = api.submit("SELECT 42 AS N", query={"requestId": request_id})
    retried = api.submit(
        "SELECT 42 AS N", query={"requestId": request_id, "retry": "true"}
    )

    assert failed.status_code == 500
    assert retried.status_code == 200
    record = api.sandbox.statements[retried.json()["statementHandle"]]
    assert record.executions == 1
    assert record.request_id == request_id


def test_a_fault_can_target_partition_fetches_only(api):
    api.sandbox.faults.add("GET", f"{STATEMENTS}/*", 503, query_param="partition")
    first = api.submit("SELECT 1 AS N")
    handle = first.json()["statementHandle"]

    status = api.status(handle)
    partition = api.status(handle, partition=0)
    again = api.status(handle, partition=0)

    assert (status.status_code, partition.status_code, again.status_code) == (
        200,
        503,
        200,
    )


def test_a_hold_keeps_requests_until_released_and_counts_them(api):
    hold = api.sandbox.faults.hold("POST", STATEMENTS)
    answers: list[httpx.Response] = []
    callers = [
        threading.Thread(target=lambda: answers.append(api.submit("SELECT 1")))
        for _ in range(3)
    ]
    for caller in callers:
        caller.start()

    all_held = hold.wait_for_waiting(3)
    answered_while_held = len(answers)
    hold.release()
    for caller in callers:
        caller.join(10)

    assert all_held
    assert answered_while_held == 0
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert (hold.arrived, hold.max_in_flight, hold.in_flight) == (3, 3, 0)


def test_clear_removes_faults_and_releases_holds(api):
    api.sandbox.faults.add("POST", STATEMENTS, 500, times=5)
    api.sandbox.faults.clear()

    assert api.submit("SELECT 1").status_code == 200
