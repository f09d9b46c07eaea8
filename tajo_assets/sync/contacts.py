"""Push an audience snapshot into Brevo contacts and a contact list.

The orchestrator reads as its steps: read the snapshot, bind the field
mapping, resolve the destination list, make sure the attributes exist, stream rows
into import bodies, follow the import processes, and report what Brevo
acknowledged. Rows move partition by partition; no step holds the audience.
"""

import logging
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from tajo_assets.brevo import DEFAULT_MAX_BODY_BYTES, BrevoClient, split_import_bodies
from tajo_assets.config import SyncSpec
from tajo_assets.snowflake import SqlApiClient
from tajo_assets.sync.keys import mask_email
from tajo_assets.sync.mapping import Rejection, ResolvedMapping, resolve_mapping
from tajo_assets.sync.state import render_sql

log = logging.getLogger("tajo_assets.sync")

REJECTION_SAMPLE_SIZE = 20
DEFAULT_IMPORT_DEADLINE_S = 3600.0


@dataclass
class ContactSyncReport:
    """What one sync did, in numbers that become Dagster metadata."""

    list_id: int = 0
    rows_read: int = 0
    contacts_sent: int = 0
    rejected_before_sending: int = 0
    rejected_by_brevo: int = 0
    import_process_ids: list[int] = field(default_factory=list)
    attributes_created: list[str] = field(default_factory=list)
    statement_handles: list[str] = field(default_factory=list)
    unconfirmed_imports: list[int] = field(default_factory=list)
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
        return self.contacts_sent - self.rejected_by_brevo

    @property
    def fully_acknowledged(self) -> bool:
        """Whether Brevo confirmed the outcome of every contact sent."""
        return not self.unconfirmed_imports

    def reject(self, rejection: Rejection, *, by_brevo: bool) -> None:
        if by_brevo:
            self.rejected_by_brevo += 1
        else:
            self.rejected_before_sending += 1
        self.rejection_reasons[rejection.reason] += 1
        if len(self.rejection_sample) < REJECTION_SAMPLE_SIZE:
            masked = Rejection(mask_email(rejection.key), rejection.reason)
            self.rejection_sample.append(masked)


@dataclass(frozen=True)
class ContactSyncOptions:
    timezone: ZoneInfo
    import_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    import_deadline_s: float = DEFAULT_IMPORT_DEADLINE_S


def sync_contacts(
    spec: SyncSpec,
    snapshot_table: str,
    snowflake: SqlApiClient,
    brevo: BrevoClient,
    options: ContactSyncOptions,
) -> ContactSyncReport:
    """Upsert every row of `snapshot_table` as a Brevo contact in the sync's list.

    Raises MappingError before anything is sent when the mapping does not fit
    the snapshot's columns. Returns normally only when every import process
    completed; rows Brevo refused are counted as rejected, and an import whose
    rejections Brevo did not report is listed in `unconfirmed_imports`.
    """
    started = time.monotonic()
    report = ContactSyncReport()
    result = snowflake.execute(
        render_sql("read_snapshot", snapshot_table=snapshot_table)
    )
    report.statement_handles.append(result.handle)
    mapping = resolve_mapping(
        spec.mapping, result.columns, f"query {spec.query_name}", options.timezone
    )
    if result.num_rows == 0:
        log.info("sync %s: no rows changed; nothing to send to Brevo", spec.name)
        report.duration_s = time.monotonic() - started
        return report

    report.list_id = _destination_list_id(brevo, spec)
    report.attributes_created = _ensure_attributes(brevo, mapping)

    contacts = _contacts(result.batches(), mapping, report)
    for body in split_import_bodies(contacts, options.import_body_bytes):
        process_id = brevo.import_contacts(
            body, [report.list_id], empty_attributes=False
        )
        report.import_process_ids.append(process_id)
        report.contacts_sent += len(body)

    _follow_imports(brevo, report, options.import_deadline_s)
    report.brevo_requests = brevo.requests_sent
    report.brevo_bytes_sent = brevo.bytes_sent
    report.duration_s = time.monotonic() - started
    return report


def _destination_list_id(brevo: BrevoClient, spec: SyncSpec) -> int:
    if spec.list_id is not None:
        return brevo.get_list(spec.list_id).id
    return brevo.find_or_create_list(spec.list_name, spec.folder_name).id


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


def _contacts(
    batches: Iterator[list[tuple]], mapping: ResolvedMapping, report: ContactSyncReport
) -> Iterator[dict]:
    for batch in batches:
        report.rows_read += len(batch)
        for row in batch:
            contact = mapping.to_contact(row)
            if isinstance(contact, Rejection):
                report.reject(contact, by_brevo=False)
            else:
                yield contact


def _follow_imports(
    brevo: BrevoClient, report: ContactSyncReport, deadline_s: float
) -> None:
    """Wait for every import process, the newest first.

    Brevo runs an account's imports in order, so once the newest is done the
    older ones need one status call each; that matters because process polling
    shares the small hourly budget of Brevo's non-contact endpoints.
    """
    deadline = time.monotonic() + deadline_s
    for process_id in reversed(report.import_process_ids):
        remaining = max(deadline - time.monotonic(), 1.0)
        outcome = brevo.wait_for_import(process_id, deadline_s=remaining)
        if outcome.rejections_unknown:
            report.unconfirmed_imports.append(process_id)
        for rejected in outcome.rejected:
            report.reject(
                Rejection(rejected.identifier, rejected.reason), by_brevo=True
            )
