"""Check recorded HTTP exchanges against the vendors' published API descriptions.

The descriptions stay in ../shared/specs (never copied into the project). Each
exchange the sandbox recorded is validated twice: the request our client sent,
and the response the sandbox gave.
"""

import functools
import gzip
import os
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


@dataclass(frozen=True)
class Contract:
    """One vendor's API description and the host its paths are relative to."""

    spec_path: Path
    host_url: str

    @property
    def api(self) -> OpenAPI:
        return _load(self.spec_path)

    def violations(self, exchanges: list[Exchange]) -> list[str]:
        """Every way the exchanges break the description, one line each."""
        problems = []
        for exchange in exchanges:
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
        return problems

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


BREVO = Contract(BREVO_SPEC, host_url="https://api.brevo.com")
SNOWFLAKE = Contract(
    SNOWFLAKE_SPEC, host_url="https://org-account.snowflakecomputing.com"
)
