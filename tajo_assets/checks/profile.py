"""What the checks measure in the warehouse: a snapshot's columns and its keys.

Every measure is one statement over the snapshot table, run in Snowflake: its
column list (LIMIT 0, no rows), one aggregate pass over the contact keys, and,
only when keys repeat, a short list of the most repeated ones. No row leaves
the warehouse except that sample, which is masked before anyone sees it.

Keys are measured as the sync sends them: normalized by
`tajo_assets.sync.keys.key_sql` for the sync's kind of key (email, ext_id or
sms), so a key the checks count as repeated is one the sync would refuse.
"""

import re
from dataclasses import dataclass, field
from importlib import resources

from tajo_assets.snowflake import SqlApiClient
from tajo_assets.sync.keys import MAX_EMAIL_LENGTH, SMS_PATTERN, key_sql, mask_key

_ATOM = r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+"
# The rule of tajo_assets.sync.keys.normalize_email as a POSIX extended regular
# expression (Snowflake's REGEXP_LIKE knows no (?:...) groups), applied to a
# trimmed, lower-cased key: the local part's dots only between characters, a
# dotted domain of labels that neither start nor end with a hyphen. Both agree
# on ASCII keys; tajo_assets_tests/checks/test_profile.py holds them together.
EMAIL_PATTERN = (
    rf"^{_ATOM}([.]{_ATOM})*@([a-z0-9]([a-z0-9-]{{0,61}}[a-z0-9])?[.])+[a-z]{{2,63}}$"
)
# "+" and at most 15 digits: SMS_PATTERN bounds it already, this only makes the
# bound explicit in the statement.
_MAX_SMS_LENGTH = 16
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")
_TABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*){0,2}$")


@dataclass(frozen=True)
class KeyFormat:
    """What a well-formed key of one kind looks like to REGEXP_LIKE.

    REGEXP_LIKE matches the whole key on Snowflake, and fakesnow runs it as
    DuckDB's REGEXP_FULL_MATCH, so patterns need no anchors (EMAIL_PATTERN has
    them anyway).
    """

    pattern: str
    max_length: int


KEY_FORMATS = {
    "email": KeyFormat(EMAIL_PATTERN, MAX_EMAIL_LENGTH),
    "sms": KeyFormat(SMS_PATTERN, _MAX_SMS_LENGTH),
}
"""The kinds of key with a format rule; an ext_id is the user's own id, any text."""

_COUNT_VALID_KEYS = (
    "COUNT_IF(LENGTH(CONTACT_KEY) <= :max_key_length "
    "AND REGEXP_LIKE(CONTACT_KEY, :key_pattern))"
)


class UnsupportedColumnName(ValueError):
    """A key column whose name cannot be placed in SQL text; alias it."""


def render_check_sql(
    name: str, *, table: str, key_column: str | None = None, key_kind: str = "email"
) -> str:
    """Load `sql/<name>.sql` with the table (and key column) names filled in.

    Names cannot be bindings, so they are checked against the plain identifier
    form first; the key column is quoted so that its exact case is kept, and
    normalized as the sync normalizes a key of `key_kind` (`{key}` in the
    file). Raises ValueError for an unknown kind.
    """
    if not _TABLE.match(table):
        raise ValueError(f"table {table!r} is not a plain Snowflake identifier")
    key = valid_keys = None
    if key_column is not None:
        if not _IDENTIFIER.match(key_column):
            raise UnsupportedColumnName(
                f"the key column {key_column!r} is not a plain identifier (letters, "
                "digits, _ and $); give it a plain alias in the audience query, e.g. "
                'SELECT "e-mail" AS EMAIL'
            )
        key = key_sql(key_kind, f'"{key_column}"')
        valid_keys = _COUNT_VALID_KEYS if key_kind in KEY_FORMATS else "NULL"
    text = resources.files("tajo_assets.checks").joinpath(f"sql/{name}.sql")
    return text.read_text().format(table=table, key=key, valid_keys=valid_keys).strip()


@dataclass(frozen=True)
class KeyProfile:
    """Counts over the contact keys of one snapshot.

    `valid_keys` is None for a kind of key with no format rule (ext_id).
    """

    row_count: int
    null_keys: int
    duplicate_keys: int
    valid_keys: int | None
    duplicate_sample: tuple[str, ...] = ()

    @property
    def valid_key_rate(self) -> float:
        """Well-formed keys per row; 1.0 for an empty snapshot or no format rule."""
        if self.valid_keys is None or not self.row_count:
            return 1.0
        return self.valid_keys / self.row_count


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

    def keys(self, key_column: str, kind: str = "email") -> KeyProfile:
        """Null, duplicate and well-formed keys of `key_column`, exactly as named.

        `kind` is the sync's kind of key (email, ext_id or sms): the keys are
        normalized and checked as the sync does before sending them.
        """
        sql = render_check_sql(
            "profile_keys", table=self.table, key_column=key_column, key_kind=kind
        )
        key_format = KEY_FORMATS.get(kind)
        bindings = None
        if key_format:
            bindings = {
                "key_pattern": key_format.pattern,
                "max_key_length": key_format.max_length,
            }
        # Over no rows COUNT_IF may answer NULL (the sandbox's DuckDB does).
        rows, nulls, duplicates, valid = next(iter(self._run(sql, bindings).rows()))
        sample = self._duplicate_sample(key_column, kind) if duplicates else ()
        return KeyProfile(
            int(rows or 0),
            int(nulls or 0),
            int(duplicates or 0),
            int(valid or 0) if key_format else None,
            sample,
        )

    def _duplicate_sample(self, key_column: str, kind: str) -> tuple[str, ...]:
        sql = render_check_sql(
            "duplicate_keys", table=self.table, key_column=key_column, key_kind=kind
        )
        return tuple(
            f"{mask_key(kind, key)} x{int(count)}"
            for key, count in self._run(sql).rows()
        )

    def _run(self, sql: str, bindings: dict | None = None):
        result = self.client.execute(sql, bindings)
        self.statement_handles.append(result.handle)
        return result
