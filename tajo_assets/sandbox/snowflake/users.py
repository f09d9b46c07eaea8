"""User and account set-up DDL, which DuckDB cannot run, handled by the sandbox.

Applied: the key-pair statements, so a key registered over the SQL API signs in
at once, as in Snowflake.

- `ALTER USER <name> SET RSA_PUBLIC_KEY = '<key>'` (and `RSA_PUBLIC_KEY_2`): the
  key is a PEM public key or its base64 DER body, as Snowflake takes it. A
  user may hold both keys at once, for rotation.
- `ALTER USER <name> UNSET RSA_PUBLIC_KEY` (and `_2`, or both, comma-separated).
- `CREATE [OR REPLACE] USER [IF NOT EXISTS] <name> ... RSA_PUBLIC_KEY = '...'`.

Accepted without effect (they succeed and are recorded like any statement, but
change nothing): `CREATE`/`ALTER`/`DROP` of roles, warehouses, network
policies and users, other user properties (`DEFAULT_ROLE`, `NETWORK_POLICY`,
...), `GRANT`, `REVOKE`, `USE ROLE`, `USE WAREHOUSE`, `USE SECONDARY ROLES`.
The sandbox has no roles, grants or network policies to enforce.
"""

import re
import textwrap

from tajo_assets.sandbox.snowflake.auth import KeyPairJwtVerifier
from tajo_assets.sandbox.snowflake.engine import Execution, text_column
from tajo_assets.sandbox.snowflake.errors import StatementFailed
from tajo_assets.sandbox.snowflake.statement_text import leading_words

EXECUTED = "Statement executed successfully."
INVALID_PUBLIC_KEY = "001016"

_NO_EFFECT = (
    ("GRANT",),
    ("REVOKE",),
    ("USE", "ROLE"),
    ("USE", "WAREHOUSE"),
    ("USE", "SECONDARY"),
    *(
        (verb, *kind)
        for verb in ("CREATE", "ALTER", "DROP")
        for kind in (("ROLE",), ("WAREHOUSE",), ("NETWORK", "POLICY"), ("USER",))
    ),
    *(
        ("CREATE", "OR", "REPLACE", *kind)
        for kind in (("ROLE",), ("WAREHOUSE",), ("NETWORK", "POLICY"), ("USER",))
    ),
)
_NAME = r'(?P<name>"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)'
_ALTER_USER = re.compile(rf"\s*ALTER\s+USER\s+(?:IF\s+EXISTS\s+)?{_NAME}\s+", re.I)
_CREATE_USER = re.compile(
    rf"\s*CREATE\s+(?:OR\s+REPLACE\s+)?USER\s+(?:IF\s+NOT\s+EXISTS\s+)?{_NAME}", re.I
)
_SET_KEY = re.compile(r"\bRSA_PUBLIC_KEY(?P<slot>_2)?\s*=\s*'(?P<key>[^']*)'", re.I)
_UNSET = re.compile(r"\s*UNSET\s+(?P<properties>.*)", re.I | re.S)


class UserAdmin:
    """Runs the set-up DDL DuckDB cannot, against the sandbox's key registry."""

    def __init__(self, jwt: KeyPairJwtVerifier) -> None:
        self._jwt = jwt

    def run(self, statement: str) -> Execution | None:
        """The result of a set-up statement, or None for any other statement.

        Raises `StatementFailed` for a public key that cannot be read.
        """
        words = tuple(leading_words(statement, 5))
        if not any(words[: len(prefix)] == prefix for prefix in _NO_EFFECT):
            return None
        create = _CREATE_USER.match(statement)
        if create:
            self._set_keys(_user_name(create["name"]), statement[create.end() :])
            return _status(f"User {_user_name(create['name'])} successfully created.")
        alter = _ALTER_USER.match(statement)
        if alter:
            self._alter_user(_user_name(alter["name"]), statement[alter.end() :])
        return _status(EXECUTED)

    def _alter_user(self, user: str, action: str) -> None:
        unset = _UNSET.match(action)
        if unset:
            for slot, prop in ((2, "RSA_PUBLIC_KEY_2"), (1, "RSA_PUBLIC_KEY")):
                if re.search(rf"\b{prop}\b", unset["properties"], re.I):
                    self._jwt.unregister(user, slot)
            return
        self._set_keys(user, action)

    def _set_keys(self, user: str, properties: str) -> None:
        for found in _SET_KEY.finditer(properties):
            slot = 2 if found["slot"] else 1
            try:
                self._jwt.register(user, _public_pem(found["key"]), slot)
            except ValueError:
                raise _invalid_key(slot) from None


def _user_name(written: str) -> str:
    """Snowflake's rule: unquoted names are upper-cased, quoted ones kept."""
    if written.startswith('"'):
        return written[1:-1].replace('""', '"')
    return written.upper()


def _public_pem(value: str) -> str:
    """PEM text for a key given as PEM or as its base64 DER body."""
    text = value.strip()
    if "-----BEGIN" in text:
        return text
    body = "\n".join(textwrap.wrap("".join(text.split()), 64))
    return f"-----BEGIN PUBLIC KEY-----\n{body}\n-----END PUBLIC KEY-----\n"


def _invalid_key(slot: int) -> StatementFailed:
    prop = "RSA_PUBLIC_KEY_2" if slot == 2 else "RSA_PUBLIC_KEY"
    return StatementFailed(
        INVALID_PUBLIC_KEY,
        "22023",
        f"Invalid value for property {prop}: not an RSA public key. Give the "
        "base64 body of the public key file (without its BEGIN and END lines) "
        "or the whole PEM text.",
    )


def _status(message: str) -> Execution:
    return Execution([text_column("status")], [(message,)])
