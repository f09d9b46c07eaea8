"""Brevo sync assets: apply the field mapping and write contacts and lists."""

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

import dagster as dg

from tajo_assets.assets.failures import configuration_errors_as_failures
from tajo_assets.assets.warehouse import audience_key
from tajo_assets.brevo import BrevoResource
from tajo_assets.config import SyncSpec, TajoConfig
from tajo_assets.snowflake import SnowflakeSqlApiResource
from tajo_assets.sync.contacts import (
    ContactSyncOptions,
    ContactSyncReport,
    sync_contacts,
)
from tajo_assets.sync.state import WarehouseState, definition_hash, snapshot_table

log = logging.getLogger("tajo_assets.sync")

BREVO_GROUP = "brevo"


def build_contact_sync_asset(spec: SyncSpec, config: TajoConfig) -> dg.AssetsDefinition:
    """Upsert the audience snapshot into Brevo contacts and the sync's list."""
    state_schema = config.snowflake.state_schema
    upstream = audience_key(spec.query_name)
    definition = definition_hash(spec.sql, spec.mapping.as_dict())
    options = ContactSyncOptions(timezone=ZoneInfo(config.snowflake.timezone))
    destination = f"list {spec.list_id}" if spec.list_id else f"list '{spec.list_name}'"

    @dg.asset(
        key=dg.AssetKey(["brevo", spec.name]),
        deps=[upstream],
        group_name=BREVO_GROUP,
        kinds={"brevo"},
        pool="brevo",
        description=f"Contacts of audience `{spec.query_name}` upserted into Brevo "
        f"and added to {destination}, attributes per the field mapping.",
        metadata={"field_mapping": dg.MetadataValue.json(spec.mapping.as_dict())},
    )
    def _sync(
        context: dg.AssetExecutionContext,
        snowflake: SnowflakeSqlApiResource,
        brevo: BrevoResource,
    ) -> dg.MaterializeResult:
        as_of, rows = _latest_snapshot(context, upstream)
        if rows == 0:
            return _nothing_to_send(spec, as_of)
        table = snapshot_table(state_schema, spec.query_name)
        with (
            configuration_errors_as_failures(),
            snowflake.get_client() as warehouse,
            brevo.get_client() as brevo_client,
        ):
            report = sync_contacts(spec, table, warehouse, brevo_client, options)
            state = WarehouseState(warehouse, state_schema)
            if report.fully_acknowledged:
                state.advance_watermark(spec.query_name, as_of, definition)
        log.info(_summary(spec, report))
        handles = report.statement_handles + state.statement_handles
        metadata = _metadata(report, handles, as_of)
        if not report.fully_acknowledged:
            raise dg.Failure(
                f"Brevo did not report which rows of import process(es) "
                f"{report.unconfirmed_imports} it rejected; the watermark stays at "
                "its last value so the next run sends these contacts again",
                metadata=metadata,
            )
        return dg.MaterializeResult(metadata=metadata)

    return _sync


def _latest_snapshot(
    context: dg.AssetExecutionContext, upstream: dg.AssetKey
) -> tuple[datetime, int | None]:
    """The warehouse time and row count of the audience snapshot this sync pushes.

    The row count is None for a snapshot recorded without one.
    """
    event = context.instance.get_latest_materialization_event(upstream)
    materialization = event.asset_materialization if event else None
    metadata = materialization.metadata if materialization else {}
    if "as_of" not in metadata:
        raise dg.Failure(
            f"audience {upstream.to_user_string()} has no snapshot yet; materialize "
            "it first (select it together with this sync)"
        )
    rows = metadata["rows"].value if "rows" in metadata else None
    return datetime.fromisoformat(metadata["as_of"].value), rows


def _nothing_to_send(spec: SyncSpec, as_of: datetime) -> dg.MaterializeResult:
    """The result of a sync whose snapshot is empty, reached without any request.

    Neither resource is opened: no token, no statement, no Brevo call. The
    watermark stays where it is, which loses nothing: the snapshot held every
    row changed between that watermark and `as_of`, and there were none, so the
    next run, reading from the same watermark, sees exactly the later changes.
    """
    log.info("sync %s: the audience snapshot has no rows; nothing to send", spec.name)
    metadata = _metadata(ContactSyncReport(), [], as_of)
    metadata["watermark"] = "unchanged"
    metadata["snapshot_as_of"] = as_of.isoformat()
    metadata["skipped_reason"] = (
        f"audience {spec.query_name} has no rows (per its latest materialization); "
        "no warehouse statement and no Brevo request were made"
    )
    return dg.MaterializeResult(metadata=metadata)


def _summary(spec: SyncSpec, report: ContactSyncReport) -> str:
    return (
        f"sync {spec.name}: {report.rows_read} rows read, {report.contacts_sent} "
        f"contacts sent in {len(report.import_process_ids)} imports to list "
        f"{report.list_id}, {report.contacts_acknowledged} acknowledged, "
        f"{report.rejected} rejected, {report.duration_s:.1f}s"
    )


def _metadata(
    report: ContactSyncReport, handles: list[str], as_of: datetime
) -> dict[str, object]:
    return {
        "dagster/row_count": report.rows_read,
        "rows_read": report.rows_read,
        "contacts_sent": report.contacts_sent,
        "contacts_acknowledged": report.contacts_acknowledged,
        "rejected": report.rejected,
        "rejected_before_sending": report.rejected_before_sending,
        "rejected_by_brevo": report.rejected_by_brevo,
        "rejection_reasons": dg.MetadataValue.json(dict(report.rejection_reasons)),
        "rejected_sample": _rejection_table(report),
        "brevo_list_id": report.list_id,
        "brevo_import_process_ids": dg.MetadataValue.json(report.import_process_ids),
        "brevo_requests": report.brevo_requests,
        "brevo_bytes_sent": report.brevo_bytes_sent,
        "attributes_created": dg.MetadataValue.json(report.attributes_created),
        "snowflake_statements": len(handles),
        "statement_handles": dg.MetadataValue.json(handles),
        "watermark": as_of.isoformat(),
        "duration_s": round(report.duration_s, 3),
    }


def _rejection_table(report: ContactSyncReport) -> dg.MetadataValue:
    """A sample of rejected rows; keys are masked, never raw emails."""
    return dg.MetadataValue.table(
        records=[
            dg.TableRecord({"key": r.key, "reason": r.reason})
            for r in report.rejection_sample
        ],
        schema=dg.TableSchema(
            columns=[
                dg.TableColumn("key", "string"),
                dg.TableColumn("reason", "string"),
            ]
        ),
    )
