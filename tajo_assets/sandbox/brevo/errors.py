"""Errors the Brevo sandbox answers with, in Brevo's `{code, message}` shape."""

from typing import Any


class BrevoError(Exception):
    """One failed request: the HTTP status and the body Brevo would send.

    `code` is one of the values of the spec's `errorModel.code` (or
    `contactErrorModel.code` on contact routes); `metadata` is only set where
    Brevo sends it, as for duplicate identifiers.
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.metadata = metadata

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.metadata is not None:
            body["metadata"] = self.metadata
        return body


def invalid(message: str) -> BrevoError:
    return BrevoError(400, "invalid_parameter", message)


def missing(message: str) -> BrevoError:
    return BrevoError(400, "missing_parameter", message)


def out_of_range(message: str) -> BrevoError:
    return BrevoError(400, "out_of_range", message)


def not_found(message: str) -> BrevoError:
    return BrevoError(404, "document_not_found", message)


def duplicate(message: str, identifiers: list[str], code: str) -> BrevoError:
    """A 400 naming the identifiers another contact already holds."""
    return BrevoError(400, code, message, {"duplicate_identifiers": identifiers})
