"""What the demo landed in the sandbox Brevo, checked against the warehouse.

The check is independent of the sync engine's own encoding: every row of each
audience snapshot is compared, attribute by attribute, with the contact the
Brevo sandbox holds, using plain conversions (numbers as floats, dates and
timestamps as days). Rows with invalid emails are expected to be absent.
"""

import math
import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import dagster as dg

from tajo_assets.config import SyncSpec, TajoConfig, load_config
from tajo_assets.resources import build_resources
from tajo_assets.sandbox.runner import RunningSandbox
from tajo_assets.snowflake import SnowflakeTransport
from tajo_assets.sync.keys import mask_email, normalize_email
from tajo_assets.sync.state import render_sql, snapshot_table

MISMATCH_EXAMPLES = 5


@dataclass
class SyncCheck:
    """The comparison of one sync's snapshot with Brevo."""

    name: str
    list_name: str = ""
    list_members: int = 0
    rows: int = 0
    invalid_emails: int = 0
    matching: int = 0
    missing: int = 0
    not_in_list: int = 0
    mismatched: int = 0
    examples: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.rows > 0 and not (
            self.missing or self.not_in_list or self.mismatched
        )


@dataclass(frozen=True)
class DemoSummary:
    text: str
    ok: bool


def summarize(
    sandbox: RunningSandbox, config_path: Path, env: Mapping[str, str]
) -> DemoSummary:
    """Compare every synced audience with the sandbox Brevo's contacts."""
    config = load_config(config_path, env=env)
    contacts = {c["email"]: c for c in sandbox.brevo.contacts() if c.get("email")}
    lists = sandbox.brevo.lists()
    with _warehouse(config, env).get_client() as warehouse:
        checks = [
            _check_sync(spec, config, warehouse, contacts, lists)
            for spec in config.syncs()
        ]
    text = _render(contacts, sandbox, checks) + _render_run(env)
    return DemoSummary(text, all(c.ok for c in checks))


def _warehouse(config: TajoConfig, env: Mapping[str, str]) -> dg.ConfigurableResource:
    """The run's own Snowflake resource, its variables read from `env`."""
    resource = build_resources(config)["snowflake"]
    with _environment(env):
        return resource.process_config_and_initialize()


@contextmanager
def _environment(env: Mapping[str, str]) -> Iterator[None]:
    """Resources read their EnvVars from os.environ; lend them `env` meanwhile."""
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _check_sync(
    spec: SyncSpec,
    config: TajoConfig,
    warehouse: SnowflakeTransport,
    contacts: dict[str, dict],
    lists: list[dict],
) -> SyncCheck:
    check = SyncCheck(spec.name)
    target = _find_list(spec, lists)
    check.list_name, check.list_members = target["name"], len(target["contactIds"])
    table = snapshot_table(config.snowflake.state_schema, spec.query_name)
    result = warehouse.execute(render_sql("read_snapshot", snapshot_table=table))
    columns = {column.name.upper(): i for i, column in enumerate(result.columns)}
    timezone = ZoneInfo(config.snowflake.timezone)
    for row in result.rows():
        check.rows += 1
        raw_email = row[columns[spec.mapping.identifier_column.upper()]]
        email = normalize_email(raw_email)
        if email is None:
            check.invalid_emails += 1
            continue
        contact = contacts.get(email)
        if contact is None:
            check.missing += 1
            _example(check, f"{mask_email(email)} is not in Brevo")
            continue
        if target["id"] not in contact.get("listIds", []):
            check.not_in_list += 1
        _compare(check, spec, row, columns, contact, timezone)
    return check


def _find_list(spec: SyncSpec, lists: list[dict]) -> dict:
    for candidate in lists:
        if candidate["id"] == spec.list_id or candidate["name"] == spec.list_name:
            return candidate
    return {
        "id": None,
        "name": f"(missing: {spec.list_name or spec.list_id})",
        "contactIds": [],
    }


def _compare(
    check: SyncCheck,
    spec: SyncSpec,
    row: tuple,
    columns: dict[str, int],
    contact: dict,
    timezone: ZoneInfo,
) -> None:
    stored = contact.get("attributes", {})
    for column, attribute in spec.mapping.attributes.items():
        expected = _plain(row[columns[column.upper()]], timezone)
        actual = stored.get(attribute)
        if not _same(expected, actual):
            check.mismatched += 1
            _example(
                check,
                f"{mask_email(contact['email'])}: {attribute} is {actual!r}, "
                f"warehouse has {expected!r}",
            )
            return
    check.matching += 1


def _plain(value: Any, timezone: ZoneInfo) -> Any:
    if isinstance(value, datetime):
        value = value.astimezone(timezone) if value.tzinfo else value
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return float(value)
    return value


def _same(expected: Any, actual: Any) -> bool:
    if expected is None:
        return actual in (None, "")
    if isinstance(expected, float) and isinstance(actual, int | float):
        return math.isclose(expected, float(actual), rel_tol=1e-12, abs_tol=1e-9)
    return expected == actual


def _example(check: SyncCheck, text: str) -> None:
    if len(check.examples) < MISMATCH_EXAMPLES:
        check.examples.append(text)


def _render(
    contacts: dict[str, dict], sandbox: RunningSandbox, checks: list[SyncCheck]
) -> str:
    lines = [
        "",
        "What landed in the sandbox Brevo",
        f"  contacts:   {len(contacts):,}",
        f"  attributes: {', '.join(a['name'] for a in sandbox.brevo.attributes())}",
    ]
    for check in checks:
        lines += [
            f"  sync {check.name} -> list '{check.list_name}' "
            f"({check.list_members:,} members)",
            f"    warehouse rows {check.rows:,}: {check.matching:,} in Brevo with "
            f"every mapped attribute equal to the warehouse value",
            f"    rejected before sending (invalid email): {check.invalid_emails:,}",
            f"    missing from Brevo: {check.missing:,}, not in the list: "
            f"{check.not_in_list:,}, attribute mismatches: {check.mismatched:,}",
        ]
        lines += [f"      e.g. {example}" for example in check.examples]
        lines.append(f"    {'OK' if check.ok else 'FAILED'}")
    return "\n".join(lines)


_RUN_EVENTS = {
    dg.DagsterEventType.ASSET_OBSERVATION,
    dg.DagsterEventType.ASSET_MATERIALIZATION,
    dg.DagsterEventType.ASSET_CHECK_EVALUATION,
}


def _render_run(env: Mapping[str, str]) -> str:
    """What the latest `tajo_sync` run observed, built and checked."""
    with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        runs = instance.get_runs(dg.RunsFilter(job_name="tajo_sync"), limit=1)
        if not runs:
            return "\n\nNo tajo_sync run was recorded."
        records = instance.all_logs(runs[0].run_id, of_type=_RUN_EVENTS)
        events = [record.dagster_event for record in records]
    observed = _keys(e for e in events if e.event_type_value == "ASSET_OBSERVATION")
    built = _keys(e for e in events if e.event_type_value == "ASSET_MATERIALIZATION")
    checks = [
        e.event_specific_data
        for e in events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    ]
    lines = [
        "",
        "",
        f"What the tajo_sync run did (run {runs[0].run_id[:8]})",
        f"  observed:      {', '.join(observed) or 'nothing'}",
        f"  materialized:  {', '.join(built) or 'nothing'}",
        f"  checks passed: {sum(c.passed for c in checks)} of {len(checks)}",
    ]
    lines += [
        f"    not passed:  {c.check_name} on {c.asset_key.to_user_string()} "
        f"({c.severity.value.lower()}{', blocking' if c.blocking else ''})"
        for c in checks
        if not c.passed
    ]
    return "\n".join(lines)


def _keys(events: Iterable) -> list[str]:
    return sorted({event.asset_key.to_user_string() for event in events})
