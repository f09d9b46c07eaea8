"""Background processes (`GET /processes/{processId}`): imports and list clearing.

A process is `queued` for the first half of its delay, `in_process` for the
second half, and `completed` once its worker has applied it (or `failed`, with
an `error` and nothing applied, when a test's fault says so). The delay is
measured on the sandbox clock, so tests that advance a manual clock see each
status deterministically. Completed imports carry `info.import`: for each kind
of rejected row, the URL of a CSV report, or null when there was none (the
current API, reference section 1; the saved spec predates these fields).
"""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from tajo_assets.sandbox.brevo.contacts import timestamp
from tajo_assets.sandbox.brevo.errors import BrevoError

IMPORT_REPORT_KINDS = (
    "invalid_emails",
    "duplicate_contact_id",
    "duplicate_ext_id",
    "duplicate_email_id",
    "duplicate_phone_id",
    "duplicate_whatsapp_id",
    "duplicate_landline_number_id",
)
FILES_PATH = "/_sandbox/files"


@dataclass
class Process:
    """One background process; times `queued_until`/`due` are on the sandbox clock."""

    id: int
    name: str
    created_at: dt.datetime
    queued_until: float
    due: float
    completed_at: dt.datetime | None = None
    reports: dict[str, str] = field(default_factory=dict)
    summary: dict[str, int] = field(default_factory=dict)
    # Set by a test's fault: the process ends `failed` with this error instead.
    failure: str | None = None
    failed_at: dt.datetime | None = None

    def status(self, now: float) -> str:
        if self.completed_at is not None:
            return "completed"
        if self.failed_at is not None:
            return "failed"
        return "in_process" if now >= self.queued_until else "queued"

    def render(self, now: float, base_url: str) -> dict[str, Any]:
        """The process as `getProcess` describes it, report URLs under `base_url`."""
        rendered: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "status": self.status(now),
            "created_at": timestamp(self.created_at),
        }
        if self.completed_at is not None:
            rendered["completed_at"] = timestamp(self.completed_at)
            if self.name == "IMPORTUSER":
                rendered["info"] = {"import": self._report_urls(base_url)}
        if self.failed_at is not None:
            rendered["error"] = self.failure
        return rendered

    def snapshot(self, now: float) -> dict[str, Any]:
        """The process as tests and the demo summary inspect it."""
        return {
            "id": self.id,
            "name": self.name,
            "status": self.status(now),
            "summary": dict(self.summary),
            "reports": dict(self.reports),
        }

    def _report_urls(self, base_url: str) -> dict[str, str | None]:
        return {
            kind: (
                f"{base_url}{FILES_PATH}/{self.reports[kind]}"
                if kind in self.reports
                else None
            )
            for kind in IMPORT_REPORT_KINDS
        }


def require_process(processes: dict[int, Process], process_id: int) -> Process:
    process = processes.get(process_id)
    if process is None:
        # Brevo's own example answer for an unknown id (spec, getProcess 404).
        raise BrevoError(404, "invalid_parameter", "processId is invalid")
    return process
