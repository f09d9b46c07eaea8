"""Per-attribute options: what a NULL does, and category attributes with their values.

The top-level `attributes:` block is keyed by Brevo attribute name, the target
of a mapping (`field_mapping` or a sync's `attribute_mapping`). An attribute
not written there takes the defaults: its type follows its Snowflake column,
and a NULL leaves Brevo's value as it is.
"""

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, Field, model_validator

from tajo_assets.config.errors import Location, invalid_value, problems_found
from tajo_assets.config.fields import IDENTIFIER_TARGETS, MappingTarget, Text
from tajo_assets.config.section import Section

# Brevo refuses category options longer than this (developers.brevo.com,
# create-attribute: "None of the category ... values can exceed 200 characters").
MAX_CATEGORY_LABEL_CHARS = 200


class NullPolicy(StrEnum):
    """What a NULL in the warehouse does to the Brevo attribute.

    skip leaves Brevo's value as it is; clear erases it; set_if_empty writes
    the attribute only while this sync has never filled it for the contact
    (and so never overwrites a value it sent before).
    """

    SKIP = "skip"
    CLEAR = "clear"
    SET_IF_EMPTY = "set_if_empty"


class AttributeKind(StrEnum):
    """The attribute types a configuration may set; the others follow the column."""

    CATEGORY = "category"


def check_category_label(value: str) -> str:
    if len(value) > MAX_CATEGORY_LABEL_CHARS:
        raise invalid_value(
            f"a label of at most {MAX_CATEGORY_LABEL_CHARS} characters (Brevo's limit)"
        )
    return value


CategoryLabel = Annotated[Text, AfterValidator(check_category_label)]


class AttributeOptions(Section):
    """The options of one Brevo attribute under `attributes:`."""

    null_policy: NullPolicy = Field(
        NullPolicy.SKIP,
        description="what a NULL does: skip (keep Brevo's value), clear (erase "
        "it) or set_if_empty (write the attribute only while this sync has not "
        "filled it for the contact)",
    )
    type: AttributeKind | None = Field(
        None,
        description="category, for a Brevo category attribute with fixed values; "
        "left out, the type follows the Snowflake column",
    )
    values: tuple[CategoryLabel, ...] | None = Field(
        None,
        description="the labels of a category attribute, in order; Brevo numbers "
        "them 1, 2, 3, ...",
    )

    @model_validator(mode="after")
    def _values_with_category(self) -> "AttributeOptions":
        if self.type == AttributeKind.CATEGORY and not self.values:
            raise problems_found(
                [
                    (
                        ("values",),
                        "missing; a category attribute needs its labels, e.g. "
                        "values: [Champions, Loyal, At risk]",
                    )
                ]
            )
        if self.values is not None and self.type != AttributeKind.CATEGORY:
            raise problems_found(
                [(("values",), "applies only with type: category; add it or remove")]
            )
        repeated = _repeated(self.values or ())
        if repeated:
            raise problems_found(
                [
                    (
                        ("values",),
                        f"lists {', '.join(repr(v) for v in repeated)} more than "
                        "once; each label must be unique",
                    )
                ]
            )
        return self

    @property
    def enumeration(self) -> tuple[tuple[int, str], ...]:
        """The category's options as Brevo takes them: (value, label), from 1."""
        return tuple(enumerate(self.values or (), start=1))

    def as_definition(self) -> dict[str, Any]:
        """The options as plain data, for the sync's definition hash."""
        return self.model_dump(mode="json", exclude_defaults=True)


AttributeName = MappingTarget


def attribute_problems(
    attributes: Mapping[str, AttributeOptions], targets: Iterable[str]
) -> list[tuple[Location, str]]:
    """Options for names no mapping targets, or for the contact identifier."""
    known = sorted(set(targets) - set(IDENTIFIER_TARGETS))
    problems: list[tuple[Location, str]] = []
    for name in attributes:
        if name in IDENTIFIER_TARGETS:
            message = (
                f"'{name}' is the contact identifier, not an attribute; options "
                "apply to attributes only, remove it here"
            )
        elif name not in known:
            message = (
                f"'{name}' is not the target of any mapping (field_mapping or a "
                f"sync's attribute_mapping: {', '.join(known) or 'none'}); map a "
                "column to it, or remove it here"
            )
        else:
            continue
        problems.append((("attributes", name), message))
    return problems


def _repeated(values: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    repeated = []
    for value in values:
        if value in seen and value not in repeated:
            repeated.append(value)
        seen.add(value)
    return repeated
