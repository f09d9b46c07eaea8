"""The code location as Dagster's own tools see it."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import httpx

REPO = Path(__file__).resolve().parents[2]
DAGSTER = str(Path(sys.executable).parent / "dagster")
ASSET_NODES = "{ assetNodes { assetKey { path } groupName dependencyKeys { path } } }"


def dagster_env(project, tmp_path) -> dict[str, str]:
    home = tmp_path / "dagster_home"
    home.mkdir(exist_ok=True)
    return (
        os.environ
        | project.env
        | {
            "TAJO_CONFIG": str(project.path),
            "DAGSTER_HOME": str(home),
        }
    )


DEMO_MODELS = """\
models:
  scores_freshness_hours: 48
"""


def test_assets_read_sources_then_models_then_syncs(write_project):
    defs = write_project(models=DEMO_MODELS).definitions()

    graph = defs.resolve_asset_graph()
    orders = dg.AssetKey(["snowflake_sample_data", "tpch_sf1", "orders"])
    customers = dg.AssetKey(["marketing_db", "public", "customers"])
    scores = dg.AssetKey(["marketing_db", "ml_predictions", "customer_scores"])
    rfm = dg.AssetKey(["models", "customer_rfm"])
    segments = dg.AssetKey(["models", "customer_segments"])
    audience = dg.AssetKey(["snowflake", "customer_segments"])
    sync = dg.AssetKey(["brevo", "customer_segments"])
    assert set(graph.get_all_asset_keys()) == {
        orders,
        customers,
        scores,
        rfm,
        segments,
        audience,
        sync,
    }
    assert graph.get(rfm).parent_keys == {orders}
    assert graph.get(segments).parent_keys == {rfm, customers, scores}
    assert graph.get(audience).parent_keys == {segments}
    assert graph.get(sync).parent_keys == {audience}
    groups = {key: graph.get(key).group_name for key in graph.get_all_asset_keys()}
    assert groups == {
        orders: "sources",
        customers: "sources",
        scores: "sources",
        rfm: "models",
        segments: "models",
        audience: "warehouse",
        sync: "brevo",
    }


def test_without_models_a_table_the_query_reads_is_an_external_source(
    write_project,
):
    query = (
        "WITH recent AS (SELECT * FROM orders_view) SELECT email FROM customer_segments"
        " JOIN recent USING (id) JOIN other_db.crm.people USING (id)"
        " WHERE updated_at > :last_sync"
    )
    defs = write_project(query=query).definitions()

    graph = defs.resolve_asset_graph()
    audience = dg.AssetKey(["snowflake", "customer_segments"])
    assert graph.get(audience).parent_keys == {
        dg.AssetKey(["marketing_db", "public", "customer_segments"]),
        dg.AssetKey(["marketing_db", "public", "orders_view"]),
        dg.AssetKey(["other_db", "crm", "people"]),
    }
    assert all(
        not graph.get(key).is_executable for key in graph.get(audience).parent_keys
    )


def test_a_quoted_spelling_of_a_model_table_links_to_that_model(write_project):
    query = (
        'SELECT s.email FROM MARKETING_DB.ML_PREDICTIONS."customer_scores" AS c '
        "JOIN customer_segments AS s USING (email) WHERE s.updated_at > :last_sync"
    )
    defs = write_project(query=query, models=DEMO_MODELS).definitions()

    graph = defs.resolve_asset_graph()
    audience = dg.AssetKey(["snowflake", "customer_segments"])
    assert graph.get(audience).parent_keys == {
        dg.AssetKey(["marketing_db", "ml_predictions", "customer_scores"]),
        dg.AssetKey(["models", "customer_segments"]),
    }


def test_the_sync_job_observes_the_ml_scores_and_runs_their_freshness_check(
    write_project,
):
    job = write_project(models=DEMO_MODELS).definitions().resolve_job_def("tajo_sync")

    steps = {node.name for node in job.graph.node_defs}
    assert "observe_customer_scores" in steps
    assert any(step.startswith("freshness_check") for step in steps)


def test_the_schedule_is_the_configured_cron_in_the_configured_zone(write_project):
    schedule = write_project().definitions().resolve_schedule_def("tajo_sync_schedule")

    assert schedule.cron_schedule == "0 */6 * * *"
    assert schedule.execution_timezone == "UTC"
    assert schedule.job_name == "tajo_sync"


def test_a_bad_configuration_stops_the_code_location_from_loading(tmp_path):
    bad = tmp_path / "tajo.yaml"
    bad.write_text("connectors:\n  snowflake:\n    acount: x\n")

    result = subprocess.run(
        [DAGSTER, "definitions", "validate", "-m", "tajo_assets.definitions"],
        env=os.environ | {"TAJO_CONFIG": str(bad)},
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )

    assert result.returncode != 0
    assert "connectors.snowflake.acount" in result.stdout + result.stderr


def test_dagster_definitions_validate_passes(write_project, tmp_path):
    project = write_project()

    result = subprocess.run(
        [DAGSTER, "definitions", "validate", "-w", "workspace.yaml"],
        env=dagster_env(project, tmp_path),
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "Validation successful for code location tajo_assets" in (
        result.stdout + result.stderr
    )


def test_dagster_dev_shows_the_assets(write_project, tmp_path):
    project = write_project()
    port = _free_port()
    with (tmp_path / "dagster_dev.log").open("w") as log:
        process = subprocess.Popen(
            [
                DAGSTER,
                "dev",
                "-w",
                "workspace.yaml",
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
            ],
            env=dagster_env(project, tmp_path),
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            nodes = _asset_nodes(f"http://127.0.0.1:{port}", process)
        finally:
            _stop(process)

    keys = {"/".join(node["assetKey"]["path"]) for node in nodes}
    assert keys == {
        "marketing_db/public/customer_segments",
        "snowflake/customer_segments",
        "brevo/customer_segments",
    }


def _asset_nodes(url: str, process: subprocess.Popen, timeout_s: float = 120) -> list:
    """Poll the webserver until the code location has loaded its assets."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert process.poll() is None, "dagster dev exited early"
        try:
            answer = httpx.post(
                f"{url}/graphql", json={"query": ASSET_NODES}, timeout=5
            )
            nodes = answer.json()["data"]["assetNodes"]
            if nodes:
                return nodes
        except (httpx.HTTPError, json.JSONDecodeError, KeyError, TypeError):
            pass
        time.sleep(1)
    raise AssertionError(f"dagster dev showed no assets within {timeout_s}s")


def _stop(process: subprocess.Popen) -> None:
    """Dagster treats SIGINT as its orderly shutdown; SIGKILL if it hangs."""
    os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
