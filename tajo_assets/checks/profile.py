"""What the checks measure in the warehouse: a snapshot's columns and its keys.

Every measure is one statement over the snapshot table, run in Snowflake: its
column list (LIMIT 0, no rows), one aggregate pass over the contact keys, and,
only when keys repeat, a short list of the most repeated ones. No row leaves
the warehouse except that sample, which is masked before anyone sees it.
"""

import re
from dataclasses import dataclass, field
from importlib import resources

from tajo_assets.snowflake import SqlApiClient
from tajo_assets.sync.keys import MAX_EMAIL_LENGTH, mask_email

_ATOM = r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+"
# The rule of tajo_assets.sync.keys.normalize_email as a POSIX extended regular
# expression (Snowflake's REGEXP_LIKE knows no (?:...) groups), applied to a
# trimmed, lower-cased key: the local part's dots only between characters, a
# dotted domain of labels that neither start nor end with a hyphen. Both agree
# on ASCII keys; tajo_assets_tests/checks/test_profile.py holds them together.
EMAIL_PATTERN = (
    rf"^{_ATOM}([.]{_ATOM})*@([a-z0-9]([a-z0-9-]{{0,61}}[a-z0-9])?[.])+[a-z]{{2,63}}$"
)
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")
_TABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*){0,2}$")


class UnsupportedColumnName(ValueError):
    """A key column whose name cannot be placed in SQL text; alias it."""


def render_check_sql(name: str, *, table: str, key_column: str | None = None) -> str:
    """Load `sql/<name>.sql` with the table (and key column) names filled in.

    Names cannot be bindings, so they are checked against the plain identifier
    form first; the key column is quoted so that its exact case is kept.
    """
    if not _TABLE.match(table):
        raise ValueError(f"table {table!r} is not a plain Snowflake identifier")
    if key_column is not None and not _IDENTIFIER.match(key_column):
        raise UnsupportedColumnName(
            f"the key column {key_column!r} is not a plain identifier (letters, "
            "digits, _ and $); give it a plain alias in the audience query, e.g. "
            'SELECT "e-mail" AS EMAIL'
        )
    text = resources.files("tajo_assets.checks").joinpath(f"sql/{name}.sql")
    return text.read_text().format(table=table, key_column=key_column).strip()


@dataclass(frozen=True)
class KeyProfile:
    """Counts over the contact keys of one snapshot."""

    row_count: int
    null_keys: int
    duplicate_keys: int
    valid_emails: int
    duplicate_sample: tuple[str, ...] = ()

    @property
    def valid_email_rate(self) -> float:
        """Valid keys per row; 1.0 for an empty snapshot (nothing to send)."""
        return self.valid_emails / self.row_count if self.row_count else 1.0


@dataclass
class SnapshotProfiler:
    """Runs the checks' statements over one table, keeping their handles."""

    client: SqlApiClient
    table: str
    statement_handles: list[str] = field(default_factory=list)

    def columns(self) -> list[str]:
        """The table's column names, as Snowflake returns them."""
        result = self._run(render_check_sql("select_columns", table=self.table))
        return [column.name for column in result.columns]

    def row_count(self) -> int:
        result = self._run(render_check_sql("count_rows", table=self.table))
        return int(next(iter(result.rows()))[0])

    def keys(self, key_column: str) -> KeyProfile:
        """Null, duplicate and valid keys of `key_column`, exactly as named."""
        sql = render_check_sql("profile_keys", table=self.table, key_column=key_column)
        bindings = {
            "email_pattern": EMAIL_PATTERN,
            "max_email_length": MAX_EMAIL_LENGTH,
        }
        # Over no rows COUNT_IF may answer NULL (the sandbox's DuckDB does).
        row = next(iter(self._run(sql, bindings).rows()))
        rows, nulls, duplicates, valid = (int(n or 0) for n in row)
        sample = self._duplicate_sample(key_column) if duplicates else ()
        return KeyProfile(rows, nulls, duplicates, valid, sample)

    def _duplicate_sample(self, key_column: str) -> tuple[str, ...]:
        sql = render_check_sql(
            "duplicate_keys", table=self.table, key_column=key_column
        )
        return tuple(
            f"{mask_email(key)} x{int(count)}" for key, count in self._run(sql).rows()
        )

    def _run(self, sql: str, bindings: dict | None = None):
        result = self.client.execute(sql, bindings)
        self.statement_handles.append(result.handle)
        return result
