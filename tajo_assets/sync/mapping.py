"""Apply a sync's field mapping to the columns a query returns.

The mapping is checked against the actual result columns before anything is
sent, so a renamed or missing column stops the run with a message that names
the column, the columns available and what to fix.
"""

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from tajo_assets.brevo.imports import encode_json
from tajo_assets.config import FieldMapping
from tajo_assets.config.attributes import AttributeKind, AttributeOptions, NullPolicy
from tajo_assets.snowflake import Column
from tajo_assets.sync.encode import (
    CLEARED,
    Encoder,
    ValueEncodingError,
    as_text,
    brevo_attribute_type,
    make_category_encoder,
    make_encoder,
)
from tajo_assets.sync.keys import import_entry, key_problem, normalize_key

# Codes of the rows refused before sending, as TAJO_REJECTIONS records them.
INVALID_KEY = "invalid_key"
INVALID_VALUE = "invalid_value"
TOO_LARGE = "too_large"
# JSON spends at most 6 bytes on a character (a control character as \u001f),
# and a number or boolean with its quotes, colon and comma at most 32 bytes: a
# contact whose bound stays under the budget needs no measuring.
_MAX_BYTES_PER_CHARACTER = 6
_MAX_BYTES_PER_VALUE = 32
_ENTRY_OVERHEAD_BYTES = 64


class MappingError(Exception):
    """The field mapping does not fit the query's columns; fix configuration."""


CATEGORY = "category"
# The plan column listing the set_if_empty attributes this sync filled before
# (see `tajo_assets.sync.plan`), as "|NAME|OTHER|".
FILLED_COLUMN = "TAJO_FILLED"
_DEFAULT_OPTIONS = AttributeOptions()


@dataclass(frozen=True)
class MappedAttribute:
    attribute: str
    column: Column
    index: int
    encode: Encoder
    options: AttributeOptions = _DEFAULT_OPTIONS
    # Sent as text to a text attribute Brevo already has (see `as_text`).
    sent_as_text: bool = False

    @property
    def brevo_type(self) -> str:
        """The attribute's Brevo type: configured category, text where sent as
        text, else the column's."""
        if self.options.type == AttributeKind.CATEGORY:
            return CATEGORY
        if self.sent_as_text:
            return "text"
        return brevo_attribute_type(self.column)


@dataclass(frozen=True)
class Rejection:
    """A row that cannot be sent, with the reason and a short code for it:
    `invalid_key` (no usable identifier) or `invalid_value` (a value that has no
    Brevo encoding)."""

    key: str
    reason: str
    code: str


@dataclass(frozen=True)
class ResolvedMapping:
    """A field mapping bound to column positions of one result."""

    identifier_column: str
    identifier_index: int
    attributes: tuple[MappedAttribute, ...]
    identifier_kind: str = "email"
    # The column holding the key normalized in the warehouse (see
    # `tajo_assets.sync.keys.key_sql`), when the rows carry one.
    key_index: int | None = None
    # The plan's FILLED_COLUMN, when the rows carry one.
    filled_index: int | None = None
    # The most bytes one contact may take as JSON (an import body's budget).
    max_contact_bytes: int | None = None

    def attribute_types(self) -> dict[str, str]:
        """Brevo attribute name -> Brevo type: category where configured, else
        derived from the Snowflake column."""
        return {a.attribute: a.brevo_type for a in self.attributes}

    def to_contact(self, row: Sequence[Any]) -> dict[str, Any] | Rejection:
        """The Brevo import entry for a row, or why the row cannot be sent.

        The key travels as Brevo's import expects its kind (see `import_entry`)
        and never also among the mapped attributes: configuration refuses an
        attribute named like an identifier. A NULL follows its attribute's
        policy: skip leaves the attribute out, clear sends it as `CLEARED`; a
        set_if_empty attribute this sync filled before is left out whatever
        its value.
        """
        raw, key = self._key(row)
        problem = key_problem(self.identifier_kind, key)
        if problem is not None:
            return Rejection(_raw_text(raw), problem, INVALID_KEY)
        attributes, characters = {}, 0
        for mapped in self.attributes:
            value = row[mapped.index]
            policy = mapped.options.null_policy
            if value is None:
                if policy == NullPolicy.CLEAR:
                    attributes[mapped.attribute] = CLEARED
                continue
            if policy == NullPolicy.SET_IF_EMPTY and self._filled(row, mapped):
                continue
            try:
                encoded = attributes[mapped.attribute] = mapped.encode(value)
            except ValueEncodingError as error:
                return Rejection(
                    key, f"column {mapped.column.name}: {error}", INVALID_VALUE
                )
            characters += len(mapped.attribute)
            if type(encoded) is str:
                characters += len(encoded)
        entry = import_entry(self.identifier_kind, key, attributes)
        return self._oversize(key, entry, characters) or entry

    def _oversize(
        self, key: str, entry: dict[str, Any], characters: int
    ) -> Rejection | None:
        """Why a contact is too large for one request body, if it is.

        `characters` counts the attribute names and text values; with the
        key, the count of values and the JSON around them it bounds the size,
        and only contacts whose bound passes the budget are measured.
        """
        budget = self.max_contact_bytes
        if budget is None:
            return None
        bound = (
            (characters + len(key)) * _MAX_BYTES_PER_CHARACTER
            + len(entry["attributes"]) * _MAX_BYTES_PER_VALUE
            + _ENTRY_OVERHEAD_BYTES
        )
        if bound <= budget:
            return None
        size = len(encode_json(entry))
        if size <= budget:
            return None
        return Rejection(
            key,
            f"the row takes {size} bytes as JSON, more than the {budget} bytes an "
            "import request has room for (connectors.brevo.import_body_bytes); "
            "shorten its longest text values in the query (LEFT(column, n))",
            TOO_LARGE,
        )

    def _filled(self, row: Sequence[Any], mapped: MappedAttribute) -> bool:
        """Whether Brevo acknowledged a value of this attribute from this sync.

        Rows without the plan's record (a dry run's sample of an older plan,
        say) count as never filled.
        """
        if self.filled_index is None:
            return False
        return f"|{mapped.attribute}|" in (row[self.filled_index] or "")

    def _key(self, row: Sequence[Any]) -> tuple[Any, str | None]:
        """The row's identifier as read, and its normalized key.

        The key comes from the warehouse when the rows carry it; otherwise it
        is normalized here, by the same rule (`normalize_key`).
        """
        if self.key_index is not None:
            return row[self.key_index], row[self.key_index]
        raw = row[self.identifier_index]
        return raw, normalize_key(self.identifier_kind, raw)


def resolve_mapping(
    mapping: FieldMapping,
    columns: Sequence[Column],
    source: str,
    timezone: ZoneInfo,
    key_column: str | None = None,
    *,
    options: Mapping[str, AttributeOptions] | None = None,
    categories: Mapping[str, Mapping[str, Any]] | None = None,
    max_contact_bytes: int | None = None,
    text_attributes: frozenset[str] = frozenset(),
) -> ResolvedMapping:
    """Bind `mapping` to `columns`; raise MappingError naming what is missing.

    With `key_column`, contacts are identified by that column's value (the key
    normalized in the warehouse) rather than by the identifier column's.
    `options` are the attributes' configured options; `categories` what Brevo
    takes for each label of a category attribute (by default the configured
    numbering, 1, 2, 3, ...). Rows carrying FILLED_COLUMN are encoded with it. A
    contact over `max_contact_bytes` as JSON is rejected (code `too_large`).
    Attributes in `text_attributes` (text in Brevo, another type in the
    warehouse) are sent in their text form.
    """
    positions = {column.name.upper(): i for i, column in enumerate(columns)}
    missing = [c.upper() for c in mapping.columns if c.upper() not in positions]
    if missing:
        raise MappingError(_missing_columns_message(missing, columns, source))
    attributes = tuple(
        _mapped(
            attribute,
            columns[positions[column.upper()]],
            positions[column.upper()],
            timezone,
            (options or {}).get(attribute, _DEFAULT_OPTIONS),
            (categories or {}).get(attribute),
            attribute in text_attributes,
        )
        for column, attribute in mapping.attributes.items()
    )
    return ResolvedMapping(
        identifier_column=mapping.identifier_column,
        identifier_index=positions[mapping.identifier_column.upper()],
        attributes=attributes,
        identifier_kind=mapping.identifier_target,
        key_index=positions[key_column.upper()] if key_column else None,
        filled_index=positions.get(FILLED_COLUMN),
        max_contact_bytes=max_contact_bytes,
    )


def _mapped(
    attribute: str,
    column: Column,
    index: int,
    timezone: ZoneInfo,
    options: AttributeOptions,
    sent: Mapping[str, Any] | None,
    text: bool = False,
) -> MappedAttribute:
    if options.type == AttributeKind.CATEGORY:
        labels = options.values or ()
        if sent is None:
            sent = {label: value for value, label in options.enumeration}
        encode = make_category_encoder(attribute, labels, sent)
        return MappedAttribute(attribute, column, index, encode, options)
    encode = make_encoder(column, timezone)
    if text:
        return MappedAttribute(attribute, column, index, as_text(encode), options, True)
    return MappedAttribute(attribute, column, index, encode, options)


def holds_text(attribute: Any) -> bool:
    """Whether Brevo has `attribute` as plain text (not a category's text):
    such an attribute takes any column's values in their text form."""
    return (
        attribute is not None
        and attribute.type == "text"
        and attribute.category != CATEGORY
    )


def type_mismatch(attribute: Any, kind: str) -> str | None:
    """How Brevo's `attribute` differs from the `kind` its values are sent as.

    Brevo lists a category attribute with type text (spec `getAttributes`
    example), so category is told by the attribute's category. None when they
    agree (or Brevo gives no type).
    """
    if kind == CATEGORY and attribute.type == "text":
        # A text attribute takes the labels themselves (see _category_options).
        return None
    if kind == CATEGORY or attribute.category == CATEGORY:
        if kind == CATEGORY and attribute.category == CATEGORY:
            return None
        have = "a category" if attribute.category == CATEGORY else attribute.type
        want = "a category (attributes:)" if kind == CATEGORY else kind
        return f"{attribute.name} is {have} attribute in Brevo, configured as {want}"
    if attribute.type and attribute.type != kind:
        return f"{attribute.name} is {attribute.type}, its column holds {kind}"
    return None


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
