"""Blocking checks on each synced audience: what is about to be sent to Brevo.

One check step per audience runs after its snapshot and before its sync, and
reports up to four checks; any failure stops the sync of that audience (the
snapshot stays materialized, nothing reaches Brevo) and the check's
description and metadata in the UI say why and what to fix.

Keys are checked as the sync sends them, by its kind of key (the mapping's
identifier target): compared after the same normalization, and held to the
kind's format by a check named for it, `valid_email_rate`, `valid_sms_rate`
or `valid_ext_id_rate` (an ext_id has no format rule, so that one passes).

They run in one step rather than four so that the snapshot is read once: one
statement for its columns, one aggregate over its keys. When the snapshot has
no rows the sync has nothing to send, and the step runs no statement at all.
"""

import difflib
import logging
from collections.abc import Iterator
from dataclasses import dataclass

import dagster as dg

from tajo_assets.assets.failures import configuration_errors_as_failures
from tajo_assets.assets.warehouse import audience_key
from tajo_assets.automation.jobs import FORCE_TAG, tag_is_set
from tajo_assets.automation.partitions import is_incremental
from tajo_assets.checks.profile import (
    KeyProfile,
    SnapshotProfiler,
    UnsupportedColumnName,
)
from tajo_assets.checks.row_count import (
    ROW_COUNT_CHECK,
    materialized_row_counts,
    row_count_result,
    statement_metadata,
)
from tajo_assets.config import SyncSpec, TajoConfig
from tajo_assets.config.checks import ChecksConfig
from tajo_assets.snowflake import SnowflakeSqlApiResource
from tajo_assets.sync.state import snapshot_table

log = logging.getLogger("tajo_assets.sync")

MAPPED_COLUMNS_CHECK = "mapped_columns_present"
KEYS_CHECK = "keys_unique_and_not_null"
EMAIL_RATE_CHECK = "valid_email_rate"


@dataclass(frozen=True)
class KeyWording:
    """How the checks speak of one kind of key (see tajo_assets.sync.keys)."""

    normalized: str
    """How keys are compared, as the sync sends them."""
    well_formed: str | None
    """What a row's key must be to count as valid; None: no format rule."""
    counted: str
    """The plural in metadata names: valid_<counted>, invalid_<counted>."""
    expected: str = ""
    """What the key column should hold, for a failed format check."""


KEY_WORDING = {
    "email": KeyWording(
        "trimmed and lower-cased", "a valid email", "emails", "email addresses"
    ),
    "ext_id": KeyWording("trimmed (case kept)", None, "ext_ids"),
    "sms": KeyWording(
        "written in international format (separators dropped, a 00 prefix made +)",
        "an SMS number in international format (+, country code, number)",
        "sms_numbers",
        "phone numbers with their country code (+33 6 12 34 56 78 or "
        "0033 6 12 34 56 78, not 06 12 34 56 78)",
    ),
}


def key_format_check(kind: str) -> str:
    """The name of the format check of a sync keyed by `kind`.

    valid_email_rate, valid_sms_rate or valid_ext_id_rate: a sync's kind of
    key is part of its configuration, so the name stays put for that sync.
    """
    return f"valid_{kind}_rate"


def build_audience_checks(
    spec: SyncSpec, config: TajoConfig
) -> dg.AssetChecksDefinition:
    """The blocking checks on the audience that sync `spec` sends."""
    asset = audience_key(spec.query_name)
    table = snapshot_table(config.snowflake.state_schema, spec.query_name)
    thresholds = config.checks
    incremental = is_incremental(spec.sql)

    @dg.multi_asset_check(
        name=f"check_audience_{spec.query_name}",
        specs=_specs(asset, spec, thresholds, incremental),
        pool="snowflake",
        description=f"Checks on `{table}` before sync `{spec.name}` sends it.",
    )
    def _checks(
        context: dg.AssetCheckExecutionContext, snowflake: SnowflakeSqlApiResource
    ) -> Iterator[dg.AssetCheckResult]:
        latest, previous = materialized_row_counts(context.instance, asset)
        if latest == 0:
            log.info("audience %s has no rows; nothing to check", spec.query_name)
            measured = Measured.empty()
        else:
            with configuration_errors_as_failures(), snowflake.get_client() as client:
                measured = measure(SnapshotProfiler(client, table), spec)
        yield from _results(asset, spec, thresholds, measured)
        if not incremental:
            # A forced run is one where a person said the audience really
            # shrank: the sync's own guard and this check both let it through.
            forced = tag_is_set(context.run.tags, FORCE_TAG)
            yield row_count_result(
                asset,
                measured.row_count,
                previous,
                1.0 if forced else thresholds.max_row_count_drop,
                metadata={**measured.statements, "forced": forced},
            )

    return _checks


def _specs(
    asset: dg.AssetKey, spec: SyncSpec, thresholds: ChecksConfig, incremental: bool
) -> list[dg.AssetCheckSpec]:
    key, kind = spec.mapping.identifier_column, spec.mapping.identifier_target
    wording = KEY_WORDING[kind]
    described = {
        MAPPED_COLUMNS_CHECK: "Every column the field mapping names is in the "
        "snapshot; a missing one means the query or a table under it changed.",
        KEYS_CHECK: f"Column {key} is empty or NULL in at most "
        f"{thresholds.max_null_keys} rows (checks.max_null_keys) and repeats in at "
        f"most {thresholds.max_duplicate_keys} (checks.max_duplicate_keys), "
        f"compared {wording.normalized} as the sync sends them ({kind} keys).",
        key_format_check(kind): _format_rule(key, kind, thresholds),
    }
    if not incremental:
        described[ROW_COUNT_CHECK] = (
            f"The audience keeps at least {1 - thresholds.max_row_count_drop:.0%} of "
            "the rows of its previous snapshot (checks.max_row_count_drop). Only "
            "for full audiences: one filtered on :last_sync varies by design."
        )
    return [
        dg.AssetCheckSpec(name, asset=asset, blocking=True, description=text)
        for name, text in described.items()
    ]


def _format_rule(key: str, kind: str, thresholds: ChecksConfig) -> str:
    well_formed = KEY_WORDING[kind].well_formed
    if well_formed is None:
        return (
            f"Always passes: {kind} keys have no format rule (any text is the "
            f"contact's own id); {KEYS_CHECK} checks {key} for NULLs and repeats."
        )
    return (
        f"At least {thresholds.min_valid_email_rate:.1%} of rows have "
        f"{well_formed} in {key} (checks.min_valid_email_rate, the threshold for "
        "every kind of key); a lower rate means a broken query, not a few bad keys."
    )


@dataclass(frozen=True)
class Measured:
    """What the warehouse said about one snapshot; `keys` None if not measured."""

    row_count: int
    columns: tuple[str, ...] | None
    keys: KeyProfile | None
    statements: dict[str, object]

    @classmethod
    def empty(cls) -> "Measured":
        return cls(0, None, None, statement_metadata([]))


def measure(profiler: SnapshotProfiler, spec: SyncSpec) -> Measured:
    """Columns, then key counts if the key column is among them."""
    columns = profiler.columns()
    key_column = _find_column(columns, spec.mapping.identifier_column)
    kind = spec.mapping.identifier_target
    try:
        keys = profiler.keys(key_column, kind) if key_column else None
    except UnsupportedColumnName as error:
        raise dg.Failure(str(error), allow_retries=False) from error
    row_count = keys.row_count if keys else profiler.row_count()
    statements = statement_metadata(profiler.statement_handles)
    return Measured(row_count, tuple(columns), keys, statements)


def _find_column(columns: list[str], name: str) -> str | None:
    """The snapshot's name for `name`; matched case-insensitively like the sync."""
    return next((c for c in columns if c.upper() == name.upper()), None)


def _results(
    asset: dg.AssetKey, spec: SyncSpec, thresholds: ChecksConfig, measured: Measured
) -> Iterator[dg.AssetCheckResult]:
    format_check = key_format_check(spec.mapping.identifier_target)
    if measured.columns is None:
        for name in (MAPPED_COLUMNS_CHECK, KEYS_CHECK, format_check):
            yield _nothing_to_send(asset, name)
        return
    yield _mapped_columns(asset, spec, measured)
    if measured.keys is None:
        for name in (KEYS_CHECK, format_check):
            yield _key_column_missing(asset, name, spec, measured)
        return
    yield _keys(asset, spec, thresholds, measured)
    yield _key_format(asset, spec, thresholds, measured)


def _nothing_to_send(asset: dg.AssetKey, name: str) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        asset_key=asset,
        check_name=name,
        passed=True,
        metadata={"rows": 0, "skipped_reason": "the audience snapshot has no rows"},
        description="nothing to check: the snapshot has no rows, so the sync "
        "sends nothing (no statement was run)",
    )


def _mapped_columns(
    asset: dg.AssetKey, spec: SyncSpec, measured: Measured
) -> dg.AssetCheckResult:
    available = list(measured.columns)
    upper = {c.upper() for c in available}
    missing = [c.upper() for c in spec.mapping.columns if c.upper() not in upper]
    hints = {
        name: close[0]
        for name in missing
        if (close := difflib.get_close_matches(name, available, n=1, cutoff=0.75))
    }
    metadata = {
        "missing_columns": dg.MetadataValue.json(missing),
        "did_you_mean": dg.MetadataValue.json(hints),
        "snapshot_columns": dg.MetadataValue.json(available),
        **measured.statements,
    }
    if not missing:
        description = f"all {len(spec.mapping.columns)} mapped columns are present"
    else:
        # Worded as the sync's own MappingError (tajo_assets.sync.mapping).
        hint = ", ".join(f"{m} -> {c}?" for m, c in hints.items())
        description = (
            f"field_mapping names column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)}, but query {spec.query_name} returns "
            f"{', '.join(available) or 'no columns'}"
            f"{f' (did you mean {hint})' if hint else ''}; fix the mapping of sync "
            f"{spec.name} or the query (or a view or table it reads)"
        )
    return dg.AssetCheckResult(
        asset_key=asset,
        check_name=MAPPED_COLUMNS_CHECK,
        passed=not missing,
        metadata=metadata,
        description=description,
    )


def _key_column_missing(
    asset: dg.AssetKey, name: str, spec: SyncSpec, measured: Measured
) -> dg.AssetCheckResult:
    key = spec.mapping.identifier_column
    return dg.AssetCheckResult(
        asset_key=asset,
        check_name=name,
        passed=False,
        metadata={"key_column": key, **measured.statements},
        description=f"not measured: the key column {key.upper()} is not in the "
        f"snapshot (see {MAPPED_COLUMNS_CHECK})",
    )


def _keys(
    asset: dg.AssetKey, spec: SyncSpec, thresholds: ChecksConfig, measured: Measured
) -> dg.AssetCheckResult:
    keys, key = measured.keys, spec.mapping.identifier_column.upper()
    normalized = KEY_WORDING[spec.mapping.identifier_target].normalized
    too_many_nulls = keys.null_keys > thresholds.max_null_keys
    too_many_duplicates = keys.duplicate_keys > thresholds.max_duplicate_keys
    problems = []
    if too_many_nulls:
        problems.append(
            f"{keys.null_keys} rows have an empty or NULL {key} (checks."
            f"max_null_keys allows {thresholds.max_null_keys}); filter them out "
            f"in the query (WHERE {key} IS NOT NULL)"
        )
    if too_many_duplicates:
        problems.append(
            f"{keys.duplicate_keys} rows repeat another row's {key} once "
            f"{normalized} (checks.max_duplicate_keys allows "
            f"{thresholds.max_duplicate_keys}); Brevo would keep only one, so "
            "make the query return one row per contact (GROUP BY or QUALIFY)"
        )
    return dg.AssetCheckResult(
        asset_key=asset,
        check_name=KEYS_CHECK,
        passed=not problems,
        metadata={
            "rows": keys.row_count,
            "null_keys": keys.null_keys,
            "max_null_keys": thresholds.max_null_keys,
            "duplicate_keys": keys.duplicate_keys,
            "max_duplicate_keys": thresholds.max_duplicate_keys,
            "duplicate_sample": dg.MetadataValue.json(list(keys.duplicate_sample)),
            **measured.statements,
        },
        description="; ".join(problems)
        or f"{keys.row_count} rows, every {key} present and unique",
    )


def _key_format(
    asset: dg.AssetKey, spec: SyncSpec, thresholds: ChecksConfig, measured: Measured
) -> dg.AssetCheckResult:
    kind = spec.mapping.identifier_target
    keys, key = measured.keys, spec.mapping.identifier_column.upper()
    wording, name = KEY_WORDING[kind], key_format_check(kind)
    if keys.valid_keys is None:
        return _no_format_rule(asset, name, kind, key, measured)

    rate, minimum = keys.valid_key_rate, thresholds.min_valid_email_rate
    passed = rate >= minimum
    summary = f"{keys.valid_keys} of {keys.row_count} rows ({rate:.2%}) have "
    summary += f"{wording.well_formed} in {key}"
    if not passed:
        summary += (
            f", below checks.min_valid_email_rate ({minimum:.2%}); check that "
            f"{key} holds {wording.expected}, or lower the threshold in tajo.yaml"
        )
    return dg.AssetCheckResult(
        asset_key=asset,
        check_name=name,
        passed=passed,
        metadata={
            "rows": keys.row_count,
            f"valid_{wording.counted}": keys.valid_keys,
            f"invalid_{wording.counted}": keys.row_count - keys.valid_keys,
            name: round(rate, 6),
            "min_valid_email_rate": minimum,
            **measured.statements,
        },
        description=summary,
    )


def _no_format_rule(
    asset: dg.AssetKey, name: str, kind: str, key: str, measured: Measured
) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        asset_key=asset,
        check_name=name,
        passed=True,
        metadata={"rows": measured.keys.row_count, **measured.statements},
        description=f"nothing to measure: {kind} keys have no format rule, any "
        f"text in {key} is the contact's own id (see {KEYS_CHECK})",
    )
