"""The main job against a running sandbox: small sample warehouse, real HTTP."""

import itertools
import logging
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import httpx
import pytest
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from tajo_assets.build import build_definitions
from tajo_assets.config import load_config
from tajo_assets.sandbox.runner import RunningSandbox, prepare_home
from tajo_assets.snowflake import SnowflakeSqlApiResource, SqlApiClient

SCALE_FACTOR = 0.01  # 1,500 customers
QUERY = """\
SELECT email, first_name, last_name, ltv_score, rfm_class, total_orders,
       last_purchase_date, predicted_churn, segment_name AS customer_segment
FROM customer_segments
WHERE updated_at > :last_sync
"""
SEED_MAPPING = {
    "email": "email",
    "first_name": "FIRSTNAME",
    "last_name": "LASTNAME",
    "ltv_score": "LTV_SCORE",
    "rfm_class": "RFM_SEGMENT",
    "total_orders": "ORDER_COUNT",
    "last_purchase_date": "LAST_ORDER_DATE",
    "predicted_churn": "CHURN_RISK",
    "customer_segment": "SEGMENT_NAME",
}
_schemas = itertools.count(1)
DEFAULT_DESTINATION = "list_name: Customer segments (Snowflake)"
PEOPLE = 200  # rows of the `people` fixture's table
# Before the sandbox is built, so its rows' UPDATED_AT is later.
SESSION_STARTED = time.time()


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory) -> RunningSandbox:
    home = prepare_home(tmp_path_factory.mktemp("sandbox"), scale_factor=SCALE_FACTOR)
    with RunningSandbox(home) as running:
        yield running


@pytest.fixture
def sandbox_env(sandbox, monkeypatch) -> dict[str, str]:
    """Point the environment at the sandbox, with an empty Brevo account."""
    return point_at(sandbox, monkeypatch)


def point_at(sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch) -> dict:
    """Empty the Brevo sandbox and set the environment to reach both servers."""
    # The servers share this process with the runs; their per-request lines
    # would otherwise land in the runs' logs (restored after each test).
    logging.getLogger("tajo_assets.sandbox").setLevel(logging.WARNING)
    sandbox.brevo.reset()
    environment = sandbox.environment()
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return environment


@dataclass
class Project:
    """A tajo.yaml of one test, with its own state schema in the warehouse."""

    path: Path
    env: dict[str, str]
    state_schema: str

    def definitions(self) -> dg.Definitions:
        return build_definitions(load_config(self.path, env=self.env))

    def run(
        self,
        instance: dg.DagsterInstance,
        *,
        partition_range: tuple[str, str] | None = None,
        tags: dict[str, str] | None = None,
        asset_selection: list[dg.AssetKey] | None = None,
        run_config: dict | None = None,
    ) -> dg.ExecuteInProcessResult:
        """Run tajo_sync once (or the `asset_selection` of it). Windows of an
        incremental audience are `partition_range`, by default those from the
        start of the test session to now (the sandbox stamps its rows with the
        time it was built)."""
        definitions = self.definitions()
        job = definitions.resolve_job_def("tajo_sync")
        run_tags = dict(tags or {})
        selected = asset_selection or list(job.asset_layer.executable_asset_keys)
        partitioned = any(
            definitions.resolve_assets_def(key).partitions_def is not None
            for key in selected
        )
        if partitioned:
            first, last = partition_range or recent_windows(job.partitions_def)
            run_tags |= {
                ASSET_PARTITION_RANGE_START_TAG: first,
                ASSET_PARTITION_RANGE_END_TAG: last,
            }
        return job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            tags=run_tags,
            asset_selection=asset_selection,
            run_config=run_config,
        )


def recent_windows(partitions: dg.PartitionsDefinition) -> tuple[str, str]:
    """The windows since the test session started, the open window included:
    one window, or two when the session crossed a boundary."""
    first = partitions.get_partition_key_for_timestamp(SESSION_STARTED)
    return first, partitions.get_last_partition_key()


@pytest.fixture
def write_project(tmp_path, sandbox_env):
    """Write a tajo.yaml for the sandbox; every project gets a fresh state schema."""

    def write(*args, **kwargs) -> Project:
        return project_in(tmp_path, sandbox_env, *args, **kwargs)

    return write


def project_in(
    directory: Path,
    env: dict[str, str],
    mapping: dict[str, str] = SEED_MAPPING,
    query: str = QUERY,
    models: str = "",
    *,
    brevo: str = "",
    timezone: str = "UTC",
    sync: str = "",
    destination: str = DEFAULT_DESTINATION,
) -> Project:
    """A tajo.yaml in `directory` for the sandbox `env`, with a fresh state schema.

    `models` is YAML text of top-level blocks (`models:`, `checks:`); `brevo`
    is more lines of the `connectors.brevo` block; `sync` more lines of the
    sync (`mode: mirror`) and `destination` its destination.
    """
    state_schema = f"TAJO_STATE_TEST_{next(_schemas)}"
    text = _config_text(
        mapping, query, state_schema, timezone, brevo, sync, destination
    )
    text += models
    path = directory / f"{state_schema.lower()}.yaml"
    path.write_text(text)
    return Project(path, env, state_schema)


class PatientBrevo(httpx.Client):
    """The Brevo sandbox's API for a test's own calls, made as a marketer would.

    A 429 of the per-second contacts window is waited out, as our client does,
    so a call right after a run does not fail on the run's last second of
    requests; a longer window (the hourly one) is returned as it is.
    """

    def request(self, *args, **kwargs) -> httpx.Response:
        for _ in range(5):
            response = super().request(*args, **kwargs)
            reset_s = float(response.headers.get("x-sib-ratelimit-reset", "0"))
            if response.status_code != 429 or reset_s > 2:
                return response
            time.sleep(reset_s + 0.05)
        return response


def brevo_api(sandbox: RunningSandbox) -> PatientBrevo:
    env = sandbox.environment()
    return PatientBrevo(
        base_url=env["BREVO_BASE_URL"], headers={"api-key": env["BREVO_API_KEY"]}
    )


def warehouse_resource(env: dict[str, str]) -> SnowflakeSqlApiResource:
    """The sandbox warehouse as a resource, for a test's own statements."""
    return SnowflakeSqlApiResource(
        account=env["SNOWFLAKE_ACCOUNT"],
        user=env["SNOWFLAKE_USER"],
        private_key=env["SNOWFLAKE_PRIVATE_KEY"],
        base_url=env["SNOWFLAKE_BASE_URL"],
        database="MARKETING_DB",
        schema="PUBLIC",
    )


def warehouse_client(env: dict[str, str]) -> SqlApiClient:
    """A Snowflake client on the sandbox warehouse, for a test's own statements."""
    return warehouse_resource(env).get_client()


@pytest.fixture
def instance():
    with dg.instance_for_test() as test_instance:
        yield test_instance


def _config_text(
    mapping: dict[str, str],
    query: str,
    state_schema: str,
    timezone: str,
    brevo: str,
    sync: str = "",
    destination: str = DEFAULT_DESTINATION,
) -> str:
    mapping_lines = "\n".join(
        f"  {column}: {target}" for column, target in mapping.items()
    )
    return textwrap.dedent(
        """\
        connectors:
          snowflake:
            account: "${{SNOWFLAKE_ACCOUNT}}"
            user: "${{SNOWFLAKE_USER}}"
            auth:
              method: key_pair
              private_key: ${{SNOWFLAKE_PRIVATE_KEY}}
            base_url: "${{SNOWFLAKE_BASE_URL}}"
            warehouse: TAJO_WH
            database: MARKETING_DB
            schema: PUBLIC
            role: TAJO_ROLE
            state_schema: {state_schema}
            timezone: {timezone}
            queries:
              customer_segments: |
        {query}
          brevo:
            api_key: ${{BREVO_API_KEY}}
            base_url: "${{BREVO_BASE_URL}}"
        {brevo}field_mapping:
        {mapping}
        syncs:
          customer_segments:
            type: reverse-etl
            query: customer_segments
        {sync}    destination:
        {destination}
        """
    ).format(
        sync=textwrap.indent(sync + "\n", " " * 4) if sync else "",
        destination=textwrap.indent(destination, " " * 6),
        state_schema=state_schema,
        timezone=timezone,
        brevo=textwrap.indent(brevo, " " * 4),
        query=textwrap.indent(query, " " * 8),
        mapping=mapping_lines,
    )


@dataclass
class People:
    """A PEOPLE table of one test: ID, EMAIL, FIRST_NAME, SCORE, PHONE, IN_AUDIENCE."""

    table: str
    env: dict[str, str]

    def execute(self, sql: str, bindings: dict | None = None) -> list[tuple]:
        with warehouse_client(self.env) as client:
            return list(client.execute(sql.format(table=self.table), bindings).rows())

    @property
    def audience(self) -> str:
        return f"SELECT email, first_name, score FROM {self.table} WHERE in_audience"  # noqa: S608


def email(person: int) -> str:
    return f"person{person}@example.com"


@pytest.fixture
def people(sandbox_env) -> People:
    table = f"MARKETING_DB.SCENARIO_{next(_schemas)}.PEOPLE"
    rows = ", ".join(
        f"({i}, '{email(i)}', 'Name {i}', {i}.5, NULL, TRUE)"
        for i in range(1, PEOPLE + 1)
    )
    with warehouse_client(sandbox_env) as client:
        client.execute(f"CREATE SCHEMA {table.rsplit('.', 1)[0]}")
        client.execute(
            f"CREATE TABLE {table} (ID NUMBER, EMAIL VARCHAR, FIRST_NAME VARCHAR, "
            "SCORE NUMBER(10, 2), PHONE VARCHAR, IN_AUDIENCE BOOLEAN)"
        )
        client.execute(f"INSERT INTO {table} VALUES {rows}")  # noqa: S608
    return People(table, sandbox_env)


@pytest.fixture
def changes(sandbox_env) -> People:
    """A CHANGES table: 30 people changed on 2026-06-01 between 06:00 and 12:00."""
    rows = [
        f"('{email(i)}', 'Name {i}', '2026-06-01 07:{i:02d}:00'::TIMESTAMP_NTZ)"
        for i in range(1, 31)
    ]
    table = create_table(sandbox_env, "CHANGES", rows, "EMAIL, FIRST_NAME, CHANGED_AT")
    return People(table, sandbox_env)


def create_table(env: dict[str, str], name: str, rows: list[str], columns: str) -> str:
    """A table of literal `rows` in a schema of its own; returns its full name."""
    table = f"MARKETING_DB.SCENARIO_{next(_schemas)}.{name}"
    values = ", ".join(rows)
    with warehouse_client(env) as client:
        client.execute(f"CREATE SCHEMA {table.rsplit('.', 1)[0]}")
        client.execute(
            f"CREATE TABLE {table} AS SELECT * FROM VALUES {values} AS t({columns})"  # noqa: S608
        )
    return table
