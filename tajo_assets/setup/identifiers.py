"""Object names and addresses placed into printed SQL, validated or quoted.

Object names cannot be bindings, so the set-up script has them in its text.
Every name goes through one of these functions first: a plain identifier is
printed as is, anything else is quoted with its double quotes doubled, so no
name can end a statement or start another. A name holding a control
character (a line break, NUL) is refused: in a `--` comment a line break
would start a statement. Addresses are parsed, never pasted.
"""

import ipaddress
import re
import unicodedata

_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_$]{0,254}")
_PLAIN_UPPER = re.compile(r"[A-Z_][A-Z0-9_$]{0,254}")


class IdentifierError(ValueError):
    """A name holds a control character and cannot be printed into SQL."""


def quoted(name: str) -> str:
    """`name` as a double-quoted identifier: exactly this name, case kept.

    Raises IdentifierError if `name` holds a control character (category
    Cc: line breaks, NUL, tab...). The configuration refuses those already;
    this is the second line of defence for every caller.
    """
    refuse_control_characters(name)
    return '"' + name.replace('"', '""') + '"'


def refuse_control_characters(name: str) -> str:
    """`name` unchanged; raises IdentifierError if it holds a control character."""
    found = [char for char in name if unicodedata.category(char) == "Cc"]
    if found:
        raise IdentifierError(
            f"the name {name!r} holds the control character {found[0]!r}; "
            "Snowflake names printed into SQL must be on one line"
        )
    return name


def object_identifier(name: str) -> str:
    """A role, warehouse, database or schema named as the SQL API names it.

    The API's context fields are case-sensitive (as SHOW lists them), so only
    an upper-case plain name is left unquoted; `marketing_db` stays lower case.
    """
    return name if _PLAIN_UPPER.fullmatch(name) else quoted(name)


def user_identifier(name: str) -> str:
    """A user as key-pair sign-in knows it: the JWT names the user in upper case."""
    upper = name.strip().upper()
    return upper if _PLAIN_UPPER.fullmatch(upper) else quoted(upper)


def source_identifier(name: str, was_quoted: bool) -> str:
    """A name part as a query wrote it: unquoted names resolve in upper case."""
    if not was_quoted and _PLAIN.fullmatch(name):
        return name.upper()
    return object_identifier(name)


class AddressError(ValueError):
    """An allowed address is neither an IP address nor a CIDR block."""


def network_address(text: str) -> str:
    """`text` as a canonical IPv4 address or CIDR block.

    Raises AddressError naming the value and the forms allowed; host bits set
    in a block (10.0.0.1/8) are refused rather than silently widened, and IPv6
    is refused because Snowflake's ALLOWED_IP_LIST takes IPv4 only.
    """
    try:
        network = ipaddress.ip_network(text.strip(), strict=True)
    except ValueError as error:
        raise AddressError(
            f"--allowed-ip {text!r} is not an IP address or CIDR block ({error}); "
            "give an address such as 203.0.113.7 or a block such as 203.0.113.0/24"
        ) from None
    if network.version != 4:
        raise AddressError(
            f"--allowed-ip {text!r} is an IPv6 address; Snowflake network policies "
            "accept IPv4 addresses and blocks only, so give the IPv4 address this "
            "machine leaves from"
        )
    single = network.num_addresses == 1 and "/" not in text
    return str(network.network_address) if single else str(network)
