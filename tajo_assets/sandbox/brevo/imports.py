"""Contact imports (`POST /contacts/import`) and the process that applies them.

The request is checked at once (one source, lists, flags, size) and answered
202 `{"processId": n}`; a worker thread applies the rows after the sandbox's
`import_seconds`, all at once under the account lock. Row by row:

- the email (`email`, or an EMAIL column) is trimmed and lower-cased; a row
  whose email is not a valid address, or that has no email, EXT_ID or valid SMS
  number (`+` or `00` and 6 to 15 digits) at all, is not imported and is listed
  in the `invalid_emails` report, with the email, SMS or EXT_ID it sent;
- EXT_ID and SMS travel as attributes (`attributes.EXT_ID`, `attributes.SMS`,
  or columns of a fileBody) and identify the contact as email does;
- a row repeating an email, EXT_ID or SMS of an earlier row of the same import,
  or whose identifiers belong to two different contacts, is not imported and is
  listed in `duplicate_email_id`, `duplicate_ext_id` or `duplicate_phone_id`;
- attributes the account does not have are ignored (spec, importContacts), and
  so are values that do not match the attribute's type (see `values`);
- blank values erase existing ones only with `emptyContactsAttributes` (and
  `updateExistingContacts`); otherwise they leave them alone;
- with `updateExistingContacts` false, existing contacts keep their values but
  are still added to the import's lists.

Reports are CSV files (`row,<identifier>`, rows numbered from 1 in the order
sent, a fileBody's header not counted) served under `/_sandbox/files/`.
"""

import csv
import datetime as dt
import io
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tajo_assets.sandbox.brevo import lists, values
from tajo_assets.sandbox.brevo.attributes import read_attributes
from tajo_assets.sandbox.brevo.contacts import UNCHANGED, ContactChange
from tajo_assets.sandbox.brevo.errors import invalid, missing
from tajo_assets.sandbox.brevo.processes import Process
from tajo_assets.sandbox.brevo.state import Account

MAX_BODY_BYTES = 10_000_000
"""The documented ceiling for jsonBody/fileBody (Brevo recommends <= 8 MB)."""

_REPORT_COLUMNS = {
    "invalid_emails": "email",
    "duplicate_email_id": "email",
    "duplicate_ext_id": "ext_id",
    "duplicate_phone_id": "sms",
}


@dataclass(frozen=True)
class ImportRow:
    number: int
    email: Any
    attributes: dict[str, Any]


@dataclass
class ImportJob:
    """What a worker needs to apply one import."""

    process: Process
    rows: list[ImportRow]
    list_ids: frozenset[int]
    update_existing: bool
    erase_empty: bool
    blacklist_email: bool
    blacklist_sms: bool
    # Emails a test's fault makes this import reject, as Brevo rejects an
    # address it will not take (reported with the invalid emails).
    refused: frozenset[str] = frozenset()


def read_import(raw: bytes) -> dict[str, Any]:
    """Parse an import body, refusing it when over the documented size."""
    if len(raw) > MAX_BODY_BYTES:
        raise invalid(
            f"Import body is {len(raw):,} bytes; jsonBody and fileBody take at most "
            f"{MAX_BODY_BYTES:,} bytes (10 MB, Brevo recommends 8 MB): split the "
            "import into several requests"
        )
    try:
        body = json.loads(raw)
    except ValueError as error:
        raise invalid(f"The request body is not valid JSON: {error}") from None
    if not isinstance(body, dict):
        raise invalid("The request body must be a JSON object")
    return body


def submit_import(
    account: Account, body: dict[str, Any], clock_now: float, delay: float
) -> ImportJob:
    """Check an import request and register its process; the caller starts it."""
    if "notifyUrl" in body:
        raise invalid(
            "notifyUrl is not supported by the local sandbox, which calls nothing; "
            "poll GET /processes/{processId} instead"
        )
    rows = _read_rows(body)
    update_existing = _flag(body, "updateExistingContacts", default=True)
    erase_empty = _flag(body, "emptyContactsAttributes", default=False)
    blacklist_email = _flag(body, "emailBlacklist", default=False)
    blacklist_sms = _flag(body, "smsBlacklist", default=False)
    list_ids = _read_lists(account, body)
    process = Process(
        id=account.next_id("process"),
        name="IMPORTUSER",
        created_at=account.now(),
        queued_until=clock_now + delay / 2,
        due=clock_now + delay,
    )
    account.processes[process.id] = process
    return ImportJob(
        process=process,
        rows=rows,
        list_ids=list_ids,
        update_existing=update_existing,
        erase_empty=update_existing and erase_empty,
        blacklist_email=blacklist_email,
        blacklist_sms=blacklist_sms,
    )


def run_import(
    account: Account, job: ImportJob, clock: Callable[[], float], stop: threading.Event
) -> None:
    """Wait until the process is due, then apply it; gives up if `stop` is set.

    A process with a `failure` ends `failed` at that point, nothing applied.
    """
    while clock() < job.process.due:
        if stop.wait(0.005):
            return
    with account.lock:
        if stop.is_set():
            return
        if job.process.failure is not None:
            job.process.failed_at = account.now()
            return
        run = _ImportRun(account, job)
        for row in job.rows:
            run.apply(row)
        job.process.reports = run.write_reports()
        job.process.summary = run.summary
        job.process.completed_at = account.now()


@dataclass
class _ImportRun:
    """The state of one import while its rows are applied."""

    account: Account
    job: ImportJob
    seen: dict[str, set[str]] = field(
        default_factory=lambda: {"email": set(), "ext_id": set(), "SMS": set()}
    )
    rejected: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    summary: dict[str, int] = field(
        default_factory=lambda: {"created": 0, "updated": 0, "unchanged": 0}
    )
    # The moment the import is applied: its contacts' createdAt / modifiedAt.
    now: dt.datetime = field(default_factory=Account.now)

    def apply(self, row: ImportRow) -> None:
        """Import one row, or list it in the report of why it was rejected."""
        writes = read_attributes(
            self.account.attributes, row.attributes, self.job.erase_empty
        )
        identifiers = _identifiers(row, writes)
        change = self._change(identifiers, writes)
        owners = self.account.book.owners(change)

        problem = self._problem(row, identifiers, owners)
        if problem is not None:
            self.rejected.setdefault(problem[0], []).append((row.number, problem[1]))
            return

        for key, value in identifiers.items():
            if value is not None:
                self.seen[key].add(value)
        self._write(next((o for o in owners.values() if o is not None), None), change)

    def _problem(
        self, row: ImportRow, identifiers: dict[str, Any], owners: dict[str, Any]
    ) -> tuple[str, str] | None:
        """Why a row cannot be imported, as (report kind, value shown), or None."""
        email = identifiers["email"]
        if (
            (email is not None and not values.is_valid_email(email))
            or not any(identifiers.values())
            or email in self.job.refused
        ):
            return "invalid_emails", _shown_identifier(row)
        repeated = [k for k, v in identifiers.items() if v in self.seen[k]]
        if repeated:
            return _DUPLICATE[repeated[0]], identifiers[repeated[0]]
        if len({owner.id for owner in owners.values() if owner is not None}) > 1:
            label = _conflicting(owners)
            return _DUPLICATE[label], identifiers[label]
        return None

    def write_reports(self) -> dict[str, str]:
        """Store one CSV file per kind of rejected row; returns kind -> file name."""
        reports = {}
        for kind, rejected in self.rejected.items():
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\n")
            writer.writerow(["row", _REPORT_COLUMNS[kind]])
            writer.writerows(rejected)
            name = f"import-{self.job.process.id}-{kind}.csv"
            self.account.files[name] = buffer.getvalue().encode()
            reports[kind] = name
            self.summary[kind] = len(rejected)
        return reports

    def _change(
        self, identifiers: dict[str, Any], writes: dict[str, Any]
    ) -> ContactChange:
        return ContactChange(
            email=identifiers["email"] or UNCHANGED,
            ext_id=identifiers["ext_id"] or UNCHANGED,
            attributes=writes,
            email_blacklisted=True if self.job.blacklist_email else None,
            sms_blacklisted=True if self.job.blacklist_sms else None,
            link=self.job.list_ids,
        )

    def _write(self, contact: Any, change: ContactChange) -> None:
        book, now = self.account.book, self.now
        if contact is None:
            book.apply(book.new(now), change, now)
            self.summary["created"] += 1
            return
        if not self.job.update_existing:
            change = ContactChange(link=self.job.list_ids)
        changed = book.apply(contact, change, now)
        self.summary["updated" if changed else "unchanged"] += 1


_DUPLICATE = {
    "email": "duplicate_email_id",
    "ext_id": "duplicate_ext_id",
    "SMS": "duplicate_phone_id",
}


def _identifiers(row: ImportRow, writes: dict[str, Any]) -> dict[str, Any]:
    """The row's email (normalized), EXT_ID and SMS; None where absent."""
    ext_id = values.to_text(row.attributes.get("EXT_ID"))
    return {
        "email": values.normalize_email(row.email) or None,
        "ext_id": ext_id if isinstance(ext_id, str) and ext_id else None,
        "SMS": writes.get("SMS"),
    }


def _shown_identifier(row: ImportRow) -> str:
    """What invalid_emails shows for a row: the email sent, else SMS or EXT_ID.

    A row keyed by a malformed SMS number has nothing else to show.
    """
    sent = (row.email, row.attributes.get("SMS"), row.attributes.get("EXT_ID"))
    return next((str(raw) for raw in sent if not values.is_blank(raw)), "")


def _conflicting(owners: dict[str, Any]) -> str:
    """The identifier whose contact differs from the first contact found."""
    found = [(label, owner) for label, owner in owners.items() if owner is not None]
    first = found[0][1]
    return next(label for label, owner in found if owner.id != first.id)


def _read_rows(body: dict[str, Any]) -> list[ImportRow]:
    sources = [key for key in ("fileUrl", "fileBody", "jsonBody") if key in body]
    if not sources:
        raise missing("Send the contacts as jsonBody or fileBody (or fileUrl)")
    if len(sources) > 1:
        raise invalid(f"Send only one of fileUrl, fileBody, jsonBody; got {sources}")
    if sources == ["fileUrl"]:
        raise invalid(
            "fileUrl is not supported by the local sandbox, which fetches nothing; "
            "send the contacts as jsonBody or fileBody"
        )
    if sources == ["fileBody"]:
        return _file_rows(body["fileBody"])
    return _json_rows(body["jsonBody"])


def _json_rows(raw: Any) -> list[ImportRow]:
    if not isinstance(raw, list) or not raw:
        raise invalid("jsonBody must be a non-empty array of {email, attributes}")
    rows = []
    for number, item in enumerate(raw, start=1):
        if not isinstance(item, dict):
            raise invalid(f"jsonBody item {number} must be an object")
        attributes = item.get("attributes") or {}
        if not isinstance(attributes, dict):
            raise invalid(f"jsonBody item {number}: attributes must be an object")
        email = item.get("email", attributes.get("EMAIL"))
        rows.append(ImportRow(number, email, attributes))
    return rows


def _file_rows(raw: Any) -> list[ImportRow]:
    """Rows of a semicolon-separated fileBody whose first line names the columns."""
    if not isinstance(raw, str) or not raw.strip():
        raise invalid("fileBody must be semicolon-separated CSV text with a header")
    lines = csv.reader(io.StringIO(raw), delimiter=";")
    header = [name.strip().upper() for name in next(lines)]
    if not {"EMAIL", "EXT_ID", "SMS"} & set(header):
        raise invalid(
            "We could not find any valid EMAIL, SMS or EXT_ID column in the file; "
            "name the columns on the first line"
        )
    rows = []
    for number, cells in enumerate((c for c in lines if any(c)), start=1):
        record = dict(zip(header, cells, strict=False))
        rows.append(ImportRow(number, record.get("EMAIL"), record))
    return rows


def _read_lists(account: Account, body: dict[str, Any]) -> frozenset[int]:
    list_ids = body.get("listIds")
    new_list = body.get("newList")
    if list_ids is None and new_list is None:
        raise missing(
            "listIds is mandatory unless newList {listName, folderId} is sent"
        )
    if list_ids is not None and (
        not isinstance(list_ids, list)
        or not all(isinstance(i, int) and not isinstance(i, bool) for i in list_ids)
    ):
        raise invalid("listIds must be an array of list ids (integers)")
    wanted = frozenset(list_ids or [])
    account.check_lists(wanted)
    if new_list is not None:
        wanted |= {_create_new_list(account, new_list)}
    return wanted


def _create_new_list(account: Account, new_list: Any) -> int:
    body = new_list if isinstance(new_list, dict) else {}
    created = lists.create_list(
        account, {"name": body.get("listName"), "folderId": body.get("folderId")}
    )
    return created["id"]


def _flag(body: dict[str, Any], key: str, default: bool) -> bool:
    raw = body.get(key, default)
    if not isinstance(raw, bool):
        raise invalid(f"{key} must be true or false")
    return raw
