"""INFORMATION_SCHEMA.TABLES.LAST_ALTERED that moves when a table changes.

fakesnow reports every table as last altered at the epoch. Snowflake moves
LAST_ALTERED on each DDL or DML statement that touches a table, and the sync's
sensor reads exactly that, so the sandbox keeps it: after a statement that
writes a table (INSERT, UPDATE, DELETE, MERGE, CREATE TABLE, ALTER TABLE,
TRUNCATE, COPY INTO) succeeds, the time is recorded in a hidden table of that
database, and the database's INFORMATION_SCHEMA.TABLES view reads it from
there. The record is written in the statement's own transaction, so a
ROLLBACK takes it back too. Tables nobody changed through the sandbox keep
fakesnow's epoch.
"""

import re
from datetime import UTC, datetime
from typing import NamedTuple

import duckdb
from sqlglot import exp
from sqlglot.dialects.snowflake import Snowflake
from sqlglot.errors import ParseError, TokenError

_DIALECT = Snowflake()
_WRITES = re.compile(
    r"\s*(INSERT|UPDATE|DELETE|MERGE|CREATE|ALTER|TRUNCATE|COPY)\b", re.IGNORECASE
)
# fakesnow's per-database schema for its INFORMATION_SCHEMA views; its tables
# never show in INFORMATION_SCHEMA.TABLES.
_HIDDEN_SCHEMA = "_fs_information_schema"
_CHANGES = "_tajo_last_altered"
_FAKESNOW_TABLES = "_fs_tables_fakesnow"


class TableName(NamedTuple):
    """A table as INFORMATION_SCHEMA names it (unquoted parts upper-cased)."""

    database: str
    schema: str
    name: str


def written_tables(
    statement: str, database: str | None, schema: str | None
) -> list[TableName]:
    """The tables `statement` creates, alters or writes rows of.

    Unqualified names take the session's `database` and `schema`; a name that
    still lacks one is left out, and so is any statement sqlglot cannot parse.
    """
    if not _WRITES.match(statement):
        return []
    try:
        trees = _DIALECT.parse(statement)
    except (ParseError, TokenError):
        return []
    names = [
        _qualified(table, database, schema)
        for tree in trees
        if tree is not None
        for table in _target_tables(tree)
        if table is not None
    ]
    return [name for name in names if name is not None]


def record_changes(
    duck: duckdb.DuckDBPyConnection, tables: list[TableName], at: datetime | None = None
) -> None:
    """Set LAST_ALTERED of `tables` to `at` (default now), on `duck`'s transaction."""
    at = at or datetime.now(UTC)
    for database in sorted({table.database for table in tables}):
        _track(duck, database)
    for table in tables:
        target = _changes_table(table.database)
        upsert = (
            f"INSERT INTO {target} VALUES (?, ?, ?) "  # noqa: S608 (values bound)
            "ON CONFLICT DO UPDATE SET last_altered = excluded.last_altered"
        )
        duck.execute(upsert, [table.schema, table.name, at])


def _target_tables(tree: exp.Expression) -> list[exp.Table | None]:
    if isinstance(tree, exp.Create):
        if str(tree.args.get("kind")).upper() != "TABLE":
            return []
        return [_table_of(tree.this)]
    if isinstance(tree, exp.Alter):
        if str(tree.args.get("kind")).upper() != "TABLE":
            return []
        renamed = [
            _table_of(action.this)
            for action in tree.args.get("actions") or []
            if isinstance(action, exp.AlterRename)
        ]
        return [_table_of(tree.this), *renamed]
    if isinstance(tree, exp.TruncateTable):
        return [_table_of(table) for table in tree.expressions]
    if isinstance(tree, exp.Insert | exp.Update | exp.Delete | exp.Merge | exp.Copy):
        return [_table_of(tree.this)]
    return []


def _table_of(node: exp.Expression | None) -> exp.Table | None:
    # `INSERT INTO t (a, b)` and `CREATE TABLE t (a INT)` wrap the table in a Schema.
    if isinstance(node, exp.Schema):
        node = node.this
    return node if isinstance(node, exp.Table) else None


def _qualified(
    table: exp.Table, database: str | None, schema: str | None
) -> TableName | None:
    parts = [_catalog_name(table.args.get(key)) for key in ("catalog", "db", "this")]
    catalog, db, name = parts
    if name is None:
        return None
    database = catalog or (database and database.upper())
    schema = db or (schema and schema.upper())
    if not (database and schema):
        return None
    return TableName(database, schema, name)


def _catalog_name(identifier: exp.Expression | None) -> str | None:
    """A name as the catalog stores it: quoted as written, unquoted in upper case."""
    if not isinstance(identifier, exp.Identifier) or not identifier.name:
        return None
    return identifier.name if identifier.quoted else identifier.name.upper()


def _track(duck: duckdb.DuckDBPyConnection, database: str) -> None:
    """Give `database` the changes table and a TABLES view that reads it (once)."""
    hidden = f"{_quoted(database)}.{_HIDDEN_SCHEMA}"
    duck.execute(
        f"CREATE TABLE IF NOT EXISTS {_changes_table(database)} ("
        "schema_name VARCHAR, table_name VARCHAR, last_altered TIMESTAMPTZ, "
        "PRIMARY KEY (schema_name, table_name))"
    )
    tracked = duck.execute(
        "SELECT count(*) FROM duckdb_views() WHERE database_name = ? "
        "AND schema_name = ? AND view_name = ?",
        [database, _HIDDEN_SCHEMA, _FAKESNOW_TABLES],
    ).fetchone()[0]
    if tracked:
        return
    # Every other column stays fakesnow's: its view is kept and wrapped.
    duck.execute(f"ALTER VIEW {hidden}._fs_tables RENAME TO {_FAKESNOW_TABLES}")
    view = (
        f"CREATE VIEW {hidden}._fs_tables AS "  # noqa: S608 (quoted names)
        "SELECT * REPLACE (COALESCE((SELECT changes.last_altered FROM "
        f"{_changes_table(database)} AS changes "
        'WHERE changes.schema_name = tables."TABLE_SCHEMA" '
        'AND changes.table_name = tables."TABLE_NAME"), tables."LAST_ALTERED") '
        'AS "LAST_ALTERED") '
        f"FROM {hidden}.{_FAKESNOW_TABLES} AS tables"
    )
    duck.execute(view)


def _changes_table(database: str) -> str:
    return f"{_quoted(database)}.{_HIDDEN_SCHEMA}.{_CHANGES}"


def _quoted(name: str) -> str:
    # DuckDB catalog names: the sandbox's own database names, quoted anyway.
    return '"' + name.replace('"', '""') + '"'
