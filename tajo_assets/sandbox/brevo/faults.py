"""Faults a test switches on in the Brevo sandbox: Brevo's errors, failed imports.

The request-level switches (error answers, dropped connections, late answers,
holds and watches) are shared by both sandboxes and described in
`tajo_assets.sandbox.faults`; this module gives them the bodies and headers
Brevo sends, and adds the one fault that is not an HTTP answer: an import
process that ends `failed`. Paths are full request paths, `/v3` included.
"""

from dataclasses import dataclass

from tajo_assets.sandbox import faults

# Brevo answers errors as `{code, message}` (spec, errorModel). Its 5xx bodies
# are not documented; these follow the same shape.
_DEFAULT_BODIES = {
    400: {"code": "bad_request", "message": "Bad request (injected by the sandbox)"},
    429: {
        "code": "too_many_requests",
        "message": "Rate limit reached (injected by the sandbox); wait the "
        "x-sib-ratelimit-reset seconds before sending more",
    },
    500: {"code": "internal_error", "message": "Internal error (injected)"},
    502: {"code": "bad_gateway", "message": "Bad gateway (injected)"},
    503: {"code": "service_unavailable", "message": "Service unavailable (injected)"},
    504: {"code": "gateway_timeout", "message": "Gateway timeout (injected)"},
}
# A 429 reports the window that is spent; the contacts bucket's is one second.
_DEFAULT_HEADERS = {
    429: {
        "x-sib-ratelimit-limit": "10",
        "x-sib-ratelimit-remaining": "0",
        "x-sib-ratelimit-reset": "1",
    },
}
DEFAULT_IMPORT_ERROR = "The import failed (injected by the sandbox)"


@dataclass
class ImportFailure(faults.Countdown):
    """The next `times` import processes, once `skip` went through, end `failed`."""

    error: str


@dataclass
class RowRefusal(faults.Countdown):
    """The next `times` imports reject these emails as invalid."""

    emails: frozenset[str]


class BrevoFaults(faults.Faults):
    """The fault switches of a Brevo sandbox; thread-safe.

    Besides the shared switches, `fail_imports` makes import processes end
    `failed`: the import request is accepted (202 with a process id) and its
    process later reports `failed` with an `error`, nothing of it applied.
    """

    def __init__(self) -> None:
        super().__init__(_DEFAULT_BODIES, _DEFAULT_HEADERS)
        self._import_failures: list[ImportFailure] = []
        self._refusals: list[RowRefusal] = []

    def fail_imports(
        self, *, times: int = 1, skip: int = 0, error: str = DEFAULT_IMPORT_ERROR
    ) -> ImportFailure:
        """Make the next `times` accepted imports fail, after letting `skip` run."""
        failure = ImportFailure(error=error, times=times, skip=skip)
        with self._lock:
            self._import_failures.append(failure)
        return failure

    def refuse_rows(
        self, emails: set[str], *, times: int = 1, skip: int = 0
    ) -> RowRefusal:
        """Make the next `times` imports reject the rows of `emails` (lower case)
        in their invalid_emails report, the rest applied as usual."""
        refusal = RowRefusal(emails=frozenset(emails), times=times, skip=skip)
        with self._lock:
            self._refusals.append(refusal)
        return refusal

    def take_refused_emails(self) -> frozenset[str]:
        """The emails the import accepted now must reject."""
        with self._lock:
            claimed = [r.emails for r in self._refusals if r.claim()]
        return frozenset().union(*claimed)

    def take_import_failure(self) -> str | None:
        """The error the import accepted now must end with, or None to apply it."""
        with self._lock:
            for failure in self._import_failures:
                if failure.claim():
                    return failure.error
        return None

    def clear(self) -> None:
        """Remove every switch, import failures included."""
        super().clear()
        with self._lock:
            self._import_failures = []
            self._refusals = []
