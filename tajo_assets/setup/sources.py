"""Which tables and views a configured query reads, found with sqlglot.

The set-up script grants SELECT on exactly these, USAGE on their databases and
schemas, and nothing else. Names are resolved as Snowflake resolves them:
missing parts come from the connection's database and schema, unquoted parts
are upper case. sqlglot is a dependency of fakesnow (the sandbox extra); where
it is missing or cannot follow a query, the caller grants by hand.
"""

from dataclasses import dataclass

try:
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import SqlglotError
except ImportError:  # the sandbox extra is not installed
    sqlglot = None

from tajo_assets.config.models import ModelsConfig
from tajo_assets.setup.identifiers import (
    IdentifierError,
    object_identifier,
    source_identifier,
)


class NotAnalysable(Exception):
    """The query's source objects cannot be named; the message says why."""


@dataclass(frozen=True, order=True)
class SourceObject:
    """A table or view, each part already rendered as a SQL identifier."""

    database: str
    schema: str
    name: str

    @property
    def schema_path(self) -> str:
        return f"{self.database}.{self.schema}"

    @property
    def path(self) -> str:
        return f"{self.database}.{self.schema}.{self.name}"


def source_objects(
    sql: str, database: str | None, schema: str | None
) -> list[SourceObject]:
    """The objects `sql` reads, sorted; CTE names are not objects.

    `database` and `schema` are the connection's defaults (config values, case
    as SHOW lists them). Raises NotAnalysable when sqlglot is not installed,
    the text is not one statement it can parse, a name is computed
    (IDENTIFIER(...), stages, table functions), a default is missing or a
    name holds a control character.
    """
    tree = _parse(sql)
    cte_names = {cte.alias_or_name.upper() for cte in tree.find_all(exp.CTE)}
    found = set()
    for table in tree.find_all(exp.Table):
        if not table.db and table.name.upper() in cte_names:
            continue
        try:
            found.add(_resolve(table, database, schema))
        except IdentifierError as error:
            raise NotAnalysable(str(error)) from None
    return sorted(found)


def model_targets(models: ModelsConfig | None) -> set[SourceObject]:
    """The tables the warehouse models create and replace or merge into."""
    if models is None:
        return set()
    return {qualified(models.rfm_table), qualified(models.segments_table)}


def qualified(table: str) -> SourceObject:
    """A DATABASE.SCHEMA.TABLE name of plain parts, as the models section has."""
    return SourceObject(*(object_identifier(part) for part in table.split(".")))


def _parse(sql: str):
    if sqlglot is None:
        raise NotAnalysable(
            "sqlglot is not installed (it comes with the sandbox extra: "
            "pip install 'tajo-assets[sandbox]')"
        )
    try:
        statements = [s for s in sqlglot.parse(sql, read="snowflake") if s]
    except SqlglotError as error:
        raise NotAnalysable(f"sqlglot could not parse it ({_reason(error)})") from None
    if len(statements) != 1:
        raise NotAnalysable(f"it holds {len(statements)} statements, not one")
    return statements[0]


def _resolve(table, database: str | None, schema: str | None) -> SourceObject:
    parts = [table.args.get(key) for key in ("catalog", "db", "this")]
    given = [part for part in parts if part is not None]
    if not all(isinstance(part, exp.Identifier) for part in given):
        raise NotAnalysable(f"it reads {table.sql('snowflake')}, a computed name")
    names = [source_identifier(part.name, part.quoted) for part in given]
    defaults = [database, schema][: 3 - len(names)]
    if None in defaults:
        setting = "database" if defaults[0] is None else "schema"
        raise NotAnalysable(
            f"it reads {table.sql('snowflake')} and connectors.snowflake.{setting} "
            "is not set, so its full name is unknown"
        )
    rendered = [object_identifier(name) for name in defaults] + names
    return SourceObject(*rendered)


def _reason(error: SqlglotError) -> str:
    """sqlglot's first complaint with its place, without its token dump."""
    details = getattr(error, "errors", None)
    if not details:
        return str(error).splitlines()[0]
    first = details[0]
    description = first.get("description", "").split(" <Token")[0]
    return f"{description} at line {first.get('line')}, column {first.get('col')}"
