"""The errors Brevo calls can raise, sorted by what the caller should do.

Every failure of the Brevo client surfaces as one of these; httpx and JSON errors
are translated once, in the client, with `raise ... from`. No error ever carries
the API key: the client builds messages from the key's *source* (the setting or
environment variable it came from) and masks the key in text Brevo sends back.

- `BrevoConfigurationError` (and its `BrevoAuthError`): fix configuration.
- `BrevoNotFoundError`: the list, contact or process named does not exist.
- `BrevoRequestError`: our request or one of its values is wrong; Brevo's code,
  message and metadata are kept for the report.
- `BrevoRateLimitError`: the rate-limit wait exceeded its budget; rerun later.
- `BrevoUnavailableError`: 5xx or transport failures after the retries; rerun later.
- `BrevoProcessError` (and its `BrevoProcessTimeoutError`): an import process
  failed, was cancelled, or did not finish in time; nothing of it is acknowledged.
"""

from typing import Any


class BrevoError(Exception):
    """Root of the tree; `str()` explains what happened and what to do.

    `status`, `code` and `message` are Brevo's HTTP status, error code and
    message when Brevo answered (None otherwise); `metadata` is the `metadata`
    object of contact errors (for example `duplicate_identifiers`).
    """

    def __init__(
        self,
        explanation: str,
        *,
        status: int | None = None,
        code: str | None = None,
        message: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(explanation)
        self.status = status
        self.code = code
        self.message = message
        self.metadata = metadata or {}


class BrevoConfigurationError(BrevoError, ValueError):
    """A setting is wrong (base URL, key format, ambiguous names): fix configuration."""


class BrevoAuthError(BrevoConfigurationError):
    """Brevo refused the API key (401) or its permissions (403): fix the key."""


class BrevoNotFoundError(BrevoError):
    """Brevo has no such list, contact or process (404)."""


class BrevoRequestError(BrevoError):
    """Our request or one of its values is wrong (400, 422 and other 4xx)."""


class BrevoRateLimitError(BrevoError):
    """Waiting for Brevo's rate-limit window would exceed the allowed wait."""


class BrevoUnavailableError(BrevoError):
    """Brevo failed with 5xx or could not be reached, after every retry."""


class BrevoProcessError(BrevoError):
    """A Brevo background process (an import) ended without completing."""

    def __init__(self, explanation: str, *, process_id: int, process_status: str):
        super().__init__(explanation)
        self.process_id = process_id
        self.process_status = process_status


class BrevoProcessTimeoutError(BrevoProcessError):
    """A process was still running when the caller's deadline passed."""
