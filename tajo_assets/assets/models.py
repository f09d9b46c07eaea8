"""Model assets: the RFM enrichment and the customer segments, built in Snowflake.

Each model is one multi-statement request (MULTI_STATEMENT_COUNT) of the SQL in
`tajo_assets/models/sql/`; no row leaves the warehouse. Every materialization
reports the parent and child statement handles, the number of statements and
the elapsed time, so a run's warehouse cost can be traced (`query_tag` and
the handles find each statement in QUERY_HISTORY).
"""

import logging
import time

import dagster as dg

from tajo_assets.assets.failures import configuration_errors_as_failures
from tajo_assets.assets.sources import table_key
from tajo_assets.config.models import ModelsConfig
from tajo_assets.models import (
    CUSTOMER_RFM,
    CUSTOMER_SEGMENTS,
    customer_rfm_statements,
    customer_segments_statements,
)
from tajo_assets.snowflake import MultiStatementResult, SnowflakeSqlApiResource

log = logging.getLogger("tajo_assets.sync")

MODELS_GROUP = "models"


def model_key(name: str) -> dg.AssetKey:
    return dg.AssetKey(["models", name])


def produced_tables(models: ModelsConfig) -> dict[str, dg.AssetKey]:
    """Table -> the asset that produces or observes it, for audience lineage."""
    return {
        models.rfm_table: model_key(CUSTOMER_RFM),
        models.segments_table: model_key(CUSTOMER_SEGMENTS),
        models.customer_scores: table_key(models.customer_scores),
    }


def build_model_assets(models: ModelsConfig) -> list[dg.AssetsDefinition]:
    """customer_rfm (from orders), then customer_segments (contacts, RFM, scores)."""
    return [_customer_rfm_asset(models), _customer_segments_asset(models)]


def _customer_rfm_asset(models: ModelsConfig) -> dg.AssetsDefinition:
    statements = customer_rfm_statements(models)

    @dg.asset(
        key=model_key(CUSTOMER_RFM),
        deps=[table_key(models.orders)],
        group_name=MODELS_GROUP,
        kinds={"snowflake"},
        pool="snowflake",
        description=f"Recency, frequency, monetary value, quintile scores, RFM class "
        f"and LTV per customer from `{models.orders}`, replaced in "
        f"`{models.rfm_table}`.",
        metadata=_definition_metadata(models.rfm_table, statements),
    )
    def _customer_rfm(snowflake: SnowflakeSqlApiResource) -> dg.MaterializeResult:
        started = time.monotonic()
        with configuration_errors_as_failures(), snowflake.get_client() as client:
            request = client.execute_multi(statements)
            summary = request.result(len(statements) - 1)
            classes = {str(name): int(count) for name, count in summary.rows()}
        log.info(
            "model customer_rfm: %d customers in %s",
            sum(classes.values()),
            models.rfm_table,
        )
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": sum(classes.values()),
                "rfm_classes": dg.MetadataValue.json(classes),
                **_cost_metadata(request, time.monotonic() - started),
            }
        )

    return _customer_rfm


def _customer_segments_asset(models: ModelsConfig) -> dg.AssetsDefinition:
    statements = customer_segments_statements(models)
    merge, delete = _index(statements, "MERGE"), _index(statements, "DELETE")

    @dg.asset(
        key=model_key(CUSTOMER_SEGMENTS),
        deps=[
            model_key(CUSTOMER_RFM),
            table_key(models.customers),
            table_key(models.customer_scores),
        ],
        group_name=MODELS_GROUP,
        kinds={"snowflake"},
        pool="snowflake",
        description=f"One row per contact of `{models.customers}` with RFM class, "
        f"LTV, churn score and segment, merged into `{models.segments_table}`; "
        "UPDATED_AT changes only on rows whose content changed.",
        metadata=_definition_metadata(models.segments_table, statements),
    )
    def _customer_segments(
        snowflake: SnowflakeSqlApiResource,
    ) -> dg.MaterializeResult:
        started = time.monotonic()
        with configuration_errors_as_failures(), snowflake.get_client() as client:
            request = client.execute_multi(statements)
            merged = request.result(merge).stats
            deleted = request.result(delete).stats
            summary = next(iter(request.result(len(statements) - 1).rows()))
        changes = {
            "rows_inserted": int(merged.get("numRowsInserted", 0)),
            "rows_updated": int(merged.get("numRowsUpdated", 0)),
            "rows_deleted": int(deleted.get("numRowsDeleted", 0)),
        }
        log.info(
            "model customer_segments: %d rows in %s, %s",
            int(summary[0]),
            models.segments_table,
            ", ".join(f"{name} {count}" for name, count in changes.items()),
        )
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": int(summary[0]),
                **changes,
                **_cost_metadata(request, time.monotonic() - started),
            }
        )

    return _customer_segments


def _index(statements: list[str], command: str) -> int:
    """Where the statement starting with `command` is in a model's request."""
    for index, statement in enumerate(statements):
        if statement.upper().startswith(command):
            return index
    raise ValueError(f"the model SQL has no {command} statement")


def _definition_metadata(table: str, statements: list[str]) -> dict:
    sql = "\n;\n\n".join(statements)
    return {
        "dagster/table_name": table,
        "sql": dg.MetadataValue.md(f"```sql\n{sql}\n```"),
    }


def _cost_metadata(request: MultiStatementResult, elapsed_s: float) -> dict:
    """What the warehouse ran: the request's handle and each child statement's."""
    return {
        "snowflake_statements": len(request.statement_handles),
        "multi_statement_handle": request.handle,
        "statement_handles": dg.MetadataValue.json(list(request.statement_handles)),
        "snowflake_elapsed_s": round(elapsed_s, 3),
    }
