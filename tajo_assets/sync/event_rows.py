"""One warehouse row as one Brevo event, or the reason it cannot be one.

Identifiers are normalized like contact keys (`tajo_assets.sync.keys`);
`event_date` and timestamp properties carry their offset, a timestamp without
a zone being read in the configured timezone; event properties keep their
JSON types (numbers, booleans, text, VARIANT objects); contact properties
are strings or integers, as Brevo takes them (spec `components.schemas.event`).
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from tajo_assets.config.events import EVENT_IDENTIFIERS, EventSyncSpec
from tajo_assets.snowflake import Column
from tajo_assets.sync.encode import (
    ValueEncodingError,
    encode_whole_number,
    make_encoder,
)
from tajo_assets.sync.keys import key_problem, mask_key, normalize_key
from tajo_assets.sync.mapping import INVALID_KEY, INVALID_VALUE, MappingError

# Brevo's limit on an event's properties, serialized (spec
# components.schemas.event: "Size is limited to 50Kb").
MAX_EVENT_PROPERTIES_BYTES = 50 * 1024
_TIMESTAMPS = frozenset({"timestamp_ntz", "timestamp_ltz", "timestamp_tz"})
_SEMI_STRUCTURED = frozenset({"variant", "object", "array"})


# Codes of TAJO_REJECTIONS for rows never sent (as for contact rows).
EMPTY_KEY = "empty_key"
DUPLICATE_KEY = "duplicate_key"


@dataclass(frozen=True)
class EventRejection:
    """A row that cannot be sent: its event id (None if empty), why, and the
    short code of TAJO_REJECTIONS for it."""

    event_id: str | None
    reason: str
    code: str = INVALID_VALUE


class _IdentifierProblem(ValueEncodingError):
    """No usable contact identifier: the row's code is invalid_key."""


@dataclass(frozen=True)
class EventRow:
    """A row ready to send: its id, the event, and its identifiers masked."""

    event_id: str
    event: dict[str, Any]
    masked_identifiers: str


class EventBuilder:
    """Turns rows of the new-events result into Brevo events."""

    def __init__(
        self, spec: EventSyncSpec, columns: Sequence[Column], timezone: ZoneInfo
    ) -> None:
        self.spec = spec
        self.timezone = timezone
        self._at = _positions(spec, columns)
        self._columns = {c.name.upper(): c for c in columns}
        self._id_at = self._at["TAJO_EVENT_ID"]

    def build(self, row: Sequence[Any]) -> EventRow | EventRejection:
        """The event of `row`, or why it cannot be sent."""
        event_id = row[self._id_at]
        if event_id is None or not str(event_id).strip():
            return EventRejection(
                None, f"the event id ({self._id_name}) is empty", EMPTY_KEY
            )
        try:
            identifiers, masked = self._identifiers(row)
            event = self._event(row, identifiers)
        except _IdentifierProblem as error:
            return EventRejection(event_id, str(error), INVALID_KEY)
        except ValueEncodingError as error:
            return EventRejection(event_id, str(error))
        return EventRow(event_id, event, masked)

    @property
    def _id_name(self) -> str:
        return self.spec.event.id_column

    def _event(self, row: Sequence[Any], identifiers: dict) -> dict[str, Any]:
        definition = self.spec.event
        name = definition.name
        if definition.name_column:
            name = row[self._at[definition.name_column.upper()]]
            if name is None or not str(name).strip():
                raise ValueEncodingError(
                    f"the event name ({definition.name_column}) is empty"
                )
        event: dict[str, Any] = {"event_name": str(name), "identifiers": identifiers}
        if definition.date_column:
            value = row[self._at[definition.date_column.upper()]]
            if value is not None:
                event["event_date"] = self._moment(value, definition.date_column)
        properties = self._properties(row)
        if properties:
            event["event_properties"] = properties
        contact = self._contact_properties(row)
        if contact:
            event["contact_properties"] = contact
        return event

    def _identifiers(self, row: Sequence[Any]) -> tuple[dict[str, str], str]:
        found, masked = {}, []
        for kind, column in self.spec.event.identifier.items():
            raw = row[self._at[column.upper()]]
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                continue
            key = normalize_key(kind, raw)
            problem = key_problem(kind, key)
            if problem is not None or key is None:
                raise _IdentifierProblem(
                    f"identifier {kind} ({column}): {problem or 'not valid'}"
                )
            found[EVENT_IDENTIFIERS[kind]] = key
            masked.append(f"{kind}={mask_key(kind, key)}")
        if not found:
            columns = ", ".join(self.spec.event.identifier.values())
            raise _IdentifierProblem(f"no contact identifier: {columns} empty")
        return found, ", ".join(masked)

    def _properties(self, row: Sequence[Any]) -> dict[str, Any]:
        properties = {}
        for column, name in self.spec.event.property_names().items():
            value = row[self._at[column.upper()]]
            if value is not None:
                properties[name] = self._property(value, column)
        size = len(json.dumps(properties, separators=(",", ":")).encode())
        if size > MAX_EVENT_PROPERTIES_BYTES:
            raise ValueEncodingError(
                f"the event properties are {size} bytes, over Brevo's limit of "
                f"{MAX_EVENT_PROPERTIES_BYTES} bytes (50 KB); send fewer or "
                "shorter columns"
            )
        return properties

    def _property(self, value: Any, column: str) -> Any:
        kind = self._columns[column.upper()].type.lower()
        if kind in _TIMESTAMPS or isinstance(value, datetime):
            return self._moment(value, column)
        if isinstance(value, date):
            return value.isoformat()
        if kind in _SEMI_STRUCTURED and isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                return value
        encode = make_encoder(self._columns[column.upper()], self.timezone)
        try:
            return encode(value)
        except ValueEncodingError as error:
            raise ValueEncodingError(f"column {column}: {error}") from None

    def _contact_properties(self, row: Sequence[Any]) -> dict[str, str | int]:
        values: dict[str, str | int] = {}
        for column, attribute in self.spec.event.contact_properties.items():
            value = row[self._at[column.upper()]]
            if value is not None:
                try:
                    values[attribute] = _string_or_integer(value, self.timezone)
                except ValueEncodingError as error:
                    raise ValueEncodingError(f"column {column}: {error}") from None
        return values

    def _moment(self, value: Any, column: str) -> str:
        """A timestamp with its offset; a naive one is in the configured zone."""
        if isinstance(value, datetime):
            if value.tzinfo is None:
                value = value.replace(tzinfo=self.timezone)
            return value.isoformat()
        if isinstance(value, date):
            return datetime.combine(value, time(), self.timezone).isoformat()
        raise ValueEncodingError(
            f"{column} holds {type(value).__name__}, not a date or timestamp"
        )


def _string_or_integer(value: Any, timezone: ZoneInfo) -> str | int:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int) or (
        isinstance(value, Decimal)
        and value.is_finite()
        and value == value.to_integral_value()
    ):
        # The same limit as contact attributes: Brevo's numbers are doubles.
        return encode_whole_number(value)
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(timezone)
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def check_event_columns(spec: EventSyncSpec, columns: Sequence[Column]) -> None:
    """Raise MappingError when the event block names a column not in `columns`."""
    _positions(spec, columns)


def _positions(spec: EventSyncSpec, columns: Sequence[Column]) -> dict[str, int]:
    """Where each column is, upper-case; every configured one must be there."""
    at = {column.name.upper(): i for i, column in enumerate(columns)}
    missing = [
        f"{column} ({setting})"
        for column, setting in spec.columns().items()
        if column not in at
    ]
    if missing:
        returned = ", ".join(c.name for c in columns if not c.name.startswith("TAJO_"))
        raise MappingError(
            f"sync {spec.name}: the event block names {', '.join(missing)}, but "
            f"query {spec.query_name} returns {returned}; fix the event block or "
            "the query"
        )
    return at
