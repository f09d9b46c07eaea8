"""Brevo sync assets: apply the field mapping, write contacts and mirror lists."""

import logging
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import dagster as dg
from pydantic import Field

from tajo_assets.assets.failures import configuration_errors_as_failures
from tajo_assets.assets.warehouse import audience_key
from tajo_assets.automation.jobs import FORCE_TAG, FULL_RESYNC_TAG, tag_is_set
from tajo_assets.brevo import BrevoResource
from tajo_assets.config import SyncSpec, TajoConfig
from tajo_assets.config.syncs import SyncMode
from tajo_assets.snowflake import SnowflakeSqlApiResource
from tajo_assets.sync.contacts import (
    AudienceShrinkError,
    ContactSyncOptions,
    ContactSyncReport,
    SyncRun,
    sync_contacts,
)
from tajo_assets.sync.state import SyncTables, sync_definition

log = logging.getLogger("tajo_assets.sync")

BREVO_GROUP = "brevo"
# Recorded by a failed run of an incremental sync: rows may await a retry.
PENDING_UNKNOWN = -1


class SyncRunConfig(dg.Config):
    """Run configuration of a Brevo sync asset."""

    dry_run: bool = Field(
        default=False,
        description="Plan the sync (creates, updates, list adds and removals, "
        "with a few sample rows) and write nothing to Brevo or to the sync state; "
        "the plan is recorded as an observation, not a materialization.",
    )


def build_contact_sync_asset(
    spec: SyncSpec,
    config: TajoConfig,
    tables: SyncTables,
    partitions_def: dg.TimeWindowPartitionsDefinition | None = None,
) -> dg.AssetsDefinition:
    """Send the audience's changes to Brevo contacts and the sync's lists.

    With `partitions_def` the audience is incremental (one window per run): a
    window does not say who left, so nobody leaves a list for leaving the
    audience. A full audience in mirror mode is mirrored: members this project
    added who left the audience are removed from the list. A segment sync
    moves members between its segment lists in every mode.
    """
    upstream = audience_key(spec.query_name)
    definition = sync_definition(spec)
    options = ContactSyncOptions(
        timezone=ZoneInfo(config.snowflake.timezone),
        max_list_shrink=config.checks.max_list_shrink,
        import_body_bytes=config.brevo.import_body_bytes,
    )
    incremental = partitions_def is not None

    @dg.asset(
        key=dg.AssetKey(["brevo", spec.name]),
        deps=[upstream],
        group_name=BREVO_GROUP,
        kinds={"brevo"},
        pool="brevo",
        output_required=False,
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run() if partitions_def else None,
        description=_description(spec, incremental),
        metadata={
            "field_mapping": dg.MetadataValue.json(spec.mapping.as_dict()),
            "mode": spec.mode.value,
        },
    )
    def _sync(
        context: dg.AssetExecutionContext,
        config: SyncRunConfig,
        snowflake: SnowflakeSqlApiResource,
        brevo: BrevoResource,
    ) -> Iterator[dg.MaterializeResult]:
        run = SyncRun(
            run_id=context.run.run_id,
            definition=definition,
            incremental=incremental,
            full_resync=tag_is_set(context.run.tags, FULL_RESYNC_TAG),
            force=tag_is_set(context.run.tags, FORCE_TAG),
            dry_run=config.dry_run,
        )
        rows = _snapshot_rows(context, upstream, incremental)
        if incremental and rows == 0 and not run.full_resync and not run.dry_run:
            if _last_pending(context) == 0:
                yield _nothing_to_send(spec)
                return
        report = ContactSyncReport()
        try:
            with (
                configuration_errors_as_failures(),
                snowflake.get_client() as warehouse,
                brevo.get_client() as brevo_client,
            ):
                report = sync_contacts(
                    spec, tables, warehouse, brevo_client, options, run
                )
        except AudienceShrinkError as error:
            raise dg.Failure(
                str(error), metadata=_metadata(error.report), allow_retries=False
            ) from None
        except BaseException:
            if incremental and not run.dry_run:
                # The failed window's rows may wait in the pending table: the
                # next empty window must not take the no-request shortcut.
                context.log_event(
                    dg.AssetObservation(
                        asset_key=context.asset_key,
                        metadata={"pending_rows": PENDING_UNKNOWN},
                    )
                )
            raise
        if run.dry_run:
            _record_dry_run(context, spec, report)
            return
        log.info(_summary(spec, report))
        metadata = _metadata(report)
        if incremental:
            # One run may cover a range of windows; each window's
            # materialization carries the run's totals, not its own share.
            metadata["windows_in_run"] = len(context.partition_keys)
        if not report.fully_acknowledged:
            raise dg.Failure(
                f"Brevo did not report which rows of import process(es) "
                f"{report.unconfirmed_imports} it rejected; those rows stay unsynced "
                "so the next run sends them again",
                metadata=metadata,
            )
        yield dg.MaterializeResult(metadata=metadata)

    return _sync


def _description(spec: SyncSpec, incremental: bool) -> str:
    what = {
        SyncMode.UPSERT: "created or updated in",
        SyncMode.UPDATE: "updated (existing contacts only) in",
        SyncMode.INSERT: "created (new contacts only) in",
        SyncMode.MIRROR: "created or updated in",
    }[spec.mode]
    lists = f"added to {spec.list_label}"
    if spec.mode == SyncMode.MIRROR and not incremental:
        lists += ", which members who leave the audience leave too"
    return (
        f"Changed contacts of audience `{spec.query_name}` {what} Brevo and "
        f"{lists}; attributes per the field mapping (mode {spec.mode.value})."
    )


def _record_dry_run(
    context: dg.AssetExecutionContext, spec: SyncSpec, report: ContactSyncReport
) -> None:
    """Log the plan and record it as an observation; nothing was written.

    The plan goes to Dagster's run log itself, not through Python logging,
    so it shows whatever the instance's python_logs settings are.
    """
    plan = report.plan
    assert plan is not None
    refused = report.dry_run_refused
    creates = plan.creates - refused["create"]
    updates = plan.updates - refused["update"]
    relists = plan.relists - refused["relist"]
    invalid = plan.duplicates + plan.invalid + refused.total()
    context.log.info(
        f"sync {spec.name}: dry run: {creates} to create, {updates} to update, "
        f"{relists} to add to a list, {plan.removals} to remove from a list, "
        f"{plan.unchanged} unchanged, {invalid} invalid; nothing was written to "
        "Brevo or to the sync state"
    )
    for row in report.plan_sample:
        context.log.info(f"sync {spec.name}: dry run sample: {row}")
    metadata = {
        "dry_run": True,
        "to_create": creates,
        "to_update": updates,
        "to_add_to_list": relists,
        "to_remove_from_list": plan.removals,
        "leaving_audience": plan.leaving,
        "moving_list": plan.moving,
        "unchanged": plan.unchanged,
        "invalid": invalid,
        "lists_to_create": dg.MetadataValue.json(report.lists_missing),
        "sample": _plan_sample_table(report),
        "brevo_requests": report.brevo_requests,
        "snowflake_statements": len(report.statement_handles),
    }
    context.log_event(
        dg.AssetObservation(asset_key=context.asset_key, metadata=metadata)
    )


def _plan_sample_table(report: ContactSyncReport) -> dg.MetadataValue:
    """A dry run's sample rows: masked keys, and text values masked too."""
    columns = ("key", "action", "list", "attributes")
    return dg.MetadataValue.table(
        records=[
            dg.TableRecord({c: str(row[c]) for c in columns})
            for row in report.plan_sample
        ],
        schema=dg.TableSchema(columns=[dg.TableColumn(c, "string") for c in columns]),
    )


def _snapshot_rows(
    context: dg.AssetExecutionContext, upstream: dg.AssetKey, incremental: bool
) -> int | None:
    """The row count of the audience snapshot this run took, if it took one.

    A window's snapshot must come from the same run; a full audience may use
    the latest snapshot of any run.
    """
    records = context.instance.all_logs(
        context.run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
    )
    for record in reversed(records):
        materialization = record.asset_materialization
        if materialization and materialization.asset_key == upstream:
            return _rows(materialization.metadata)
    if incremental:
        raise dg.Failure(
            f"audience {upstream.to_user_string()} was not materialized in this run; "
            "a time window's sync reads the snapshot of the same run, so select "
            "the audience together with this sync"
        )
    event = context.instance.get_latest_materialization_event(upstream)
    if event is None or event.asset_materialization is None:
        raise dg.Failure(
            f"audience {upstream.to_user_string()} has no snapshot yet; materialize "
            "it first (select it together with this sync)"
        )
    return _rows(event.asset_materialization.metadata)


def _rows(metadata) -> int | None:
    return metadata["rows"].value if "rows" in metadata else None


def _last_pending(context: dg.AssetExecutionContext) -> int | None:
    """How many unacknowledged rows the last run of this sync left, if known.

    A successful run says so in its materialization; a failed one records an
    observation with PENDING_UNKNOWN. The newer of the two decides.
    """
    instance, key = context.instance, context.asset_key
    records = [
        *instance.fetch_materializations(key, limit=1).records,
        *instance.fetch_observations(key, limit=1).records,
    ]
    if not records:
        return None
    latest = max(records, key=lambda record: record.storage_id).asset_event
    metadata = latest.metadata if latest else {}
    if "pending_rows" not in metadata:
        return None
    return metadata["pending_rows"].value


def _nothing_to_send(spec: SyncSpec) -> dg.MaterializeResult:
    """The result of a window without changes, reached without any request.

    Neither resource is opened: no token, no statement, no Brevo call. The
    window had no rows and earlier runs left none unacknowledged, so there is
    nothing to send and nothing to commit.
    """
    log.info("sync %s: the window has no rows; nothing to send", spec.name)
    metadata = _metadata(ContactSyncReport())
    metadata["skipped_reason"] = (
        f"audience {spec.query_name} has no rows in this window and no earlier "
        "rows await a retry; no warehouse statement and no Brevo request were made"
    )
    return dg.MaterializeResult(metadata=metadata)


def _summary(spec: SyncSpec, report: ContactSyncReport) -> str:
    return (
        f"sync {spec.name}: {report.rows_read} changed rows read, "
        f"{report.contacts_sent} contacts sent in {len(report.import_process_ids)} "
        f"imports to {_lists_label(report)}, {report.contacts_acknowledged} "
        f"acknowledged, {report.rejected} rejected, {report.removed} removed from "
        f"the list, {report.duration_s:.1f}s"
    )


def _lists_label(report: ContactSyncReport) -> str:
    if len(report.list_names) > 1:
        return f"{len(report.list_names)} lists"
    return f"list {report.list_id}"


def _metadata(report: ContactSyncReport) -> dict[str, object]:
    plan = report.plan
    created = updated = re_added = unchanged = retried = leaving = listed = 0
    moving = 0
    # While an import's outcome is unknown, no row counts as created or updated.
    if plan is not None and report.fully_acknowledged:
        rejected = report.rejected_by_action
        created = plan.creates - rejected["create"]
        updated = plan.updates - rejected["update"]
        re_added = plan.relists - rejected["relist"]
    if plan is not None:
        unchanged, retried = plan.unchanged, plan.retries
        leaving, listed, moving = plan.leaving, plan.listed_before, plan.moving
    handles = report.statement_handles
    return {
        "dagster/row_count": report.rows_read,
        "created": created,
        "updated": updated,
        "re_added": re_added,
        "unchanged": unchanged,
        "removed": report.removed + report.already_out_of_list,
        "rejected": report.rejected,
        "retried": retried,
        "rows_read": report.rows_read,
        "contacts_sent": report.contacts_sent,
        "contacts_acknowledged": report.contacts_acknowledged,
        "unconfirmed_rows": report.unconfirmed_rows,
        "rejected_before_sending": report.rejected_before_sending,
        "rejected_by_brevo": report.rejected_by_brevo,
        "members_leaving": leaving,
        "members_listed_before": listed,
        "members_moving_list": moving,
        "pending_rows": report.pending_rows,
        "rejection_reasons": dg.MetadataValue.json(
            {reason: n for reason, n in report.rejection_reasons.items() if n}
        ),
        "rejected_sample": _rejection_table(report),
        "brevo_list_id": report.list_id,
        "brevo_lists": dg.MetadataValue.json(
            {str(list_id): name for list_id, name in report.list_names.items()}
        ),
        "brevo_import_process_ids": dg.MetadataValue.json(report.import_process_ids),
        "brevo_requests": report.brevo_requests,
        "brevo_bytes_sent": report.brevo_bytes_sent,
        "attributes_created": dg.MetadataValue.json(report.attributes_created),
        "snowflake_statements": len(handles),
        "statement_handles": dg.MetadataValue.json(handles),
        "duration_s": round(report.duration_s, 3),
    }


_REJECTION_COLUMNS = ("key", "action", "code", "reason", "rejected_by")


def _rejection_table(report: ContactSyncReport) -> dg.MetadataValue:
    """A sample of rejected rows as TAJO_REJECTIONS holds them, keys masked."""
    return dg.MetadataValue.table(
        records=[
            dg.TableRecord(
                {
                    "key": r.key,
                    "action": r.action,
                    "code": r.code,
                    "reason": r.reason,
                    "rejected_by": "BREVO" if r.by_brevo else "TAJO",
                }
            )
            for r in report.rejection_sample
        ],
        schema=dg.TableSchema(
            columns=[dg.TableColumn(name, "string") for name in _REJECTION_COLUMNS]
        ),
    )
