"""Field mappings: query columns to Brevo's contact identifier and attributes.

A mapping names exactly one identifier column, the contact's key (`email`,
`ext_id` or `sms`), and maps every other column to one Brevo attribute; no
target takes two columns.
"""

from collections.abc import Mapping

from pydantic import ConfigDict, RootModel, model_validator

from tajo_assets.config.errors import Location, problems_found
from tajo_assets.config.fields import IDENTIFIER_TARGETS, ColumnName, MappingTarget

DEFAULT_FIELD_MAPPING = {"email": "email"}


def mapping_problems(
    entries: Mapping[str, str], require_identifier: bool
) -> list[tuple[Location, str]]:
    """Rules over a whole mapping: one identifier, one column per target."""
    problems: list[tuple[Location, str]] = []
    first_by_upper: dict[str, str] = {}
    first_by_target: dict[str, str] = {}
    for column, target in entries.items():
        same_column = first_by_upper.setdefault(column.upper(), column)
        if same_column != column:
            problems.append(
                (
                    (column,),
                    f"column '{column}' and column '{same_column}' are the same "
                    "column (Snowflake column names are matched case-insensitively); "
                    "keep one",
                )
            )
        same_target = first_by_target.setdefault(target, column)
        if same_target != column:
            problems.append(
                (
                    (column,),
                    f"got '{target}', already the target of column '{same_target}'; "
                    "each Brevo target takes exactly one column, remove one",
                )
            )
    problems += _identifier_problems(entries, require_identifier)
    return problems


def _identifier_problems(
    entries: Mapping[str, str], require_identifier: bool
) -> list[tuple[Location, str]]:
    identifiers = [
        column for column, target in entries.items() if target in IDENTIFIER_TARGETS
    ]
    if len(identifiers) > 1:
        listed = ", ".join(f"{c}: {entries[c]}" for c in identifiers)
        return [
            (
                (identifiers[-1],),
                f"a second contact identifier ({listed}); map exactly one column "
                "to email, ext_id or sms: the one Brevo should key contacts by",
            )
        ]
    if not identifiers and require_identifier:
        return [
            (
                (),
                "maps no column to the contact identifier; add one line "
                "'<column>: email' (or '<column>: ext_id', '<column>: sms')",
            )
        ]
    return []


class AttributeMapping(RootModel[dict[ColumnName, MappingTarget]]):
    """A sync's own mapping; its identifier may come from `field_mapping`."""

    model_config = ConfigDict(frozen=True, coerce_numbers_to_str=True)

    @model_validator(mode="after")
    def _consistent(self) -> "AttributeMapping":
        problems = mapping_problems(self.root, require_identifier=False)
        if problems:
            raise problems_found(problems)
        return self

    @property
    def identifier_column(self) -> str | None:
        return next((c for c, t in self.root.items() if t in IDENTIFIER_TARGETS), None)


class FieldMapping(RootModel[dict[ColumnName, MappingTarget]]):
    """Query column -> Brevo target, with exactly one contact identifier.

    Columns keep the case they were written in; Snowflake returns upper-case
    names, so match them with `targets_by_upper_column`.
    """

    model_config = ConfigDict(frozen=True, coerce_numbers_to_str=True)

    @model_validator(mode="after")
    def _consistent(self) -> "FieldMapping":
        problems = mapping_problems(self.root, require_identifier=True)
        if problems:
            raise problems_found(problems)
        return self

    @property
    def identifier_column(self) -> str:
        return next(c for c, t in self.root.items() if t in IDENTIFIER_TARGETS)

    @property
    def identifier_target(self) -> str:
        return self.root[self.identifier_column]

    @property
    def attributes(self) -> dict[str, str]:
        """Column -> Brevo attribute name, without the identifier."""
        return {c: t for c, t in self.root.items() if t not in IDENTIFIER_TARGETS}

    @property
    def columns(self) -> tuple[str, ...]:
        """Every source column, in the order written."""
        return tuple(self.root)

    @property
    def targets_by_upper_column(self) -> dict[str, str]:
        return {column.upper(): target for column, target in self.root.items()}

    def as_dict(self) -> dict[str, str]:
        return dict(self.root)
