"""Value types of the configuration: each checks one value and says what is allowed.

Every check raises `invalid_value(expected)`; the received value is added when
the error is displayed, so the text here only describes what would be right.
"""

import re
import unicodedata
from datetime import date, datetime, time
from typing import Annotated
from urllib.parse import SplitResult, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import dagster as dg
from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints

from tajo_assets.config.errors import invalid_value, suggest

# The identifiers a sync can key contacts by (tajo_assets.sync.keys.KINDS); every
# other target is an attribute.
IDENTIFIER_TARGETS = ("email", "ext_id", "sms")
# Brevo attributes that are contact identifiers: each value belongs to one contact.
# Sent beside the key, one can make an import merge two contacts into one (and
# delete the other), so a sync sends exactly one identifier, its key.
_IDENTIFIER_ATTRIBUTES = ("EMAIL", "EXT_ID", "SMS", "WHATSAPP", "LANDLINE_NUMBER")
_OWN_ATTRIBUTE = {
    "EMAIL": "OTHER_EMAIL",
    "EXT_ID": "CUSTOMER_ID",
    "SMS": "PHONE",
    "WHATSAPP": "WHATSAPP_NUMBER",
    "LANDLINE_NUMBER": "LANDLINE",
}

_LOWER_NAME = re.compile(r"[a-z_][a-z0-9_]*")
_UNQUOTED_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_$]{0,254}")
# Brevo: letters, digits and _, not starting with a digit or a special character
# (help.brevo.com article 209499605); names go upper-case in payloads.
_ATTRIBUTE_NAME = re.compile(r"[A-Z][A-Z0-9_]*")
_ACCOUNT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def check_cron(value: str) -> str:
    """A cron expression Dagster schedules accept (5 fields, or @daily and friends)."""
    expression = " ".join(value.split())
    try:
        # Dagster's own check, through its public API: what passes here is
        # exactly what a ScheduleDefinition built from this value accepts.
        dg.ScheduleDefinition(
            name="tajo_cron_check", cron_schedule=expression, job_name="tajo_cron_check"
        )
    except dg.DagsterInvalidDefinitionError:
        raise invalid_value(
            "a cron expression of 5 fields (minute hour day-of-month month "
            "day-of-week), e.g. '0 */6 * * *' for every 6 hours"
        ) from None
    return expression


# Files of the local tz database that are not IANA zone names Snowflake knows.
_NOT_ZONE_NAMES = ("posix/", "right/", "localtime", "Factory", "posixrules")


def check_timezone(value: str) -> str:
    """An IANA time zone name known to zoneinfo (and so to Snowflake)."""
    try:
        ZoneInfo(value)
        known = not value.startswith(_NOT_ZONE_NAMES)
    except (ZoneInfoNotFoundError, ValueError):
        known = False
    if not known:
        hint = suggest(value, available_timezones())
        raise invalid_value(
            f"an IANA time zone name such as 'UTC' or 'Europe/Madrid'{hint}"
        )
    return value


def parse_partition_start(value: object) -> datetime:
    """A date (midnight) or a date and time; naive means the configured timezone.

    YAML reads `2026-01-01` as a date and `2026-01-01 06:00` as a datetime; a
    value from an environment variable arrives as text in ISO 8601.
    """
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            value = None
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime.combine(value, time())
    if not isinstance(value, datetime):
        raise invalid_value(
            "a date such as 2026-01-01, or a date and time such as "
            "'2026-01-01 06:00' (in the configured timezone) or "
            "'2026-01-01T06:00:00+01:00'"
        )
    return value


def check_base_url(value: str) -> str:
    """An https URL, or an http URL on loopback (the local sandbox)."""
    parts = _split_url(value)
    if parts is None:
        raise invalid_value("a well-formed URL, e.g. https://host:port/path")
    secure = parts.scheme == "https" and bool(parts.hostname)
    local = parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS
    if not (secure or local):
        raise invalid_value(
            "an https:// URL, or http:// only for 127.0.0.1 or localhost "
            "(the local sandbox)"
        )
    if parts.query or parts.fragment:
        raise invalid_value("a base URL without '?query' or '#fragment'")
    return value.rstrip("/")


def _split_url(value: str) -> SplitResult | None:
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (parsing the port is what can fail)
    except ValueError:
        return None
    return parts


def refuse_boolean(value: object) -> object:
    """Stop pydantic from reading `true` as 1 where a number is expected."""
    if isinstance(value, bool):
        raise invalid_value("a whole number, not true or false")
    return value


def check_lower_name(value: str) -> str:
    """A lower-case identifier, used for query and sync names (asset names)."""
    if _LOWER_NAME.fullmatch(value):
        return value
    fixed = re.sub(r"[^a-z0-9_]+", "_", value.lower()).strip("_")
    hint = f"; did you mean '{fixed}'?" if _LOWER_NAME.fullmatch(fixed) else ""
    raise invalid_value(
        "a lower-case name of letters, digits and _ that does not start with a "
        f"digit, e.g. 'customer_segments'{hint}"
    )


def check_unquoted_identifier(value: str) -> str:
    """A Snowflake identifier that needs no quotes (case-insensitive)."""
    if _UNQUOTED_IDENTIFIER.fullmatch(value):
        return value
    raise invalid_value(
        "an unquoted Snowflake identifier: letters, digits, _ and $, not starting "
        "with a digit, at most 255 characters, e.g. 'TAJO_STATE'"
    )


def check_account(value: str) -> str:
    """A Snowflake account identifier, or its host name."""
    if _ACCOUNT.fullmatch(value):
        return value
    host = urlsplit(value).hostname if "://" in value else None
    hint = f"; did you mean '{host}'?" if host and _ACCOUNT.fullmatch(host) else ""
    raise invalid_value(
        "a Snowflake account identifier such as 'myorg-myaccount', or its host "
        f"'myorg-myaccount.snowflakecomputing.com', without https://{hint}"
    )


def check_mapping_target(value: str) -> str:
    """`email`, `ext_id` or `sms` (the contact's key), else a Brevo attribute name."""
    if value in IDENTIFIER_TARGETS:
        return value
    if value in _IDENTIFIER_ATTRIBUTES:
        raise invalid_value(_identifier_attribute_expected(value))
    if _ATTRIBUTE_NAME.fullmatch(value):
        return value
    upper = re.sub(r"[^A-Z0-9_]+", "_", value.upper()).strip("_")
    identifier = value.lower().replace("-", "_")
    if identifier in IDENTIFIER_TARGETS:
        hint = f"; did you mean '{identifier}' (the contact identifier)?"
    elif _ATTRIBUTE_NAME.fullmatch(upper) and upper not in _IDENTIFIER_ATTRIBUTES:
        hint = f"; did you mean '{upper}'?"
    else:
        hint = ""
    raise invalid_value(
        "'email', 'ext_id' or 'sms' for the contact identifier, or a Brevo "
        "attribute name: upper-case letters, digits and _, starting with a "
        f"letter (e.g. 'FIRSTNAME'){hint}"
    )


def _identifier_attribute_expected(name: str) -> str:
    """What to write instead of an attribute that is a Brevo contact identifier."""
    identifier = (
        f"{name} is a Brevo contact identifier (each value belongs to one contact)"
    )
    own = f"an attribute of your own such as '{_OWN_ATTRIBUTE[name]}'"
    if name.lower() in IDENTIFIER_TARGETS:
        return (
            f"'{name.lower()}' (lower-case) to key contacts by this column; "
            f"{identifier}, which a sync sends only as its key. To store a value "
            f"you do not key by, map it to {own}"
        )
    return f"{own}; {identifier}, which a sync neither keys by nor sends"


def refuse_control_characters(value: str) -> str:
    """One-line text: no line break, NUL, tab or other control character.

    Names such as the role and user are printed into SQL text and `--`
    comments (tajo setup-sql), where a line break would end the comment and
    start a statement of its own.
    """
    if any(unicodedata.category(char) == "Cc" for char in value):
        raise invalid_value(
            "text on one line, without line breaks, tabs or other control characters"
        )
    return value


_NonBlank = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Text = Annotated[_NonBlank, AfterValidator(refuse_control_characters)]
WholeNumber = Annotated[int, BeforeValidator(refuse_boolean)]
PositiveNumber = Annotated[WholeNumber, Field(gt=0)]
# SQL spans lines; it is bound or run as a statement, never pasted into a comment.
SqlText = _NonBlank
Cron = Annotated[str, AfterValidator(check_cron)]
PartitionStart = Annotated[datetime, BeforeValidator(parse_partition_start)]
TimeZoneName = Annotated[str, AfterValidator(check_timezone)]
BaseUrl = Annotated[str, AfterValidator(check_base_url)]
LowerName = Annotated[str, AfterValidator(check_lower_name)]
UnquotedIdentifier = Annotated[Text, AfterValidator(check_unquoted_identifier)]
AccountName = Annotated[Text, AfterValidator(check_account)]
ColumnName = Text
MappingTarget = Annotated[Text, AfterValidator(check_mapping_target)]
