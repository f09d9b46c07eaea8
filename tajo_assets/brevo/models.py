"""What the Brevo client returns: Brevo's objects and the outcomes of its calls.

Brevo's objects are parsed with pydantic from Brevo's camelCase JSON; fields Brevo
adds later are ignored. Outcomes the client assembles are plain frozen dataclasses.
"""

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _BrevoObject(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class AttributeOption(_BrevoObject):
    """One value of a `category` attribute: an integer id and its label.

    Brevo lists `valueStr` too since 2026-05, the option's value as written:
    for a non-numeric one (`"en"`) `value` is then 0 (developers.brevo.com
    changelog 2026/5/1). It is read, never sent.
    """

    value: int
    label: str
    value_str: str | None = Field(default=None, alias="valueStr", exclude=True)


class Attribute(_BrevoObject):
    """A contact attribute: `name` in upper case, its `category` and value `type`.

    `type` is absent for some categories (calculated, global); `enumeration` is
    set only for `category` attributes.
    """

    name: str
    category: str
    type: str | None = None
    enumeration: list[AttributeOption] | None = None


class Folder(_BrevoObject):
    """A folder of contact lists."""

    id: int
    name: str


class ContactList(_BrevoObject):
    """A contact list; Brevo always files a list in a folder."""

    id: int
    name: str
    folder_id: int | None = Field(default=None, alias="folderId")
    total_subscribers: int | None = Field(default=None, alias="totalSubscribers")
    unique_subscribers: int | None = Field(default=None, alias="uniqueSubscribers")
    total_blacklisted: int | None = Field(default=None, alias="totalBlacklisted")


class Contact(_BrevoObject):
    """A contact with its attributes (EXT_ID and SMS among them) and list ids."""

    id: int
    email: str | None = None
    attributes: dict[str, Any] = Field(default_factory=dict)
    list_ids: list[int] = Field(default_factory=list, alias="listIds")
    email_blacklisted: bool | None = Field(default=None, alias="emailBlacklisted")
    sms_blacklisted: bool | None = Field(default=None, alias="smsBlacklisted")
    created_at: str | None = Field(default=None, alias="createdAt")
    modified_at: str | None = Field(default=None, alias="modifiedAt")


class ContactPage(_BrevoObject):
    """One page of `GET /contacts` and the total number of contacts."""

    # Brevo may leave both out when the account has no contact.
    contacts: list[Contact] = Field(default_factory=list)
    count: int = 0


class Process(_BrevoObject):
    """A background process such as an import; `info` holds per-kind details.

    `status` is kept as Brevo sends it: the saved spec knows queued, in_process
    and completed, the current API adds processing, failed and cancelled.
    """

    id: int
    name: str | None = None
    status: str
    error: str | None = None
    info: dict[str, Any] | None = None


@dataclass(frozen=True)
class RejectedContact:
    """A row Brevo refused in an import.

    `identifier` is the value Brevo's report shows (the email, or the EXT_ID or
    SMS that was duplicated), `reason` says why, and `row` is the row's position
    in the import body, counted from 1, when the report gives it. `code` names
    the report the row came from, as Brevo names it (`invalid_emails`,
    `duplicate_email_id`, ...).
    """

    identifier: str
    reason: str
    row: int | None = None
    code: str = ""


@dataclass(frozen=True)
class ImportResult:
    """How an import process ended, and which of its rows Brevo rejected.

    `rejected` lists the rows of Brevo's reports (invalid emails, identifiers
    repeated or held by another contact). When Brevo said rows were rejected
    but a report could not be read, `rejection_report_error` says why and
    `rejections_unknown` is True: treat every row of the import as unconfirmed.
    """

    process_id: int
    status: str
    rejected: tuple[RejectedContact, ...] = ()
    rejection_report_error: str | None = None

    @property
    def rejections_unknown(self) -> bool:
        return self.rejection_report_error is not None


@dataclass(frozen=True)
class ContactRefusal:
    """A contact of a batch Brevo refused: its index in the batch sent, and
    Brevo's error code and message."""

    index: int
    code: str
    message: str


@dataclass(frozen=True)
class ListChangeResult:
    """The contacts a list change applied to (`success`) and those it did not.

    `failure` holds the identifiers Brevo reports as already in the list or
    unknown, as Brevo words it.
    """

    list_id: int
    success: tuple[str | int, ...] = ()
    failure: tuple[str | int, ...] = ()
