"""Brevo event sync assets: each new row of a query sent once as a Brevo event."""

import logging
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import dagster as dg

from tajo_assets.assets.brevo import BREVO_GROUP, SyncRunConfig, _snapshot_rows
from tajo_assets.assets.failures import configuration_errors_as_failures
from tajo_assets.assets.warehouse import audience_key
from tajo_assets.brevo import BrevoResource
from tajo_assets.config import EventSyncSpec, TajoConfig
from tajo_assets.snowflake import SnowflakeSqlApiResource
from tajo_assets.sync.events import (
    EventRun,
    EventsUnconfirmedError,
    EventSyncReport,
    sync_events,
)
from tajo_assets.sync.state import SyncTables

log = logging.getLogger("tajo_assets.sync")


def build_event_sync_asset(
    spec: EventSyncSpec,
    config: TajoConfig,
    partitions_def: dg.TimeWindowPartitionsDefinition | None = None,
) -> dg.AssetsDefinition:
    """Send the query's rows whose event id was never sent as Brevo events.

    Each event id goes to Brevo at most once: ids are recorded in
    `SYNC_<NAME>_EVENTS` before their batch is posted. With `partitions_def`
    the query reads one window per run, like an incremental audience.
    """
    upstream = audience_key(spec.query_name)
    tables = SyncTables(config.snowflake.state_schema, spec.name, spec.query_name)
    timezone = ZoneInfo(config.snowflake.timezone)
    incremental = partitions_def is not None
    name = spec.event.name or f"the name in column {spec.event.name_column}"

    @dg.asset(
        key=dg.AssetKey(["brevo", spec.name]),
        deps=[upstream],
        group_name=BREVO_GROUP,
        kinds={"brevo"},
        pool="brevo",
        output_required=False,
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run() if partitions_def else None,
        description=f"Rows of `{spec.query_name}` sent once each as Brevo events "
        f"({name}), keyed by {spec.event.id_column}.",
        metadata={"event": dg.MetadataValue.json(spec.event.model_dump())},
    )
    def _sync(
        context: dg.AssetExecutionContext,
        config: SyncRunConfig,
        snowflake: SnowflakeSqlApiResource,
        brevo: BrevoResource,
    ) -> Iterator[dg.MaterializeResult]:
        _snapshot_rows(context, upstream, incremental)
        run = EventRun(context.run.run_id, timezone, dry_run=config.dry_run)
        try:
            with (
                configuration_errors_as_failures(),
                snowflake.get_client() as warehouse,
                brevo.get_client() as brevo_client,
            ):
                report = sync_events(spec, tables, warehouse, brevo_client, run)
        except EventsUnconfirmedError as error:
            raise dg.Failure(
                str(error), metadata=_metadata(error.report), allow_retries=False
            ) from None
        if run.dry_run:
            _record_dry_run(context, spec, report)
            return
        log.info(_summary(spec, report))
        yield dg.MaterializeResult(metadata=_metadata(report))

    return _sync


def _summary(spec: EventSyncSpec, report: EventSyncReport) -> str:
    return (
        f"sync {spec.name}: {report.events_read} new event rows read, "
        f"{report.events_sent} events sent, {report.rejected} rejected, "
        f"{report.unconfirmed} unconfirmed, {report.duration_s:.1f}s"
    )


def _record_dry_run(
    context: dg.AssetExecutionContext, spec: EventSyncSpec, report: EventSyncReport
) -> None:
    """Log the events a run would send and record them as an observation."""
    log.info(
        "sync %s: dry run: %d event rows to send; nothing was written to Brevo "
        "or to the sync state",
        spec.name,
        report.to_send,
    )
    for row in report.sample:
        log.info("sync %s: dry run sample: %s", spec.name, row)
    metadata = {
        "dry_run": True,
        "events_to_send": report.to_send,
        "events_unconfirmed": report.unconfirmed_before,
        "sample": _table(
            report.sample, ("event_id", "event", "identifiers", "properties")
        ),
        "brevo_requests": report.brevo_requests,
        "snowflake_statements": len(report.statement_handles),
    }
    context.log_event(
        dg.AssetObservation(asset_key=context.asset_key, metadata=metadata)
    )


def _metadata(report: EventSyncReport) -> dict[str, object]:
    handles = report.statement_handles
    columns = ("event_id", "code", "reason", "rejected_by")
    sample = [dict(zip(columns, row, strict=True)) for row in report.rejection_sample]
    return {
        "dagster/row_count": report.events_read,
        "events_read": report.events_read,
        "events_sent": report.events_sent,
        "events_rejected": report.rejected,
        "rejected_before_sending": report.rejected_before_sending,
        "rejected_by_brevo": report.rejected_by_brevo,
        # Sent without an answer: this run's, and all still left by earlier runs.
        "events_unconfirmed": report.unconfirmed + report.unconfirmed_before,
        "rejection_reasons": dg.MetadataValue.json(dict(report.rejection_reasons)),
        "rejected_sample": _table(sample, columns),
        "brevo_requests": report.brevo_requests,
        "snowflake_statements": len(handles),
        "statement_handles": dg.MetadataValue.json(handles),
        "duration_s": round(report.duration_s, 3),
    }


def _table(rows: list[dict[str, str]], columns: tuple[str, ...]) -> dg.MetadataValue:
    return dg.MetadataValue.table(
        records=[dg.TableRecord({c: str(row[c]) for c in columns}) for row in rows],
        schema=dg.TableSchema(columns=[dg.TableColumn(c, "string") for c in columns]),
    )
