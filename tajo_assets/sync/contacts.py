"""Push an audience into Brevo contacts and mirror it in a contact list.

The orchestrator reads as its steps: plan in the warehouse what changed, stop if
the list would shrink beyond the guard, make sure the attributes exist, stream the
changed rows into import bodies, follow the import processes, commit to the state
what Brevo acknowledged, then remove the members who left. Rows move partition by
partition; no step holds the audience.
"""

import logging
import time
from array import array
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from tajo_assets.brevo import (
    DEFAULT_MAX_BODY_BYTES,
    BrevoClient,
    BrevoNotFoundError,
    ContactList,
    split_import_bodies,
)
from tajo_assets.config import SyncSpec
from tajo_assets.snowflake import Column, SqlApiClient
from tajo_assets.sync.keys import list_change_arguments, mask_key
from tajo_assets.sync.mapping import (
    MappingError,
    Rejection,
    ResolvedMapping,
    resolve_mapping,
)
from tajo_assets.sync.plan import Planner, PlanSummary, RowRejection
from tajo_assets.sync.state import SyncTables, WarehouseState

log = logging.getLogger("tajo_assets.sync")

REJECTION_SAMPLE_SIZE = 20
DEFAULT_IMPORT_DEADLINE_S = 3600.0
DEFAULT_MAX_LIST_SHRINK = 0.2
KEY_COLUMN = "TAJO_KEY"
RESERVED_PREFIX = "TAJO_"
_ACTIONS = ("create", "update", "relist")


class AudienceShrinkError(Exception):
    """The list would lose more members than the guard allows; nothing was sent.

    `report` holds the plan that was refused, for the run's metadata.
    """

    def __init__(self, message: str, report: "ContactSyncReport") -> None:
        super().__init__(message)
        self.report = report


@dataclass
class ContactSyncReport:
    """What one sync did, in numbers that become Dagster metadata."""

    list_id: int = 0
    plan: PlanSummary | None = None
    rows_read: int = 0
    contacts_sent: int = 0
    rejected_by_action: Counter = field(default_factory=Counter)
    rejected_before_sending: int = 0
    rejected_by_brevo: int = 0
    removed: int = 0
    already_out_of_list: int = 0
    # Rows of an incremental audience left for the next run to send again.
    pending_rows: int = 0
    import_process_ids: list[int] = field(default_factory=list)
    attributes_created: list[str] = field(default_factory=list)
    statement_handles: list[str] = field(default_factory=list)
    unconfirmed_imports: list[int] = field(default_factory=list)
    # Contacts sent in those imports: Brevo's outcome for them is unknown.
    unconfirmed_rows: int = 0
    brevo_requests: int = 0
    brevo_bytes_sent: int = 0
    rejection_reasons: Counter = field(default_factory=Counter)
    rejection_sample: list[Rejection] = field(default_factory=list)
    duration_s: float = 0.0

    @property
    def rejected(self) -> int:
        return self.rejected_before_sending + self.rejected_by_brevo

    @property
    def contacts_acknowledged(self) -> int:
        return self.contacts_sent - self.rejected_by_brevo - self.unconfirmed_rows

    @property
    def fully_acknowledged(self) -> bool:
        """Whether Brevo confirmed the outcome of every contact sent."""
        return not self.unconfirmed_imports

    def reject(
        self, rejection: Rejection, action: str, *, by_brevo: bool, kind: str
    ) -> None:
        if by_brevo:
            self.rejected_by_brevo += 1
        else:
            self.rejected_before_sending += 1
        self.rejected_by_action[action] += 1
        self.rejection_reasons[rejection.reason] += 1
        if len(self.rejection_sample) < REJECTION_SAMPLE_SIZE:
            masked = Rejection(mask_key(kind, rejection.key), rejection.reason)
            self.rejection_sample.append(masked)


@dataclass(frozen=True)
class ContactSyncOptions:
    timezone: ZoneInfo
    import_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    import_deadline_s: float = DEFAULT_IMPORT_DEADLINE_S
    max_list_shrink: float = DEFAULT_MAX_LIST_SHRINK


@dataclass(frozen=True)
class SyncRun:
    """What is particular to one run of a sync."""

    run_id: str
    definition: str
    incremental: bool
    full_resync: bool = False
    force: bool = False


@dataclass
class _Body:
    """One import body: the plan sequence number and action (an index into
    _ACTIONS) of each contact, kept compact since every row sent has one."""

    seqs: array
    actions: bytearray
    process_id: int = 0
    last_seq: int = 0


def sync_contacts(
    spec: SyncSpec,
    tables: SyncTables,
    snowflake: SqlApiClient,
    brevo: BrevoClient,
    options: ContactSyncOptions,
    run: SyncRun,
) -> ContactSyncReport:
    """Send what changed in the audience to Brevo and commit what it acknowledged.

    Raises MappingError before anything is sent when the mapping does not fit
    the snapshot's columns, and AudienceShrinkError when the list would shrink
    beyond the guard. Returns normally when every import process completed;
    rows Brevo refused are counted as rejected and stay unsynced, so the next
    run tries them again; an import whose rejections Brevo did not report is
    listed in `unconfirmed_imports` and nothing from it on is committed.
    """
    started = time.monotonic()
    report = ContactSyncReport()
    state = WarehouseState(snowflake, tables)
    planner = Planner(state, run.run_id)
    try:
        _sync(spec, planner, brevo, options, run, report)
    finally:
        report.statement_handles = state.statement_handles
        report.brevo_requests = brevo.requests_sent
        report.brevo_bytes_sent = brevo.bytes_sent
        report.duration_s = time.monotonic() - started
    return report


def _sync(
    spec: SyncSpec,
    planner: Planner,
    brevo: BrevoClient,
    options: ContactSyncOptions,
    run: SyncRun,
    report: ContactSyncReport,
) -> None:
    columns = planner.snapshot_columns()
    _refuse_reserved_columns(spec, columns)
    source = f"query {spec.query_name}"
    mapping = resolve_mapping(spec.mapping, columns, source, options.timezone)
    destination = _destination_list(brevo, spec)
    report.list_id = destination.id
    report.plan = plan = planner.build(
        columns,
        (spec.mapping.identifier_target, spec.mapping.identifier_column),
        [a.column.name for a in mapping.attributes],
        definition=run.definition,
        list_id=report.list_id,
        full_resync=run.full_resync,
        incremental=run.incremental,
    )
    log.info(_plan_line(spec, plan, run))
    _check_shrink(spec, options, run, report)
    if plan.duplicates or plan.invalid:
        planner.record_invalid_rows()
        report.rejected_before_sending += plan.duplicates + plan.invalid
        report.rejection_reasons["duplicate key"] += plan.duplicates
        report.rejection_reasons["empty key"] += plan.invalid
    last_acknowledged, unsettled = 0, 0
    if plan.to_send:
        report.attributes_created = _ensure_attributes(brevo, mapping)
        try:
            last_acknowledged, unsettled = _send_changes(
                spec, planner, brevo, options, report
            )
        except BaseException:
            if run.incremental:
                _keep_window_pending(spec, planner, columns)
            raise
    if not run.incremental and plan.leaving:
        _remove_leavers(planner, brevo, report, spec.mapping.identifier_target)
    if run.incremental:
        planner.save_pending(columns, last_acknowledged)
        report.pending_rows = unsettled
    if report.fully_acknowledged and (plan.to_send or run.full_resync):
        planner.state.record_definition(run.definition)


def _refuse_reserved_columns(spec: SyncSpec, columns: list[Column]) -> None:
    """The plan adds TAJO_* columns to the audience's; a query may not use them."""
    reserved = [c.name for c in columns if c.name.upper().startswith(RESERVED_PREFIX)]
    if reserved:
        raise MappingError(
            f"query {spec.query_name} returns {', '.join(reserved)}; column names "
            f"starting with {RESERVED_PREFIX} are reserved for the sync's own "
            "bookkeeping, so rename them in the query (SELECT ... AS another_name)"
        )


def _keep_window_pending(
    spec: SyncSpec, planner: Planner, columns: list[Column]
) -> None:
    """After a failed send, leave every changed row of the window pending.

    Nothing of this run was committed, and the next run may read another
    window (the schedule moves on), so the rows must wait in the pending table
    rather than only in this failed partition. Best effort: if the warehouse
    is what failed, the partition stays failed in Dagster, for a rerun.
    """
    try:
        planner.save_pending(columns, 0)
    except Exception as error:  # the first failure is the one to raise
        log.warning(
            "sync %s: could not keep the failed window's rows pending (%s); "
            "rerun the failed partition",
            spec.name,
            type(error).__name__,
        )


def _send_changes(
    spec: SyncSpec,
    planner: Planner,
    brevo: BrevoClient,
    options: ContactSyncOptions,
    report: ContactSyncReport,
) -> tuple[int, int]:
    """Import the changed rows and commit what Brevo acknowledged.

    Returns the last plan sequence number committed (everything up to it is
    settled) and how many rows sent or read are not acknowledged.
    """
    result = planner.changes()
    mapping = resolve_mapping(
        spec.mapping,
        result.columns,
        f"query {spec.query_name}",
        options.timezone,
        key_column=KEY_COLUMN,
    )
    positions = {column.name.upper(): i for i, column in enumerate(result.columns)}
    seq_at, action_at = positions["TAJO_SEQ"], positions["TAJO_ACTION"]
    kind = spec.mapping.identifier_target
    rejections: list[RowRejection] = []
    pending: deque[tuple[int, str]] = deque()
    last_read = [0]

    def contacts() -> Iterator[dict]:
        for batch in result.batches():
            report.rows_read += len(batch)
            for row in batch:
                seq, action = int(row[seq_at]), row[action_at]
                last_read[0] = seq
                contact = mapping.to_contact(row)
                if isinstance(contact, Rejection):
                    report.reject(contact, action, by_brevo=False, kind=kind)
                    rejections.append(
                        RowRejection(seq, contact.key, action, contact.reason, False)
                    )
                else:
                    pending.append((seq, action))
                    yield contact

    bodies: list[_Body] = []
    for contacts_body in split_import_bodies(contacts(), options.import_body_bytes):
        body = _Body(array("q"), bytearray())
        for _ in contacts_body:
            seq, action = pending.popleft()
            body.seqs.append(seq)
            body.actions.append(_ACTIONS.index(action))
        body.last_seq = body.seqs[-1]
        body.process_id = brevo.import_contacts(
            contacts_body, [report.list_id], empty_attributes=False
        )
        report.import_process_ids.append(body.process_id)
        report.contacts_sent += len(contacts_body)
        bodies.append(body)

    confirmed_upto = _follow_imports(brevo, bodies, report, rejections, options, kind)
    unsettled = len({r.seq for r in rejections if r.by_brevo})
    if confirmed_upto is None:
        confirmed_upto = last_read[0]
    else:
        unsettled = report.plan.to_send if report.plan else report.rows_read
    planner.record_rejections(rejections)
    if confirmed_upto:
        planner.commit_sent(1, confirmed_upto, report.list_id)
    return confirmed_upto, unsettled


def _follow_imports(
    brevo: BrevoClient,
    bodies: list[_Body],
    report: ContactSyncReport,
    rejections: list[RowRejection],
    options: ContactSyncOptions,
    kind: str,
) -> int | None:
    """Wait for every import process, the newest first; collect what Brevo refused.

    Brevo runs an account's imports in order, so once the newest is done the
    older ones need one status call each; that matters because process polling
    shares the small hourly budget of Brevo's non-contact endpoints. Returns the
    last sequence number before the first import whose outcome is unknown, or
    None when every outcome is known.
    """
    deadline = time.monotonic() + options.import_deadline_s
    outcomes = {}
    for body in reversed(bodies):
        remaining = max(deadline - time.monotonic(), 1.0)
        outcomes[body.process_id] = brevo.wait_for_import(
            body.process_id, deadline_s=remaining
        )
    previous_last = 0
    for position, body in enumerate(bodies):
        outcome = outcomes[body.process_id]
        indexes = [r.row - 1 if r.row is not None else -1 for r in outcome.rejected]
        if outcome.rejections_unknown or not all(
            0 <= index < len(body.seqs) for index in indexes
        ):
            # Without row numbers there is no telling which rows were refused,
            # so nothing from this import on counts as acknowledged.
            unconfirmed = bodies[position:]
            report.unconfirmed_imports += [b.process_id for b in unconfirmed]
            report.unconfirmed_rows += sum(len(b.seqs) for b in unconfirmed)
            return previous_last
        for refused, index in zip(outcome.rejected, indexes, strict=True):
            action = _ACTIONS[body.actions[index]]
            report.reject(
                Rejection(refused.identifier, refused.reason),
                action,
                by_brevo=True,
                kind=kind,
            )
            rejections.append(
                RowRejection(
                    body.seqs[index], refused.identifier, action, refused.reason, True
                )
            )
        previous_last = body.last_seq
    return None


def _remove_leavers(
    planner: Planner, brevo: BrevoClient, report: ContactSyncReport, kind: str
) -> None:
    """Remove members who left the audience, committing after every batch read."""
    for keys in planner.removals(report.list_id):
        if not keys:
            continue
        named, gone = _list_identifiers(brevo, kind, keys)
        report.already_out_of_list += gone
        if named:
            outcome = brevo.remove_contacts_from_list(report.list_id, **named)
            report.removed += len(outcome.success)
            # Brevo's failures here are contacts already out of the list (or
            # gone), which is what removing them was for.
            report.already_out_of_list += len(outcome.failure)
        planner.commit_removed(keys[-1], report.list_id)


def _list_identifiers(
    brevo: BrevoClient, kind: str, keys: list[str]
) -> tuple[dict[str, list], int]:
    """How to name `keys` to Brevo's list endpoints, and how many are gone.

    Lists take emails, ext_ids or contact ids; an SMS key is looked up (one
    request per contact) and a contact Brevo no longer has is already out.
    """
    if kind != "sms":
        return list_change_arguments(kind, keys), 0
    ids = []
    for key in keys:
        try:
            ids.append(brevo.get_contact(key, identifier_type="phone_id").id)
        except BrevoNotFoundError:
            continue
    return ({"ids": ids} if ids else {}), len(keys) - len(ids)


def _check_shrink(
    spec: SyncSpec,
    options: ContactSyncOptions,
    run: SyncRun,
    report: ContactSyncReport,
) -> None:
    """Stop before anything is sent when the list would lose too many members.

    The guard counts members who would leave, not the net size: an audience
    that swaps half its members for new ones is as suspect as one that halves.
    """
    plan = report.plan
    assert plan is not None
    if run.force or run.incremental or not plan.listed_before or not plan.leaving:
        return
    share = plan.leaving / plan.listed_before
    if plan.audience_keys and share <= options.max_list_shrink:
        return
    if not plan.audience_keys:
        what = "returned no rows"
    elif plan.audience_keys < plan.listed_before:
        what = f"shrank to {plan.audience_keys} keys"
    else:
        what = f"changed ({plan.audience_keys} keys now)"
    raise AudienceShrinkError(
        f"sync {spec.name}: the audience {what}, so {plan.leaving} of the "
        f"{plan.listed_before} contacts this project put in Brevo list "
        f"{report.list_id} ({share:.1%}) would be removed, more than the "
        f"{options.max_list_shrink:.1%} allowed by checks.max_list_shrink. Nothing "
        "was sent or removed. If the audience really changed this much, rerun with "
        "the run tag tajo/force=true (or raise checks.max_list_shrink); otherwise "
        "fix the query or its source tables.",
        report,
    )


def _plan_line(spec: SyncSpec, plan: PlanSummary, run: SyncRun) -> str:
    return (
        f"sync {spec.name}: plan{' (full resync)' if run.full_resync else ''}: "
        f"{plan.creates} to create, {plan.updates} to update, {plan.relists} to add "
        f"back to the list, {plan.unchanged} unchanged, {plan.leaving} leaving, "
        f"{plan.duplicates} with a repeated key, {plan.invalid} without a key"
    )


def _destination_list(brevo: BrevoClient, spec: SyncSpec) -> ContactList:
    if spec.list_id is not None:
        return brevo.get_list(spec.list_id)
    return brevo.find_or_create_list(spec.list_name, spec.folder_name)


def _ensure_attributes(brevo: BrevoClient, mapping: ResolvedMapping) -> list[str]:
    """Create the mapped attributes Brevo does not have yet; return their names."""
    existing = {
        attribute.name.upper(): attribute for attribute in brevo.get_attributes()
    }
    created = []
    for name, kind in mapping.attribute_types().items():
        have = existing.get(name)
        if have is None:
            brevo.create_attribute(name, kind)
            created.append(name)
        elif have.type and have.type != kind:
            log.warning(
                "Brevo attribute %s is of type %s but its column holds %s values; "
                "Brevo ignores values that do not match, so change the attribute "
                "type in Brevo or cast the column",
                name,
                have.type,
                kind,
            )
    return created
