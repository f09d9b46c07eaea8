"""Contact attributes: the account's schema, and how a value is checked against it.

Categories and types follow `components.schemas.createAttribute` and reference
section 2: `normal` takes text, date, float, boolean, multiple-choice or user;
`transactional` also takes id; `category` attributes carry an enumeration;
`calculated` and `global` attributes hold a formula (`value`) and cannot be
written on a contact. Names hold letters, digits and underscores and start
with a letter (help.brevo.com article 209499605); they are stored upper-case.
"""

import re
from dataclasses import dataclass
from typing import Any

from tajo_assets.sandbox.brevo import values
from tajo_assets.sandbox.brevo.errors import invalid, missing

CATEGORIES = ("normal", "transactional", "category", "calculated", "global")
_TYPES = {
    "normal": ("text", "date", "float", "boolean", "multiple-choice", "user"),
    "transactional": ("text", "date", "float", "boolean", "id"),
    "category": ("category",),
    "calculated": (),
    "global": (),
}
_DEFAULT_TYPE = {"normal": "text", "transactional": "text", "category": "category"}
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
# "None of the category or multicategory option values can exceed 200
# characters" (developers.brevo.com, create-attribute).
MAX_OPTION_CHARS = 200


@dataclass(frozen=True)
class Attribute:
    """One attribute of the account; `type` is None for calculated and global."""

    name: str
    category: str
    type: str | None
    enumeration: tuple[tuple[int, str], ...] = ()
    options: tuple[str, ...] = ()
    formula: str | None = None

    @property
    def writable(self) -> bool:
        return self.category not in ("calculated", "global")

    def read(self, raw: Any) -> Any:
        """The stored form of `raw`, or `values.EMPTY` / `values.IGNORED`."""
        if values.is_blank(raw):
            return values.EMPTY
        if self.type == "float":
            return values.to_float(raw)
        if self.type == "date":
            return values.to_date(raw)
        if self.type == "boolean":
            return values.to_boolean(raw)
        if self.type == "category":
            options = [{"value": v, "label": label} for v, label in self.enumeration]
            return values.to_category(raw, options)
        if self.type == "multiple-choice":
            return values.to_choices(raw, list(self.options))
        return values.to_text(raw)

    def render(self) -> dict[str, Any]:
        """The attribute as `GET /contacts/attributes` lists it."""
        rendered: dict[str, Any] = {"name": self.name, "category": self.category}
        if self.type is not None:
            # The spec's type enum has no "category"; its example lists category
            # attributes as type text with their enumeration.
            rendered["type"] = "text" if self.type == "category" else self.type
        if self.enumeration:
            rendered["enumeration"] = [
                {"value": value, "label": label} for value, label in self.enumeration
            ]
        if self.options:
            rendered["multiCategoryOptions"] = list(self.options)
        if self.formula is not None:
            rendered["calculatedValue"] = self.formula
        return rendered


DEFAULT_ATTRIBUTES = (
    Attribute("EMAIL", "normal", "text"),
    Attribute("SMS", "normal", "text"),
    Attribute("FIRSTNAME", "normal", "text"),
    Attribute("LASTNAME", "normal", "text"),
)


def parse_attribute(category: str, name: str, body: Any) -> Attribute:
    """Validate a `POST /contacts/attributes/{category}/{name}` request."""
    if category not in CATEGORIES:
        raise invalid(
            f"attributeCategory {category!r} is not one of {', '.join(CATEGORIES)}"
        )
    if not _NAME.fullmatch(name):
        raise invalid(
            f"attributeName {name!r} is invalid: use letters, digits and "
            "underscores, starting with a letter"
        )
    if not isinstance(body, dict) or not body:
        raise missing("No inputs in the body: send at least the attribute's type")
    kind = _parse_type(category, body.get("type"))
    return Attribute(
        name=name.upper(),
        category=category,
        type=kind,
        enumeration=_parse_enumeration(category, body.get("enumeration")),
        options=_parse_options(kind, body.get("multiCategoryOptions")),
        formula=_parse_formula(category, body.get("value")),
    )


def _parse_type(category: str, kind: Any) -> str | None:
    allowed = _TYPES[category]
    if not allowed:
        if kind is not None:
            raise invalid(f"{category} attributes take no type; send only value")
        return None
    if kind is None:
        return _DEFAULT_TYPE[category]
    if kind not in allowed:
        raise invalid(
            f"type {kind!r} is not allowed for {category} attributes; "
            f"use one of {', '.join(allowed)}"
        )
    return kind


def _parse_enumeration(category: str, raw: Any) -> tuple[tuple[int, str], ...]:
    if category != "category":
        return ()
    if not isinstance(raw, list) or not raw:
        raise missing("category attributes need enumeration [{value, label}, ...]")
    options = []
    for option in raw:
        value = option.get("value") if isinstance(option, dict) else None
        label = option.get("label") if isinstance(option, dict) else None
        if not isinstance(value, int) or not isinstance(label, str):
            raise invalid("each enumeration option needs an integer value and a label")
        if len(label) > MAX_OPTION_CHARS:
            raise invalid(
                f"enumeration label {label[:20]!r}... has {len(label)} characters; "
                f"none of the category values can exceed {MAX_OPTION_CHARS}"
            )
        options.append((value, label))
    return tuple(options)


def _parse_options(kind: str | None, raw: Any) -> tuple[str, ...]:
    if kind != "multiple-choice":
        return ()
    if not isinstance(raw, list) or not raw or not all(isinstance(o, str) for o in raw):
        raise missing("multiple-choice attributes need multiCategoryOptions [...]")
    return tuple(raw)


def _parse_formula(category: str, raw: Any) -> str | None:
    if category not in ("calculated", "global"):
        return None
    if not isinstance(raw, str) or not raw.strip():
        raise missing(f"{category} attributes need value, the formula to compute")
    return raw


IDENTIFIER_ATTRIBUTES = ("EMAIL", "EXT_ID")


def read_attributes(
    schema: dict[str, Attribute], raw: Any, erase_empty: bool
) -> dict[str, Any]:
    """The attribute writes of a request body, as name -> value (None erases).

    Names are matched exactly, so lower-case names are unknown, as Brevo asks
    for capitals. Unknown, calculated and global attributes are skipped (the
    spec says import ignores unknown attributes; create/update have been seen
    doing the same, reference section 5), values that do not match the type are
    skipped, blanks erase only when `erase_empty`. EMAIL and EXT_ID are
    identifiers, read by the caller.
    """
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise invalid("attributes must be an object of NAME: value")
    writes: dict[str, Any] = {}
    for name, value in raw.items():
        attribute = schema.get(name)
        if attribute is None or not attribute.writable:
            continue
        if name in IDENTIFIER_ATTRIBUTES:
            continue
        stored = attribute.read(value)
        if name == "SMS" and isinstance(stored, str):
            stored = stored if values.is_valid_phone(stored) else values.IGNORED
        if stored is values.EMPTY:
            if erase_empty:
                writes[name] = None
        elif stored is not values.IGNORED:
            writes[name] = stored
    return writes
