"""The body and query of `POST /api/v2/statements`, checked and typed.

Everything a client can get wrong in the request itself is refused here with
400 (or 415 for another media type) and a message naming the field, the value
received and what Snowflake expects; nothing runs for such a request.
"""

import json
import uuid
from typing import Any

from starlette.requests import Request

from tajo_assets.sandbox.snowflake.auth import Principal
from tajo_assets.sandbox.snowflake.engine import canonical_timezone
from tajo_assets.sandbox.snowflake.errors import (
    INVALID_PAYLOAD,
    RequestRejected,
    invalid_payload,
)
from tajo_assets.sandbox.snowflake.statements import Submission


async def parse_submission(request: Request, principal: Principal) -> Submission:
    """The submission `principal` sent; raises `RequestRejected` (400 or 415)."""
    _check_content_type(request)
    body = await _json_object(request)
    statement = body.get("statement")
    if not isinstance(statement, str):
        raise invalid_payload(
            "The body needs 'statement' with the SQL text (a string)."
        )
    parameters = _object_field(body, "parameters")
    return Submission(
        statement=statement,
        user=principal.user,
        request_id=_request_id(request),
        timeout_s=_timeout(body),
        database=_text_field(body, "database"),
        schema=_text_field(body, "schema"),
        warehouse=_text_field(body, "warehouse"),
        role=_text_field(body, "role"),
        bindings=_bindings(body),
        parameters=parameters,
        query_tag=_parameter(parameters, "query_tag"),
        timezone=_timezone(parameters),
        statement_count=_statement_count(parameters),
        nullable=flag(request, "nullable", default=True),
    )


def _check_content_type(request: Request) -> None:
    content_type = request.headers.get("content-type")
    if (
        content_type
        and content_type.split(";")[0].strip().lower() != "application/json"
    ):
        raise RequestRejected(
            415,
            INVALID_PAYLOAD,
            f"Unsupported Content-Type {content_type!r}; send the body as "
            "application/json.",
        )


async def _json_object(request: Request) -> dict:
    try:
        body = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        raise invalid_payload("The body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise invalid_payload("The body must be a JSON object.")
    return body


def _text_field(body: dict, name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise invalid_payload(f"'{name}' must be a string, got {type(value).__name__}.")
    return value or None


def _object_field(body: dict, name: str) -> dict:
    value = body.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise invalid_payload(f"'{name}' must be a JSON object.")
    return value


def _timeout(body: dict) -> int | None:
    value = body.get("timeout")
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise invalid_payload(
            f"'timeout' is {value!r}; give whole seconds >= 0 (0 = the maximum)."
        )
    return value


def _bindings(body: dict) -> dict[str, dict] | None:
    bindings = _object_field(body, "bindings")
    for key, binding in bindings.items():
        if not isinstance(binding, dict) or not isinstance(binding.get("type"), str):
            raise invalid_payload(
                f"Binding {key!r} must be an object with 'type' (e.g. 'TEXT') and "
                "'value' (a string, or null)."
            )
    return bindings or None


def _parameter(parameters: dict, name: str) -> Any:
    """A session parameter by case-insensitive name."""
    for key, value in parameters.items():
        if key.lower() == name:
            return value
    return None


def _timezone(parameters: dict) -> str | None:
    value = _parameter(parameters, "timezone")
    if value is None:
        return None
    try:
        return canonical_timezone(str(value))
    except ValueError as error:
        raise invalid_payload(f"parameters.timezone: {error}.") from None


def _statement_count(parameters: dict) -> int:
    value = _parameter(parameters, "multi_statement_count")
    if value is None:
        return 1
    try:
        count = int(value)
    except (TypeError, ValueError):
        count = -1
    if count < 0 or isinstance(value, bool):
        raise invalid_payload(
            f"parameters.MULTI_STATEMENT_COUNT is {value!r}; give the number of "
            "statements, or 0 for any number."
        )
    return count


def _request_id(request: Request) -> str | None:
    value = request.query_params.get("requestId")
    if value is None:
        return None
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise invalid_payload(
            f"requestId {value!r} is not a UUID; send a UUID4."
        ) from None


def flag(request: Request, name: str, *, default: bool) -> bool:
    """A boolean query parameter: "true" (any case) is true, anything else false."""
    value = request.query_params.get(name)
    if value is None:
        return default
    return value.strip().lower() == "true"
