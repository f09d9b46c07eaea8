"""Reading statement text the way Snowflake does, before anything runs.

Splitting a request into statements, finding bind placeholders and spotting
the commands the SQL API treats specially all work on sqlglot's Snowflake
tokens, so a `;` or `?` inside a string literal, a quoted identifier or a
comment is never mistaken for syntax.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass

from sqlglot import exp
from sqlglot.dialects.snowflake import Snowflake
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import Token, TokenType

_DIALECT = Snowflake()

_WAIT = re.compile(
    r"""^\s*(?:SELECT|CALL)\s+SYSTEM\$WAIT\s*\(\s*
        (?P<amount>\d+(?:\.\d+)?)\s*
        (?:,\s*'(?P<unit>[A-Za-z]+)'\s*)?
        \)\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
_WAIT_UNITS_S = {
    "DAYS": 86400.0,
    "HOURS": 3600.0,
    "MINUTES": 60.0,
    "SECONDS": 1.0,
    "MILLISECONDS": 0.001,
    "MICROSECONDS": 0.000001,
    "NANOSECONDS": 0.000000001,
}

# Commands the SQL API runs only inside a multi-statement request, and never.
_SESSION_ONLY = {
    ("BEGIN",): "TRANSACTION_BEGIN",
    ("START",): "TRANSACTION_BEGIN",
    ("COMMIT",): "TRANSACTION_COMMIT",
    ("ROLLBACK",): "TRANSACTION_ROLLBACK",
    ("USE",): "USE",
    ("ALTER", "SESSION"): "ALTER_SESSION",
    ("SET",): "SET",
    ("UNSET",): "UNSET",
}
_NEVER = {("PUT",): "PUT", ("GET",): "GET"}


def split_statements(text: str) -> list[str]:
    """The statements of `text`, split at top-level `;`, without empty ones.

    Text that sqlglot cannot tokenize (an unterminated string, say) comes back
    whole, so running it reports the syntax error.
    """
    try:
        tokens = _DIALECT.tokenize(text)
    except TokenError:
        return [text.strip()] if text.strip() else []
    statements, start, seen_token = [], 0, False
    for token in tokens:
        if token.token_type == TokenType.SEMICOLON:
            if seen_token:
                statements.append(text[start : token.start].strip())
            start, seen_token = token.end + 1, False
        else:
            seen_token = True
    if seen_token:
        statements.append(text[start:].strip())
    return statements


@dataclass(frozen=True)
class Placeholders:
    """How a statement refers to bind variables.

    `positions` are the 1-based binding keys the statement needs, in the order
    the values are passed to the database: one per `?`, or 1..max for `:n`.
    """

    style: str  # "none", "qmark" or "numeric"
    positions: tuple[int, ...]
    named: tuple[str, ...] = ()


def find_placeholders(statement: str) -> Placeholders:
    """Placeholders of one statement; unparseable text counts as having none."""
    try:
        trees = _DIALECT.parse(statement)
    except (ParseError, TokenError):
        return Placeholders("none", ())
    names = [
        node.name for tree in trees if tree for node in tree.find_all(exp.Placeholder)
    ]
    named = tuple(name for name in names if name != "?" and not name.isdigit())
    numbers = [int(name) for name in names if name.isdigit()]
    qmarks = names.count("?")
    if numbers and not qmarks:
        return Placeholders("numeric", tuple(range(1, max(numbers) + 1)), named)
    if qmarks and not numbers:
        return Placeholders("qmark", tuple(range(1, qmarks + 1)), named)
    if qmarks and numbers:
        return Placeholders("mixed", (), named)
    return Placeholders("none", (), named)


def fill_session_functions(statement: str, values: Mapping[str, str | None]) -> str:
    """`statement` with each `NAME()` of `values` replaced by its value as a literal.

    For the session functions DuckDB lacks or answers for itself
    (CURRENT_USER(), CURRENT_ROLE(), CURRENT_WAREHOUSE()); None becomes NULL.
    Calls inside string literals, quoted identifiers and comments are left
    alone, since they are not tokens of their own.
    """
    try:
        tokens = _DIALECT.tokenize(statement)
    except TokenError:
        return statement
    pieces, copied = [], 0
    for index, token in enumerate(tokens[:-2]):
        name = token.text.upper()
        opening, closing = tokens[index + 1], tokens[index + 2]
        if (
            name in values
            and token.token_type != TokenType.STRING
            and opening.token_type == TokenType.L_PAREN
            and closing.token_type == TokenType.R_PAREN
        ):
            pieces += [statement[copied : token.start], _literal(values[name])]
            copied = closing.end + 1
    return "".join(pieces) + statement[copied:]


def _literal(value: str | None) -> str:
    if value is None:
        return "NULL"
    return "'" + value.replace("'", "''") + "'"


def system_wait_seconds(statement: str) -> float | None:
    """Seconds of `SELECT|CALL SYSTEM$WAIT(n [, 'unit'])`, else None.

    Raises ValueError for a unit Snowflake does not know.
    """
    match = _WAIT.match(statement.rstrip(";"))
    if match is None:
        return None
    unit = (match["unit"] or "SECONDS").upper()
    if unit not in _WAIT_UNITS_S:
        raise ValueError(
            f"SYSTEM$WAIT unit {match['unit']!r} is not one of "
            f"{', '.join(_WAIT_UNITS_S)}"
        )
    return float(match["amount"]) * _WAIT_UNITS_S[unit]


def system_wait_column(statement: str) -> str:
    """The result column name Snowflake gives the SYSTEM$WAIT call."""
    call = re.sub(r"\s+", "", statement.rstrip(";").strip().split(None, 1)[1])
    return (
        call.upper()
        if statement.lstrip().upper().startswith("SELECT")
        else "SYSTEM$WAIT"
    )


def restricted_command(statement: str, *, in_multi_statement: bool) -> str | None:
    """Snowflake's name for a command the SQL API refuses here, else None.

    PUT and GET are never allowed; transaction control, USE, ALTER SESSION and
    session variables only inside a multi-statement request.
    """
    words = tuple(leading_words(statement, 2))
    for table in (_NEVER,) if in_multi_statement else (_NEVER, _SESSION_ONLY):
        for prefix, name in table.items():
            if words[: len(prefix)] == prefix:
                return name
    return None


def public_schema_of_new_database(statement: str) -> str | None:
    """For `CREATE DATABASE x`, the SQL that gives x its PUBLIC schema, else None.

    Snowflake creates PUBLIC with every database (and makes it the session's
    current schema); fakesnow does not, so the sandbox adds it.
    """
    if "DATABASE" not in statement.upper():
        return None
    try:
        tree = _DIALECT.parse(statement)[0]
    except (ParseError, TokenError, IndexError):
        return None
    if (
        not isinstance(tree, exp.Create)
        or str(tree.args.get("kind")).upper() != "DATABASE"
    ):
        return None
    database = tree.find(exp.Identifier)
    if database is None:
        return None
    schema = exp.Table(this=exp.to_identifier("PUBLIC"), db=database.copy())
    return exp.Create(this=schema, kind="SCHEMA", exists=True).sql(dialect=_DIALECT)


def leading_words(statement: str, count: int) -> list[str]:
    try:
        tokens: list[Token] = _DIALECT.tokenize(statement)
    except TokenError:
        return []
    return [token.text.upper() for token in tokens[:count]]
