"""Push an audience into Brevo contacts and keep its list membership exact.

The orchestrator reads as its steps: find the destination lists, plan in the
warehouse what changed, stop if a mirrored list would shrink beyond the guard
(or stop there for a dry run), take members out of the lists they must leave,
make sure the attributes exist, stream the changed rows to Brevo (import bodies
for upsert, insert and mirror; batch updates for update), commit to the state
what Brevo acknowledged. Rows move partition by partition; no step holds the
audience.
"""

import dataclasses
import itertools
import logging
import time
from array import array
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from tajo_assets.brevo import (
    DEFAULT_MAX_BODY_BYTES,
    Attribute,
    AttributeOption,
    BrevoClient,
    BrevoNotFoundError,
    contacts_budget,
    largest_contact_bytes,
    split_import_bodies,
)
from tajo_assets.config import SyncSpec
from tajo_assets.config.attributes import NullPolicy
from tajo_assets.config.syncs import SyncMode
from tajo_assets.snowflake import Column, SqlApiClient
from tajo_assets.sync.encode import CLEARED
from tajo_assets.sync.keys import list_change_arguments, mask_key, update_item
from tajo_assets.sync.lists import Destination, resolve_destination
from tajo_assets.sync.mapping import (
    CATEGORY,
    MappedAttribute,
    MappingError,
    Rejection,
    ResolvedMapping,
    holds_text,
    resolve_mapping,
    type_mismatch,
)
from tajo_assets.sync.plan import Planner, PlanSummary, Removals, RowRejection
from tajo_assets.sync.state import SyncTables, WarehouseState

log = logging.getLogger("tajo_assets.sync")

REJECTION_SAMPLE_SIZE = 20
DEFAULT_IMPORT_DEADLINE_S = 3600.0
DEFAULT_MAX_LIST_SHRINK = 0.2
KEY_COLUMN = "TAJO_KEY"
RESERVED_PREFIX = "TAJO_"
_ACTIONS = ("create", "update", "relist")
DRY_RUN_SAMPLE_SIZE = 10
# Rows per round of batch updates (see BrevoClient.update_contacts).
UPDATE_BATCH = 100
_KEY_ATTRIBUTE = {"ext_id": "EXT_ID", "sms": "SMS"}


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
    # Every list of the run by id (several for a segment sync), and the lists a
    # dry run found missing.
    list_names: dict[int, str] = field(default_factory=dict)
    lists_missing: list[str] = field(default_factory=list)
    plan: PlanSummary | None = None
    dry_run: bool = False
    # A dry run's sample of rows to send: masked key, action, list, attributes.
    plan_sample: list[dict[str, Any]] = field(default_factory=list)
    # Rows a dry run found it would refuse before sending, by planned action.
    dry_run_refused: Counter = field(default_factory=Counter)
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
    # Masked: a sample shows Dagster users what went wrong, never raw keys.
    rejection_sample: list[RowRejection] = field(default_factory=list)
    contacts_updated: int = 0
    list_adds: int = 0
    last_seq_read: int = 0
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

    def reject(self, rejection: RowRejection, kind: str) -> None:
        """Count a row that was not acknowledged; `kind` masks its key."""
        if rejection.by_brevo:
            self.rejected_by_brevo += 1
        else:
            self.rejected_before_sending += 1
        self.rejected_by_action[rejection.action] += 1
        self.rejection_reasons[rejection.reason] += 1
        if len(self.rejection_sample) < REJECTION_SAMPLE_SIZE:
            masked = dataclasses.replace(rejection, key=mask_key(kind, rejection.key))
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
    dry_run: bool = False


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
    the snapshot's columns, and AudienceShrinkError when a mirrored list would
    shrink beyond the guard. Returns normally when every row's outcome is
    known; rows Brevo refused are counted as rejected and stay unsynced, so the
    next run tries them again; an import whose rejections Brevo did not report
    is listed in `unconfirmed_imports` and nothing from it on is committed. A
    dry run plans into a table of its own and writes nothing to Brevo or to
    the sync state.
    """
    started = time.monotonic()
    report = ContactSyncReport(dry_run=run.dry_run)
    if run.dry_run:
        tables = dataclasses.replace(tables, plan_name="DRY_RUN_PLAN")
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
    mapping = resolve_mapping(
        spec.mapping, columns, source, options.timezone, options=spec.attributes
    )
    destination = resolve_destination(
        spec,
        brevo,
        planner,
        columns,
        incremental=run.incremental,
        create=not run.dry_run,
    )
    _describe_destination(destination, report)
    report.plan = plan = _plan(spec, planner, mapping, destination, run, columns)
    log.info(_plan_line(spec, plan, run))
    _check_shrink(spec, options, run, report)
    if run.dry_run:
        _read_dry_run(spec, planner, options, destination, report)
        return

    if plan.duplicates or plan.invalid:
        planner.record_invalid_rows()
        report.rejected_before_sending += plan.duplicates + plan.invalid
        report.rejection_reasons["duplicate key"] += plan.duplicates
        report.rejection_reasons["empty key"] += plan.invalid
    if plan.removals:
        # Before the sends: a member moving to another segment's list must
        # leave the old one while the state still says which it was.
        _remove_members(planner, brevo, report, spec.mapping.identifier_target)
    last_acknowledged, unsettled = 0, 0
    if plan.to_send:
        try:
            # Inside: a window whose attributes could not be made stays pending.
            made = _ensure_attributes(brevo, mapping)
            report.attributes_created = made.created
            last_acknowledged, unsettled = _send_changes(
                spec, planner, brevo, options, report, made
            )
        except BaseException:
            if run.incremental:
                _keep_window_pending(spec, planner, columns)
            raise
    if run.incremental:
        planner.save_pending(columns, last_acknowledged)
        report.pending_rows = unsettled
    if report.fully_acknowledged and (plan.to_send or run.full_resync):
        planner.state.record_definition(run.definition)


def _plan(
    spec: SyncSpec,
    planner: Planner,
    mapping: ResolvedMapping,
    destination: Destination,
    run: SyncRun,
    columns: list[Column],
) -> PlanSummary:
    """Build the plan: a mirror of a whole audience removes its leavers, and a
    segment sync moves members between its lists, whatever the mode."""
    mirror = spec.mode == SyncMode.MIRROR and not run.incremental
    return planner.build(
        columns,
        (spec.mapping.identifier_target, spec.mapping.identifier_column),
        [a.column.name for a in mapping.attributes],
        filled=[
            (a.column.name, a.attribute)
            for a in mapping.attributes
            if a.options.null_policy == NullPolicy.SET_IF_EMPTY
        ],
        definition=run.definition,
        lists=destination.targets,
        removals=Removals(leavers=mirror, movers=destination.targets.by_segment),
        full_resync=run.full_resync,
        incremental=run.incremental,
        dry_run=run.dry_run,
    )


def _describe_destination(destination: Destination, report: ContactSyncReport) -> None:
    report.list_names = dict(destination.names)
    report.lists_missing = destination.missing
    targets = destination.targets
    report.list_id = targets.list_id if targets.list_id is not None else 0


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


@dataclass
class _Changes:
    """The changed rows of a plan as they stream out of the warehouse."""

    mapping: ResolvedMapping
    seq_at: int
    action_at: int
    list_at: int
    in_list_at: int
    result: Any


@dataclass
class _BrevoAttributes:
    """What the mapped attributes are in Brevo, once made sure of.

    `created`: made by this run. `categories`: for each category attribute,
    what Brevo takes for each label. `as_text`: text attributes Brevo already
    has under a number, date or boolean column, sent in their text form.
    """

    created: list[str] = field(default_factory=list)
    categories: dict[str, dict[str, Any]] = field(default_factory=dict)
    as_text: frozenset[str] = frozenset()


def _changes(
    spec: SyncSpec,
    planner: Planner,
    options: ContactSyncOptions,
    made: _BrevoAttributes | None = None,
) -> _Changes:
    """The rows to send, encoded for the attributes Brevo has (`made`, see
    `_ensure_attributes`; a dry run has none)."""
    made = made or _BrevoAttributes()
    result = planner.changes()
    mapping = resolve_mapping(
        spec.mapping,
        result.columns,
        f"query {spec.query_name}",
        options.timezone,
        key_column=KEY_COLUMN,
        options=spec.attributes,
        categories=made.categories,
        max_contact_bytes=largest_contact_bytes(
            contacts_budget(options.import_body_bytes)
        ),
        text_attributes=made.as_text,
    )
    positions = {column.name.upper(): i for i, column in enumerate(result.columns)}
    return _Changes(
        mapping,
        positions["TAJO_SEQ"],
        positions["TAJO_ACTION"],
        positions["TAJO_LIST_ID"],
        positions["TAJO_IN_LIST"],
        result,
    )


def _send_changes(
    spec: SyncSpec,
    planner: Planner,
    brevo: BrevoClient,
    options: ContactSyncOptions,
    report: ContactSyncReport,
    made: _BrevoAttributes,
) -> tuple[int, int]:
    """Send the changed rows the sync's way and commit what Brevo acknowledged.

    Returns the last plan sequence number committed (everything up to it is
    settled) and how many rows sent or read are not acknowledged.
    """
    changes = _changes(spec, planner, options, made)
    rejections: list[RowRejection] = []
    if spec.mode == SyncMode.UPDATE:
        confirmed_upto = _update_contacts(spec, changes, brevo, report, rejections)
    else:
        confirmed_upto = _import_contacts(
            spec, changes, brevo, options, report, rejections
        )
    unsettled = len({r.seq for r in rejections if r.by_brevo})
    if confirmed_upto is None:
        confirmed_upto = report.last_seq_read
    else:
        unsettled = report.plan.to_send if report.plan else report.rows_read
    planner.record_rejections(rejections)
    if confirmed_upto:
        planner.commit_sent(1, confirmed_upto)
    return confirmed_upto, unsettled


def _rows(
    changes: _Changes,
    report: ContactSyncReport,
    rejections: list[RowRejection],
    kind: str,
) -> Iterator[tuple[int, str, int, bool, dict]]:
    """The rows to send as (seq, action, list id, in list, contact); rows that
    cannot be sent are counted and kept in `rejections` instead."""
    for batch in changes.result.batches():
        report.rows_read += len(batch)
        for row in batch:
            seq, action = int(row[changes.seq_at]), row[changes.action_at]
            report.last_seq_read = seq
            contact = changes.mapping.to_contact(row)
            if isinstance(contact, Rejection):
                rejection = RowRejection(
                    seq, contact.key, action, contact.code, contact.reason, False
                )
                report.reject(rejection, kind)
                rejections.append(rejection)
                continue
            list_id = int(row[changes.list_at])
            yield seq, action, list_id, bool(row[changes.in_list_at]), contact


def _import_contacts(
    spec: SyncSpec,
    changes: _Changes,
    brevo: BrevoClient,
    options: ContactSyncOptions,
    report: ContactSyncReport,
    rejections: list[RowRejection],
) -> int | None:
    """Import the changed rows, list by list, and follow the import processes.

    An insert-only sync imports with updateExistingContacts off: contacts
    Brevo already has keep their values and only join the list. A body that
    carries an empty value ("" from the warehouse, or a cleared NULL) goes
    with emptyContactsAttributes on, since Brevo's import otherwise keeps
    the stored value; attributes a row leaves out are not in the import.
    """
    kind = spec.mapping.identifier_target
    rows = _rows(changes, report, rejections, kind)
    bodies: list[_Body] = []
    for list_id, group in itertools.groupby(rows, key=lambda row: row[2]):
        pending: deque[tuple[int, str]] = deque()

        def contacts(group=group, pending=pending) -> Iterator[dict]:
            # Each group is read once, by split_import_bodies, before the next.
            for seq, action, _, _, contact in group:  # noqa: B031
                pending.append((seq, action))
                yield contact

        budget = contacts_budget(options.import_body_bytes)
        for body_contacts in split_import_bodies(contacts(), budget):
            body = _Body(array("q"), bytearray())
            for _ in body_contacts:
                seq, action = pending.popleft()
                body.seqs.append(seq)
                body.actions.append(_ACTIONS.index(action))
            body.last_seq = body.seqs[-1]
            update_existing = spec.mode != SyncMode.INSERT
            body.process_id = brevo.import_contacts(
                body_contacts,
                [list_id],
                update_existing=update_existing,
                empty_attributes=update_existing and _erases(body_contacts),
            )
            report.import_process_ids.append(body.process_id)
            report.contacts_sent += len(body_contacts)
            bodies.append(body)
    return _follow_imports(brevo, bodies, report, rejections, options, kind)


def _update_contacts(
    spec: SyncSpec,
    changes: _Changes,
    brevo: BrevoClient,
    report: ContactSyncReport,
    rejections: list[RowRejection],
) -> None:
    """Update contacts Brevo already has, then add them to their lists.

    Brevo answers batch updates at once, so every outcome is known when this
    returns; a contact Brevo does not have is rejected (an update-only sync
    creates nobody) and tried again by the next run. List membership changes
    only through the list endpoints.
    """
    kind = spec.mapping.identifier_target
    to_list: dict[int, list[str]] = {}
    rows = _rows(changes, report, rejections, kind)
    while batch := tuple(itertools.islice(rows, UPDATE_BATCH)):
        refused = _update_batch(brevo, kind, batch)
        report.contacts_sent += len(batch)
        for index, (seq, action, list_id, in_list, contact) in enumerate(batch):
            refusal = refused.get(index)
            if refusal is not None:
                key = _contact_key(kind, contact)
                rejection = RowRejection(
                    seq,
                    key,
                    action,
                    refusal.code,
                    refusal.message or refusal.code,
                    True,
                )
                report.reject(rejection, kind)
                rejections.append(rejection)
                continue
            report.contacts_updated += 1
            if not in_list:
                to_list.setdefault(list_id, []).append(_contact_key(kind, contact))
    for list_id, keys in to_list.items():
        named, _ = _list_identifiers(brevo, kind, keys)
        if named:
            outcome = brevo.add_contacts_to_list(list_id, **named)
            report.list_adds += len(outcome.success)
    return None


def _erases(contacts: list) -> bool:
    """Whether an import body carries a value that must erase Brevo's."""
    return any(
        value == CLEARED
        for contact in contacts
        for value in contact["attributes"].values()
    )


def _update_batch(brevo: BrevoClient, kind: str, batch: tuple) -> dict[int, Any]:
    """Send one batch of updates; Brevo's refusals by position in the batch."""
    if kind == "ext_id":
        # Batch updates name contacts by email, SMS or id only: an ext_id
        # takes one call per contact.
        refusals = {}
        for index, row in enumerate(batch):
            contact = row[4]
            refusal = brevo.update_contact(
                _contact_key(kind, contact), "ext_id", _attributes(kind, contact)
            )
            if refusal is not None:
                refusals[index] = refusal
        return refusals
    items = [update_item(kind, row[4]) for row in batch]
    return {refusal.index: refusal for refusal in brevo.update_contacts(items)}


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
    older ones need one status call each, made at once; that matters because
    process polling shares the small hourly budget of Brevo's non-contact
    endpoints, and a pause before each would add up over many bodies. Returns the
    last sequence number before the first import whose outcome is unknown, or
    None when every outcome is known.
    """
    deadline = time.monotonic() + options.import_deadline_s
    outcomes = {}
    for newest_first, body in enumerate(reversed(bodies)):
        remaining = max(deadline - time.monotonic(), 1.0)
        outcomes[body.process_id] = brevo.wait_for_import(
            body.process_id, deadline_s=remaining, poll_at_once=newest_first > 0
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
            rejection = RowRejection(
                seq=body.seqs[index],
                key=refused.identifier,
                action=_ACTIONS[body.actions[index]],
                code=refused.code,
                reason=refused.reason,
                by_brevo=True,
            )
            report.reject(rejection, kind)
            rejections.append(rejection)
        previous_last = body.last_seq
    return None


def _remove_members(
    planner: Planner, brevo: BrevoClient, report: ContactSyncReport, kind: str
) -> None:
    """Take members out of the lists they must leave, committing batch by batch."""
    for list_id, keys in planner.removals():
        if not keys:
            continue
        named, gone = _list_identifiers(brevo, kind, keys)
        report.already_out_of_list += gone
        if named:
            try:
                outcome = brevo.remove_contacts_from_list(list_id, **named)
            except BrevoNotFoundError:
                # Someone deleted the list in Brevo: nobody is in it any more.
                log.warning(
                    "Brevo list %d no longer exists; its %d members to remove "
                    "count as out of it",
                    list_id,
                    len(keys),
                )
                report.already_out_of_list += len(keys) - gone
            else:
                report.removed += len(outcome.success)
                # Brevo's failures here are contacts already out of the list
                # (or gone), which is what removing them was for.
                report.already_out_of_list += len(outcome.failure)
        planner.commit_removed(keys[-1], list_id)


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
    # Only a mirror removes leavers (plan.leaving is 0 otherwise).
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
        f"{plan.listed_before} contacts this project put in Brevo "
        f"{spec.list_label} ({share:.1%}) would be removed, more than the "
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
        f"{plan.moving} moving to another segment's list, {plan.duplicates} with "
        f"a repeated key, {plan.invalid} without a key"
    )


def _read_dry_run(
    spec: SyncSpec,
    planner: Planner,
    options: ContactSyncOptions,
    destination: Destination,
    report: ContactSyncReport,
) -> None:
    """Read the rows a dry run would send, as the real run would, into
    `report`: the rows it would refuse before sending, by planned action, and
    a few rows as a person checks them in the UI (key masked, action, list,
    attributes with text masked)."""
    changes = _changes(spec, planner, options)
    kind = spec.mapping.identifier_target
    for batch in changes.result.batches():
        for row in batch:
            contact = changes.mapping.to_contact(row)
            action = row[changes.action_at]
            if isinstance(contact, Rejection):
                report.dry_run_refused[action] += 1
            if len(report.plan_sample) >= DRY_RUN_SAMPLE_SIZE:
                continue
            entry = {
                "key": mask_key(kind, row[changes.mapping.key_index]),
                "action": action,
                "list": destination.names.get(int(row[changes.list_at]), ""),
            }
            if isinstance(contact, Rejection):
                entry["attributes"] = f"rejected: {contact.reason}"
            else:
                entry["attributes"] = _masked_attributes(kind, contact)
            report.plan_sample.append(entry)


def _masked_attributes(kind: str, contact: dict) -> str:
    """Attributes as `NAME=value`; text keeps only its first character."""
    parts = []
    for name, value in _attributes(kind, contact).items():
        if isinstance(value, str) and value:
            value = value[0] + "***"
        parts.append(f"{name}={value}")
    return ", ".join(parts)


def _contact_key(kind: str, contact: dict) -> str:
    """The key of an import entry built by `tajo_assets.sync.keys.import_entry`."""
    if kind == "email":
        return contact["email"]
    return contact["attributes"][_KEY_ATTRIBUTE[kind]]


def _attributes(kind: str, contact: dict) -> dict[str, Any]:
    """The attributes of an import entry, without the key."""
    key_attribute = _KEY_ATTRIBUTE.get(kind)
    return {n: v for n, v in contact["attributes"].items() if n != key_attribute}


def _ensure_attributes(
    brevo: BrevoClient, mapping: ResolvedMapping
) -> _BrevoAttributes:
    """Create the mapped attributes Brevo does not have yet, and learn how to
    send to the ones it has.

    A category attribute is written in Brevo's enumeration (the attribute may
    predate this configuration), or as its labels when Brevo holds it as a
    text attribute; a text attribute takes any column's values as text; any
    other difference of type stops the run before sending.
    """
    existing = {
        attribute.name.upper(): attribute for attribute in brevo.get_attributes()
    }
    as_text = frozenset(
        mapped.attribute
        for mapped in mapping.attributes
        if mapped.brevo_type not in ("text", CATEGORY)
        and holds_text(existing.get(mapped.attribute))
    )
    for name in sorted(as_text):
        log.info("Brevo attribute %s is text: its values are sent as text", name)
    _refuse_mismatched_types(mapping, existing, as_text)
    made = _BrevoAttributes(as_text=as_text)
    for mapped in mapping.attributes:
        name, kind = mapped.attribute, mapped.brevo_type
        have = existing.get(name)
        if have is None:
            _create_attribute(brevo, mapped)
            made.created.append(name)
            continue
        if kind == CATEGORY:
            made.categories[name] = _category_options(have, mapped)
    return made


def _refuse_mismatched_types(
    mapping: ResolvedMapping, existing: dict[str, Attribute], as_text: frozenset[str]
) -> None:
    """Stop before sending when a Brevo attribute's type is not its column's.

    Brevo ignores a value that does not match the attribute's type (spec
    `createContact`), so sending would mark as synced a value that never landed.
    Attributes sent as text (`as_text`) match by construction.
    """
    mismatches = [
        mismatch
        for mapped in mapping.attributes
        if mapped.attribute not in as_text
        and (have := existing.get(mapped.attribute)) is not None
        and (mismatch := type_mismatch(have, mapped.brevo_type)) is not None
    ]
    if mismatches:
        raise MappingError(
            f"Brevo attribute {'; '.join(mismatches)}. Brevo ignores values that "
            "do not match an attribute's type, so no contact was sent: CAST the column "
            "in the query to the attribute's type, map it to another attribute, "
            "or change the attribute in Brevo"
        )


def _create_attribute(brevo: BrevoClient, mapped: MappedAttribute) -> None:
    if mapped.brevo_type != CATEGORY:
        brevo.create_attribute(mapped.attribute, mapped.brevo_type)
        return
    enumeration = [
        AttributeOption(value=value, label=label)
        for value, label in mapped.options.enumeration
    ]
    brevo.create_attribute(
        mapped.attribute, CATEGORY, category=CATEGORY, enumeration=enumeration
    )


def _category_options(have: Attribute, mapped: MappedAttribute) -> dict[str, Any]:
    """What Brevo takes for each label of a category attribute it already has.

    An option whose value is not a number is listed with `value` 0 and its
    own value in `valueStr`; that one is sent instead.
    """
    if have.category != CATEGORY:
        return {label: label for label in mapped.options.values or ()}
    return {
        option.label: option.value
        if option.value_str in (None, str(option.value))
        else option.value_str
        for option in have.enumeration or ()
    }
