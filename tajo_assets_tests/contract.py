"""Check recorded HTTP exchanges against the vendors' published API descriptions.

The descriptions stay in ../shared/specs (never copied into the project). Each
exchange the sandbox recorded is validated twice: the request our client sent,
and the response the sandbox gave.
"""

import functools
import gzip
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
import yaml
from openapi_core import Config, OpenAPI
from openapi_core.testing import MockRequest, MockResponse

from tajo_assets.sandbox.traffic import Exchange

REPO = Path(__file__).resolve().parents[1]
SPECS_DIR = Path(os.environ.get("TAJO_SPECS_DIR", REPO.parent / "shared" / "specs"))

BREVO_SPEC = SPECS_DIR / "brevo" / "swagger_definition_v3.yml"
SNOWFLAKE_SPEC = SPECS_DIR / "snowflake" / "sqlapi.yaml"


@functools.cache
def _load(spec_path: Path) -> OpenAPI:
    if not spec_path.exists():
        pytest.skip(
            f"API description {spec_path} is missing; contract tests read the "
            "vendors' specs from ../shared/specs (set TAJO_SPECS_DIR to move it)"
        )
    with spec_path.open("rb") as handle:
        safe_loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        document = yaml.load(handle, Loader=safe_loader)  # noqa: S506 (a safe loader)
    # YAML reads unquoted response codes (`200:`) as integers; OpenAPI means strings.
    # Brevo's file also fails strict spec validation on upstream quirks, which does
    # not affect validating messages against its schemas.
    return OpenAPI.from_dict(
        _string_keys(document), config=Config(spec_validator_cls=None)
    )


def _string_keys(node):
    if isinstance(node, dict):
        return {str(key): _string_keys(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_string_keys(item) for item in node]
    return node


def _always(_):
    return True


def _never(_):
    return False


@dataclass(frozen=True)
class Contract:
    """One vendor's API description and the host its paths are relative to.

    `described` picks the exchanges the description covers; `spec_defect`
    recognizes findings that are the description's fault, each documented below.
    """

    spec_path: Path
    host_url: str
    described: Callable[[Exchange], bool] = _always
    spec_defect: Callable[[str], bool] = _never

    @property
    def api(self) -> OpenAPI:
        return _load(self.spec_path)

    def violations(self, exchanges: list[Exchange]) -> list[str]:
        """Every way the exchanges break the description, one line each."""
        problems = []
        for exchange in filter(self.described, exchanges):
            request = self._request(exchange)
            where = f"{exchange.method} {exchange.path} -> {exchange.status}"
            try:
                self.api.validate_request(request)
            except Exception as error:  # openapi-core raises a family of errors
                problems.append(f"request  {where}: {_describe(error)}")
            try:
                self.api.validate_response(request, self._response(exchange))
            except Exception as error:
                problems.append(f"response {where}: {_describe(error)}")
        return [problem for problem in problems if not self.spec_defect(problem)]

    def _request(self, exchange: Exchange) -> MockRequest:
        headers = exchange.request_headers
        return MockRequest(
            host_url=self.host_url,
            method=exchange.method,
            path=exchange.path,
            args=dict(parse_qsl(exchange.query_string, keep_blank_values=True)),
            headers=headers,
            data=exchange.request_body or None,
            content_type=headers.get("content-type", "application/json"),
        )

    @staticmethod
    def _response(exchange: Exchange) -> MockResponse:
        headers = exchange.response_headers
        body = exchange.response_body
        if headers.get("content-encoding") == "gzip" and body:
            body = gzip.decompress(body)
        return MockResponse(
            data=body,
            status_code=exchange.status,
            headers=headers,
            content_type=headers.get("content-type", "application/json").split(";")[0],
        )


def _describe(error: Exception) -> str:
    parts = [f"{type(error).__name__}: {error}"]
    cause = error.__cause__
    while cause is not None:
        parts.append(f"{type(cause).__name__}: {cause}")
        for schema_error in getattr(cause, "schema_errors", ()) or ():
            parts.append(f"  at {list(schema_error.path)}: {schema_error.message}")
        cause = cause.__cause__
    return " | ".join(parts)


# Statuses Brevo documents outside the spec's per-path responses.
_BREVO_UNDESCRIBED_STATUSES = {
    # 401 is listed for every route in the spec's info.description table, but no
    # path declares it.
    401,
    # 429: Brevo's rate-limit page (developers.brevo.com/docs/api-limits)
    # documents it; the spec declares it for GET /contacts only.
    429,
}
# POST /contacts/batch answers 404 document_not_found when a contact is unknown
# (reference brevo_api.md section 7, row 1); the spec lists 204 and 400 only.
_BREVO_UNDESCRIBED_ANSWERS = {("POST", "/v3/contacts/batch", 404)}


def _brevo_described(exchange: Exchange) -> bool:
    """API calls the spec covers; import reports are files served outside /v3."""
    return (
        exchange.path.startswith("/v3/")
        and exchange.status not in _BREVO_UNDESCRIBED_STATUSES
        and (exchange.method, exchange.path, exchange.status)
        not in _BREVO_UNDESCRIBED_ANSWERS
    )


def _brevo_spec_defect(violation: str) -> bool:
    """Findings that are defects of Brevo's description, not of the message.

    - List add/remove request bodies are a oneOf of schemas that require no
      property, so every body matches all branches ("is valid under each of");
      tests check those bodies against the one schema their key selects.
    - Empty answers (201 attribute created, 204 updated/deleted) are declared as
      `content: {}`, which openapi-core reads as "a body is required".
    - postContactInfo has no branch for ext ids, which Brevo returns as strings
      when a list change names `extIds` (the spec's own example does so).
    """
    list_change = violation.startswith("request  POST /v3/contacts/lists/")
    ambiguous_request = list_change and "is valid under each of" in violation
    empty_answer = violation.endswith("MissingData: Missing response data") and (
        " -> 204: " in violation
        or violation.startswith("response POST /v3/contacts/attributes/")
    )
    list_change_answer = violation.startswith("response POST /v3/contacts/lists/")
    ext_ids_answer = list_change_answer and "at ['contacts', 'success']" in violation
    return ambiguous_request or empty_answer or ext_ids_answer


BREVO = Contract(
    BREVO_SPEC,
    host_url="https://api.brevo.com",
    described=_brevo_described,
    spec_defect=_brevo_spec_defect,
)


def _snowflake_described(exchange: Exchange) -> bool:
    """SQL API calls; the OAuth token endpoint is not part of the SQL API spec."""
    return exchange.path.startswith("/api/v2/")


SNOWFLAKE = Contract(
    SNOWFLAKE_SPEC,
    host_url="https://org-account.snowflakecomputing.com",
    described=_snowflake_described,
)
