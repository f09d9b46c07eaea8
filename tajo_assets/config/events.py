"""Event syncs: which query columns make a Brevo event, and how it is keyed.

An event sync (`type: events`) sends each row of its query once as a Brevo
event: a fixed name or one from a column, the contact's identifiers, an
optional date, properties, and contact attributes to set with it. Each row
carries its own event id (`id_column`); an id is sent at most once, ever.
Names follow Brevo's rule for event names and property keys: at most 255
letters, digits, `-` and `_` (spec `components.schemas.event`).
"""

import re
from dataclasses import dataclass

from pydantic import Field, field_validator, model_validator

from tajo_assets.config.errors import invalid_value, problems_found
from tajo_assets.config.fields import ColumnName, Text
from tajo_assets.config.section import Section

EVENT_NAME = re.compile(r"[A-Za-z0-9_-]{1,255}")
ATTRIBUTE_NAME = re.compile(r"[A-Z][A-Z0-9_]*")
# The contact identifiers an event can name, as tajo.yaml spells them, and
# Brevo's name for each in an event's `identifiers`.
EVENT_IDENTIFIERS = {"email": "email_id", "ext_id": "ext_id", "sms": "phone_id"}


def check_event_name(value: str) -> str:
    if not EVENT_NAME.fullmatch(value):
        raise invalid_value(
            "at most 255 letters, digits, '-' and '_' (Brevo's rule for event "
            "names and property keys), e.g. 'order_completed'"
        )
    return value


class EventDefinition(Section):
    """How one row of the query becomes one Brevo event."""

    name: Text | None = Field(
        None, description="the event name every row gets, e.g. order_completed"
    )
    name_column: ColumnName | None = Field(
        None, description="a query column holding each row's event name"
    )
    id_column: ColumnName = Field(
        description="a query column holding each event's own id; an id is sent "
        "to Brevo at most once"
    )
    date_column: ColumnName | None = Field(
        None,
        description="a query column with when the event happened; timestamps "
        "without a zone are read in connectors.snowflake.timezone",
    )
    identifier: dict[str, ColumnName] = Field(
        description="the contact the event is about: email, ext_id and/or sms, "
        "each -> a query column, e.g. {email: EMAIL}"
    )
    properties: list[ColumnName] | dict[ColumnName, str] = Field(
        default_factory=list,
        description="columns sent as event properties: a list (the property is "
        "the column name, lower-case) or column -> property name",
    )
    contact_properties: dict[ColumnName, str] = Field(
        default_factory=dict,
        description="columns -> contact attributes Brevo sets with the event "
        "(string or integer values)",
    )

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        return None if value is None else check_event_name(value)

    @field_validator("identifier")
    @classmethod
    def _identifier(cls, value: dict[str, str]) -> dict[str, str]:
        allowed = ", ".join(EVENT_IDENTIFIERS)
        unknown = [kind for kind in value if kind not in EVENT_IDENTIFIERS]
        if unknown or not value:
            got = f"got {', '.join(unknown)}; " if unknown else ""
            raise invalid_value(
                f"{got}one to three of {allowed}, each naming a query column, "
                "e.g. {email: EMAIL}"
            )
        return value

    @model_validator(mode="after")
    def _checked(self) -> "EventDefinition":
        problems = []
        if (self.name is None) == (self.name_column is None):
            problems.append(
                (
                    (),
                    "needs exactly one of name: <event name> (the same for every "
                    "row) and name_column: <column> (each row's own)",
                )
            )
        for column, prop in self.property_names().items():
            if not EVENT_NAME.fullmatch(prop):
                problems.append(
                    (
                        ("properties", column),
                        f"property name '{prop}' is not at most 255 letters, "
                        "digits, '-' and '_'; name it so (column: new_name)",
                    )
                )
        for column, attribute in self.contact_properties.items():
            if not ATTRIBUTE_NAME.fullmatch(attribute):
                problems.append(
                    (
                        ("contact_properties", column),
                        f"got '{attribute}'; a Brevo attribute name is upper-case "
                        "letters, digits and _, not starting with a digit",
                    )
                )
        if problems:
            raise problems_found(problems)
        return self

    def property_names(self) -> dict[str, str]:
        """Column -> event property name."""
        if isinstance(self.properties, dict):
            return dict(self.properties)
        return {column: column.lower() for column in self.properties}


@dataclass(frozen=True)
class EventSyncSpec:
    """An event sync with its query resolved, ready to build its asset from.

    For inline SQL, `query_name` is the sync's name.
    """

    name: str
    query_name: str
    sql: str
    event: EventDefinition

    def columns(self) -> dict[str, str]:
        """Every column the sync reads, upper-case, -> the setting naming it."""
        event = self.event
        named = {event.id_column: "id_column"}
        if event.name_column:
            named[event.name_column] = "name_column"
        if event.date_column:
            named[event.date_column] = "date_column"
        named |= {c: f"identifier.{k}" for k, c in event.identifier.items()}
        named |= {c: "properties" for c in event.property_names()}
        named |= {c: "contact_properties" for c in event.contact_properties}
        return {column.upper(): setting for column, setting in named.items()}
