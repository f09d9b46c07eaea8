"""Send a query's rows to Brevo as events, each event id at most once.

The steps: count the events earlier runs left without an answer, read from
the warehouse only the rows whose event id the sync never sent (the anti-join
runs in Snowflake against `SYNC_<NAME>_EVENTS`), turn each into an event
(refusing rows that cannot be one), and send them in batches. Each batch's
ids are recorded as 'sending' before the batch is posted and settled from
Brevo's answer: 'sent', 'rejected' (also logged to TAJO_REJECTIONS), or
forgotten when Brevo certainly did not store them. Ids whose answer never
came stay 'sending' and are never sent again by themselves: a resend could
duplicate an event Brevo kept. No step holds more than one batch.
"""

import logging
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from tajo_assets.brevo import BrevoClient
from tajo_assets.brevo.events import EVENT_BATCH_BYTES, EVENT_BATCH_SIZE, event_batches
from tajo_assets.config.events import EventSyncSpec
from tajo_assets.snowflake import Column, SqlApiClient
from tajo_assets.sync.event_rows import (
    DUPLICATE_KEY,
    EventBuilder,
    EventRejection,
    EventRow,
    check_event_columns,
)
from tajo_assets.sync.mapping import MappingError
from tajo_assets.sync.plan import Planner, RowRejection
from tajo_assets.sync.state import (
    SyncTables,
    WarehouseState,
    quote_identifier,
    render_sql,
    utc_now,
)

log = logging.getLogger("tajo_assets.sync")

REJECTION_SAMPLE_SIZE = 20
DRY_RUN_SAMPLE_SIZE = 10
EVENT_ACTION = "event"


class EventsUnconfirmedError(Exception):
    """Brevo's answer to some events never came; they are not sent again.

    `report` holds the run's numbers, for the run's metadata.
    """

    def __init__(self, message: str, report: "EventSyncReport") -> None:
        super().__init__(message)
        self.report = report


@dataclass
class EventSyncReport:
    """What one event sync did, in numbers that become Dagster metadata."""

    events_read: int = 0
    events_sent: int = 0
    rejected_before_sending: int = 0
    rejected_by_brevo: int = 0
    # Sent, with no answer from Brevo: in this run, and left by earlier runs.
    unconfirmed: int = 0
    unconfirmed_before: int = 0
    to_send: int = 0
    dry_run: bool = False
    sample: list[dict[str, str]] = field(default_factory=list)
    rejection_reasons: Counter = field(default_factory=Counter)
    # (event id, code, reason, who refused it) of the first rejected rows.
    rejection_sample: list[tuple[str, str, str, str]] = field(default_factory=list)
    brevo_requests: int = 0
    statement_handles: list[str] = field(default_factory=list)
    duration_s: float = 0.0

    @property
    def rejected(self) -> int:
        return self.rejected_before_sending + self.rejected_by_brevo

    def reject(self, rejection: RowRejection) -> None:
        if rejection.by_brevo:
            self.rejected_by_brevo += 1
        else:
            self.rejected_before_sending += 1
        reason = f"{rejection.code}: {rejection.reason}".strip(": ")
        self.rejection_reasons[reason] += 1
        if len(self.rejection_sample) < REJECTION_SAMPLE_SIZE:
            by = "BREVO" if rejection.by_brevo else "TAJO"
            sample = (rejection.key or "<empty>", rejection.code, rejection.reason, by)
            self.rejection_sample.append(sample)


class EventState(WarehouseState):
    """The warehouse side of one event sync; its state is the events table."""

    def __init__(self, client: SqlApiClient, tables: SyncTables) -> None:
        super().__init__(client, tables)
        self._columns: list[Column] | None = None

    def create_state(self) -> None:
        log.info(
            "creating the event state of %s in schema %s",
            self.tables.sync_name,
            self.tables.state_schema,
        )
        self.create_tables(
            render_sql("create_event_state", events_table=self.tables.events)
        )

    def count_new(self, spec: EventSyncSpec) -> int:
        """Rows of the snapshot whose event id the sync never saw."""
        return _first(self.run(self._sql("count_new_events", spec)))

    def count_unconfirmed(self, run_id: str) -> int:
        """Events earlier runs sent without ever getting Brevo's answer."""
        sql = render_sql("count_unconfirmed_events", events_table=self.tables.events)
        return _first(self.run(sql, {"run_id": run_id}))

    def new_events(self, spec: EventSyncSpec):
        """The rows to send, as a streaming result, in event id order."""
        return self.run(self._sql("read_new_events", spec))

    def mark_sending(self, ids: Sequence[str], run_id: str) -> None:
        rows = ", ".join(f"(:id_{i})" for i in range(len(ids)))
        self.run(
            render_sql(
                "record_sending_events",
                fragments={"rows": rows},
                events_table=self.tables.events,
            ),
            {"run_id": run_id, "now_utc": utc_now(), **_id_bindings(ids)},
        )

    def settle(self, ids: Sequence[str], status: str, run_id: str) -> None:
        """Mark `ids` 'sent' or 'rejected'; status None forgets them."""
        if not ids:
            return
        names = ", ".join(f":id_{i}" for i in range(len(ids)))
        template = "release_events" if status is None else "settle_events"
        bindings = {"run_id": run_id, **_id_bindings(ids)}
        if status is not None:
            bindings["status"] = status
        self.run(
            render_sql(
                template, fragments={"ids": names}, events_table=self.tables.events
            ),
            bindings,
        )

    def _sql(self, name: str, spec: EventSyncSpec) -> str:
        return render_sql(
            name,
            fragments={"id_column": quote_identifier(self._id_column(spec))},
            snapshot_table=self.tables.snapshot,
            events_table=self.tables.events,
        )

    def _id_column(self, spec: EventSyncSpec) -> str:
        """The id column as the snapshot spells it (matched case-insensitively)."""
        wanted = spec.event.id_column.upper()
        return next(
            (c.name for c in self.columns() if c.name.upper() == wanted), wanted
        )

    def columns(self) -> list[Column]:
        """The snapshot's columns, read once without reading a row."""
        if self._columns is None:
            result = self.run(
                render_sql("describe_snapshot", snapshot_table=self.tables.snapshot)
            )
            self._columns = list(result.columns)
        return self._columns


@dataclass(frozen=True)
class EventRun:
    run_id: str
    timezone: ZoneInfo
    dry_run: bool = False
    batch_size: int = EVENT_BATCH_SIZE
    batch_bytes: int = EVENT_BATCH_BYTES


def sync_events(
    spec: EventSyncSpec,
    tables: SyncTables,
    snowflake: SqlApiClient,
    brevo: BrevoClient,
    run: EventRun,
) -> EventSyncReport:
    """Send the events the sync never sent; record Brevo's verdict on each.

    Raises MappingError before anything is sent when the event block names a
    column the query does not return, and EventsUnconfirmedError after the
    run recorded everything it knows when Brevo's answer to some events never
    came (those stay 'sending' and are not resent). A dry run reads and
    counts, and writes nothing to Brevo or to the state.
    """
    started = time.monotonic()
    report = EventSyncReport(dry_run=run.dry_run)
    state = EventState(snowflake, tables)
    try:
        _sync(spec, state, brevo, run, report)
    finally:
        report.statement_handles = state.statement_handles
        report.brevo_requests = brevo.requests_sent
        report.duration_s = time.monotonic() - started
    return report


def _sync(
    spec: EventSyncSpec,
    state: EventState,
    brevo: BrevoClient,
    run: EventRun,
    report: EventSyncReport,
) -> None:
    _check_columns(spec, state, run)
    report.unconfirmed_before = state.count_unconfirmed(run.run_id)
    if report.unconfirmed_before:
        log.warning(_unconfirmed_before(spec, state, report.unconfirmed_before))
    report.to_send = state.count_new(spec)
    log.info("sync %s: %d new event rows to send", spec.name, report.to_send)
    if run.dry_run:
        report.sample = _dry_run_sample(spec, state, run)
        return
    if not report.to_send:
        return

    result = state.new_events(spec)
    builder = EventBuilder(spec, result.columns, run.timezone)
    planner = Planner(state, run.run_id)
    refused: list[RowRejection] = []
    try:
        for batch in _batches(_rows(result, builder, report, refused), run):
            _send_batch(spec, batch, state, planner, brevo, run, report)
    except BaseException:
        _record_quietly(spec, planner, refused)
        raise
    planner.record_rejections(refused)


# Columns read_new_events adds to the snapshot's.
_ADDED_COLUMNS = ("TAJO_EVENT_ID", "TAJO_COPY")


def _check_columns(spec: EventSyncSpec, state: EventState, run: EventRun) -> None:
    """Fail before anything is sent when the event block and the query's
    columns do not fit (MappingError names both)."""
    columns = state.columns()
    reserved = [c.name for c in columns if c.name.upper() in _ADDED_COLUMNS]
    if reserved:
        raise MappingError(
            f"query {spec.query_name} returns {', '.join(reserved)}, a name the "
            "event sync uses for its own bookkeeping; rename it in the query"
        )
    check_event_columns(spec, columns)


def _record_quietly(
    spec: EventSyncSpec, planner: Planner, refused: list[RowRejection]
) -> None:
    """Log the rows refused before sending after a failed batch; the batch's
    error is the one to raise, so a failure here is only a warning."""
    try:
        planner.record_rejections(refused)
    except Exception as error:
        log.warning(
            "sync %s: could not log %d rows refused before sending (%s); they "
            "were not sent and will be refused again next run",
            spec.name,
            len(refused),
            type(error).__name__,
        )


def _rows(
    result: Any,
    builder: EventBuilder,
    report: EventSyncReport,
    refused: list[RowRejection],
) -> Iterator[EventRow]:
    """The events to send; rows that cannot be one go to `refused` instead."""
    copy_at = len(result.columns) - 1
    for rows in result.batches():
        for row in rows:
            report.events_read += 1
            built = builder.build(row)
            if isinstance(built, EventRow) and int(row[copy_at]) > 1:
                built = EventRejection(
                    built.event_id,
                    "the event id appears more than once in the "
                    "query result; its first row was sent",
                    DUPLICATE_KEY,
                )
            if isinstance(built, EventRejection):
                rejection = _rejection(built, report.events_read)
                report.reject(rejection)
                refused.append(rejection)
                continue
            yield built


def _batches(rows: Iterator[EventRow], run: EventRun) -> Iterator[list[EventRow]]:
    """Rows grouped as `event_batches` groups them, without holding more than
    one batch's worth at a time."""
    pending: list[EventRow] = []
    for row in rows:
        pending.append(row)
        if len(pending) >= run.batch_size:
            yield from _split(pending, run)
            pending = []
    if pending:
        yield from _split(pending, run)


def _split(rows: list[EventRow], run: EventRun) -> Iterator[list[EventRow]]:
    events = [row.event for row in rows]
    for indexes in event_batches(events, run.batch_size, run.batch_bytes):
        yield [rows[i] for i in indexes]


def _send_batch(
    spec: EventSyncSpec,
    batch: list[EventRow],
    state: EventState,
    planner: Planner,
    brevo: BrevoClient,
    run: EventRun,
    report: EventSyncReport,
) -> None:
    """Record the batch as sending, post it, then settle each event.

    The order is the guarantee: an id is written before Brevo can have seen
    it, so a crash anywhere after leaves it 'sending', never unrecorded.
    """
    ids = [row.event_id for row in batch]
    state.mark_sending(ids, run.run_id)
    outcome = brevo.send_event_batch([row.event for row in batch])

    report.events_sent += len(outcome.accepted)
    report.unconfirmed += len(outcome.unconfirmed)
    refused = []
    for refusal in outcome.refused:
        rejection = RowRejection(
            0, ids[refusal.index], EVENT_ACTION, refusal.code, refusal.message, True
        )
        report.reject(rejection)
        refused.append(rejection)
    state.settle([ids[i] for i in outcome.accepted], "sent", run.run_id)
    state.settle([r.key for r in refused], "rejected", run.run_id)
    state.settle([ids[i] for i in outcome.not_sent], None, run.run_id)
    planner.record_rejections(refused)
    if outcome.failure is not None:
        raise _stopped(spec, state, outcome, report) from outcome.failure


def _stopped(spec, state, outcome, report) -> Exception:
    """The error a failed batch raises, after everything known was recorded."""
    if not outcome.unconfirmed:
        return outcome.failure
    return EventsUnconfirmedError(
        f"sync {spec.name}: Brevo's answer to {len(outcome.unconfirmed)} events "
        f"never came ({outcome.failure}). Brevo may have stored them, so they "
        f"are not sent again: they stay with STATUS 'sending' in "
        f"{state.tables.events}. Check in Brevo whether they arrived; to send "
        "the ones that did not, delete their rows (those with STATUS 'sending') "
        "from that table and run the sync again.",
        report,
    )


def _unconfirmed_before(spec: EventSyncSpec, state: EventState, count: int) -> str:
    return (
        f"sync {spec.name}: {count} events sent by earlier runs never got Brevo's "
        f"answer and are not sent again (STATUS 'sending' in {state.tables.events}); "
        "check in Brevo whether they arrived, and delete the rows of those that "
        "did not to have the next run send them"
    )


def _dry_run_sample(
    spec: EventSyncSpec, state: EventState, run: EventRun
) -> list[dict[str, str]]:
    """A few events a real run would send: id, name, identifiers masked, date,
    and which properties (not their values)."""
    result = state.new_events(spec)
    builder = EventBuilder(spec, result.columns, run.timezone)
    sample = []
    for rows in result.batches():
        for row in rows:
            built = builder.build(row)
            sample.append(_sample_entry(built))
            if len(sample) >= DRY_RUN_SAMPLE_SIZE:
                return sample
    return sample


def _sample_entry(built: EventRow | EventRejection) -> dict[str, str]:
    if isinstance(built, EventRejection):
        return {
            "event_id": built.event_id or "<empty>",
            "event": f"rejected: {built.reason}",
            "identifiers": "",
            "properties": "",
        }
    event = built.event
    when = event.get("event_date", "now")
    return {
        "event_id": built.event_id,
        "event": f"{event['event_name']} at {when}",
        "identifiers": built.masked_identifiers,
        "properties": ", ".join(event.get("event_properties", {})),
    }


def _rejection(built: EventRejection, seq: int) -> RowRejection:
    """A row refused before sending, as TAJO_REJECTIONS records it."""
    return RowRejection(
        seq, built.event_id or "", EVENT_ACTION, built.code, built.reason, False
    )


def _first(result: Any) -> int:
    return int(next(iter(result.rows()))[0] or 0)


def _id_bindings(ids: Sequence[str]) -> dict[str, str]:
    return {f"id_{i}": event_id for i, event_id in enumerate(ids)}
