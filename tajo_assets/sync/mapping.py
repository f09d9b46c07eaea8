"""Apply a sync's field mapping to the columns a query returns.

The mapping is checked against the actual result columns before anything is
sent, so a renamed or missing column stops the run with a message that names
the column, the columns available and what to fix.
"""

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from tajo_assets.config import FieldMapping
from tajo_assets.snowflake import Column
from tajo_assets.sync.encode import (
    Encoder,
    ValueEncodingError,
    brevo_attribute_type,
    make_encoder,
)
from tajo_assets.sync.keys import normalize_email


class MappingError(Exception):
    """The field mapping does not fit the query's columns; fix configuration."""


@dataclass(frozen=True)
class MappedAttribute:
    attribute: str
    column: Column
    index: int
    encode: Encoder


@dataclass(frozen=True)
class Rejection:
    """A row that was not sent (or that Brevo refused), with the reason."""

    key: str
    reason: str


@dataclass(frozen=True)
class ResolvedMapping:
    """A field mapping bound to column positions of one result."""

    identifier_column: str
    identifier_index: int
    attributes: tuple[MappedAttribute, ...]

    def attribute_types(self) -> dict[str, str]:
        """Brevo attribute name -> Brevo type, derived from the Snowflake columns."""
        return {a.attribute: brevo_attribute_type(a.column) for a in self.attributes}

    def to_contact(self, row: Sequence[Any]) -> dict[str, Any] | Rejection:
        """The Brevo import entry for a row, or why the row cannot be sent."""
        raw_key = row[self.identifier_index]
        email = normalize_email(raw_key)
        if email is None:
            return Rejection(_raw_text(raw_key), "invalid email address")
        attributes = {}
        for mapped in self.attributes:
            value = row[mapped.index]
            if value is None:
                continue
            try:
                attributes[mapped.attribute] = mapped.encode(value)
            except ValueEncodingError as error:
                return Rejection(email, f"column {mapped.column.name}: {error}")
        return {"email": email, "attributes": attributes}


def resolve_mapping(
    mapping: FieldMapping,
    columns: Sequence[Column],
    source: str,
    timezone: ZoneInfo,
) -> ResolvedMapping:
    """Bind `mapping` to `columns`; raise MappingError naming what is missing."""
    positions = {column.name.upper(): i for i, column in enumerate(columns)}
    missing = [c.upper() for c in mapping.columns if c.upper() not in positions]
    if missing:
        raise MappingError(_missing_columns_message(missing, columns, source))
    attributes = tuple(
        MappedAttribute(
            attribute=attribute,
            column=columns[positions[column.upper()]],
            index=positions[column.upper()],
            encode=make_encoder(columns[positions[column.upper()]], timezone),
        )
        for column, attribute in mapping.attributes.items()
    )
    return ResolvedMapping(
        identifier_column=mapping.identifier_column,
        identifier_index=positions[mapping.identifier_column.upper()],
        attributes=attributes,
    )


def _missing_columns_message(
    missing: list[str], columns: Sequence[Column], source: str
) -> str:
    available = [column.name for column in columns]
    hints = [
        f"{name} -> {close[0]}?"
        for name in missing
        if (close := difflib.get_close_matches(name, available, n=1, cutoff=0.75))
    ]
    hint = f" (did you mean {', '.join(hints)})" if hints else ""
    return (
        f"field_mapping names column{'s' if len(missing) > 1 else ''} "
        f"{', '.join(missing)}, but {source} returns "
        f"{', '.join(available) or 'no columns'}{hint}; fix the mapping or the query"
    )


def _raw_text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else repr(value)
