"""`tajo doctor`: check each link from tajo.yaml to Brevo, one line per check.

Checks run in order and later ones are skipped when what they need failed:
configuration, environment, Snowflake sign-in, role, warehouse, state schema,
each model source (with a `models:` block), each query against the field
mapping, the Brevo key, the Brevo attributes. Every failure says what to fix.
Nothing secret is printed: errors name the variable a secret came from, never
its value. An unexpected error in a check is a FAIL line naming the check,
never a traceback.

Side effects: a missing state schema is created, as the first sync would, and
a transient probe table is created in it and dropped, to prove the role may.
"""

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg

from tajo_assets.brevo import BrevoClient, BrevoResource, Pacer
from tajo_assets.brevo.errors import BrevoAuthError, BrevoError
from tajo_assets.config import ConfigError, TajoConfig, check_environment, load_config
from tajo_assets.config.model import Transport
from tajo_assets.resources import build_resources
from tajo_assets.setup.sources import (
    NotAnalysable,
    SourceObject,
    model_targets,
    qualified,
    source_objects,
)
from tajo_assets.snowflake import (
    Column,
    SnowflakeAuthError,
    SnowflakeConfigurationError,
    SnowflakeError,
    SnowflakeUnavailableError,
    SqlApiClient,
    placeholder_names,
    resolve_base_url,
)
from tajo_assets.sync.event_rows import check_event_columns
from tajo_assets.sync.mapping import (
    MappingError,
    ResolvedMapping,
    holds_text,
    resolve_mapping,
    type_mismatch,
)
from tajo_assets.sync.state import EPOCH, strip_statement

BREVO_TIMEOUT_S = 15.0
OBJECT_DOES_NOT_EXIST = "002003"
_SETTINGS_FIX = "check connectors.snowflake (account, user, base_url) and the key"
_BUG_FIX = "this is a bug in tajo doctor; please report it with this line"
# Created and dropped in the state schema to prove the role may create tables.
STATE_PROBE_TABLE = "TAJO_DOCTOR_PROBE"
# The columns each model source must have (docs/models.md, "What the sources
# must contain"); the models' SQL in tajo_assets/models/sql reads exactly these.
MODEL_SOURCE_COLUMNS = {
    "orders": ("O_CUSTKEY", "O_ORDERDATE", "O_TOTALPRICE"),
    "customers": ("CUSTOMER_ID", "EMAIL", "FIRST_NAME", "LAST_NAME"),
    "customer_scores": ("EMAIL", "PREDICTED_LTV", "CHURN_SCORE", "SCORE_DATE"),
}


class Status(StrEnum):
    PASS = "PASS"  # noqa: S105 (a status, not a password)
    WARN = "WARN"
    FAIL = "FAIL"
    SKIP = "SKIP"


@dataclass(frozen=True)
class Check:
    """The outcome of one check: what was checked, what was found, the fix."""

    status: Status
    what: str
    found: str = ""
    fix: str = ""

    def line(self) -> str:
        """`STATUS  what: found`, then `fix: ...`; later lines indented."""
        text = f"{self.status.value:<4}  {self.what}"
        text += f": {self.found}" if self.found else ""
        text += f"\nfix: {self.fix}" if self.fix else ""
        return "\n      ".join(text.splitlines())


@dataclass
class _Findings:
    """What the Snowflake checks learned that the Brevo checks need."""

    mappings: dict[str, ResolvedMapping] = field(default_factory=dict)


def diagnose(config_path: Path | None = None) -> Iterator[Check]:
    """Every check for the configuration at `config_path` (default: as Dagster).

    Secrets are read from `os.environ`, as Dagster resources read them.
    """
    config, check = _load(config_path, os.environ)
    yield check
    if config is None:
        yield Check(Status.SKIP, "Snowflake and Brevo", "the configuration must load")
        return
    check = _environment(config, os.environ)
    yield check
    if check.status is Status.FAIL:
        yield Check(Status.SKIP, "Snowflake and Brevo", "the variables must be set")
        return

    found = _Findings()
    yield from _guarded("Snowflake", _snowflake_checks(config, found))
    yield from _guarded("Brevo", _brevo_checks(config, found))


def _guarded(what: str, checks: Iterator[Check]) -> Iterator[Check]:
    """`checks`, with an unexpected exception turned into a FAIL line naming
    `what`. A SnowflakeError passes through to the Snowflake checks' handler.
    """
    try:
        yield from checks
    except SnowflakeError:
        raise  # the Snowflake checks end with it, naming the step it stopped
    except Exception as error:  # a line for the user, not a traceback
        yield _unexpected(what, error)


def _unexpected(what: str, error: Exception) -> Check:
    return Check(Status.FAIL, what, f"{type(error).__name__}: {error}", _BUG_FIX)


def _load(path: Path | None, env: Mapping[str, str]) -> tuple[TajoConfig | None, Check]:
    try:
        config = load_config(path, env=env)
    except ConfigError as error:
        return None, Check(
            Status.FAIL, "configuration", str(error), "correct the lines listed"
        )
    queries = len(config.queries())
    syncs = len(config.syncs()) + len(config.event_syncs())
    found = f"loads ({_count(queries, 'query', 'queries')}, {_count(syncs, 'sync')})"
    return config, Check(Status.PASS, "configuration", found)


def _environment(config: TajoConfig, env: Mapping[str, str]) -> Check:
    try:
        check_environment(config, env=env)
    except ConfigError as error:
        return Check(Status.FAIL, "environment", str(error), "export them and rerun")
    return Check(Status.PASS, "environment", "every variable the file needs is set")


# -- Snowflake ------------------------------------------------------------------


def _snowflake_checks(config: TajoConfig, found: _Findings) -> Iterator[Check]:
    if not config.snowflake.enabled:
        yield Check(Status.SKIP, "Snowflake", "connectors.snowflake.enabled is false")
        return
    try:
        resource = _initialized(build_resources(config)["snowflake"])
        with resource.get_client() as client:
            identity = _identity(client)
            yield Check(
                Status.PASS,
                "Snowflake sign-in",
                f"signed in to {_target(config)} as {identity['USER_NAME']}",
            )
            yield _checked("Snowflake role", _role, config, identity)
            yield _checked("Snowflake warehouse", _warehouse, config, identity)
            yield _checked("state schema", _state_schema, config, client, identity)
            yield from _guarded("model sources", _model_sources(config, client))
            yield from _guarded("queries", _queries(config, client, found))
    except SnowflakeError as error:
        yield _snowflake_failure(_failed_step(error), error)
    except dg.DagsterError as error:
        yield Check(Status.FAIL, "Snowflake settings", str(error), _SETTINGS_FIX)


def _checked(what: str, check, *args) -> Check:
    """`check(*args)`; a FAIL line naming `what` if it raises unexpectedly.

    A SnowflakeError still ends the Snowflake checks (the session is gone).
    """
    try:
        return check(*args)
    except SnowflakeError:
        raise
    except Exception as error:  # a line for the user, not a traceback
        return _unexpected(what, error)


def _target(config: TajoConfig) -> str:
    """Where the client signs in, from the configuration (either transport)."""
    snowflake = config.snowflake
    if snowflake.transport == Transport.CONNECTOR:
        # The connector finds the host from the account; base_url is not used.
        return f"account {snowflake.account}"
    return resolve_base_url(snowflake.account, snowflake.base_url)


def _initialized(resource: dg.ConfigurableResource):
    """The resource with its `dg.EnvVar` settings read from the environment."""
    return resource.process_config_and_initialize()


def _identity(client: SqlApiClient) -> dict[str, str | None]:
    result = client.execute(_sql("identity"))
    row = next(result.rows())
    return {
        column.name.upper(): value
        for column, value in zip(result.columns, row, strict=True)
    }


def _failed_step(error: SnowflakeError) -> str:
    """Which step a client error stopped: reaching, signing in, or the session."""
    if isinstance(error, SnowflakeUnavailableError):
        return "Snowflake reachable"
    if isinstance(error, SnowflakeConfigurationError):
        return "Snowflake settings"
    if isinstance(error, SnowflakeAuthError):
        return "Snowflake sign-in"
    return "Snowflake session"


def _snowflake_failure(what: str, error: SnowflakeError, fix: str = "") -> Check:
    """A FAIL line from a client error: its text, and its advice as the fix."""
    found = f"{error.summary}: {error.message}" if error.summary else error.message
    return Check(Status.FAIL, what, found, fix or error.advice or _SETTINGS_FIX)


def _role(config: TajoConfig, identity: Mapping[str, str | None]) -> Check:
    wanted, current = config.snowflake.role, identity["ROLE_NAME"]
    if wanted is None:
        return Check(
            Status.PASS,
            "Snowflake role",
            f"none configured; statements run as the user's default role {current}",
        )
    if current == wanted:
        return Check(Status.PASS, "Snowflake role", f"statements run as {current}")
    return Check(
        Status.FAIL,
        "Snowflake role",
        f"connectors.snowflake.role is {wanted} but statements run as {current}",
        f"GRANT ROLE {wanted} TO USER {identity['USER_NAME']} (see tajo setup-sql), "
        "or correct the role's spelling and case as SHOW ROLES lists it",
    )


def _warehouse(config: TajoConfig, identity: Mapping[str, str | None]) -> Check:
    wanted, current = config.snowflake.warehouse, identity["WAREHOUSE_NAME"]
    if current is None or (wanted is not None and current != wanted):
        shown = wanted or "none configured"
        return Check(
            Status.FAIL,
            "Snowflake warehouse",
            f"connectors.snowflake.warehouse is {shown} but no warehouse is in use"
            if current is None
            else f"connectors.snowflake.warehouse is {wanted} but {current} is in use",
            "set connectors.snowflake.warehouse to a warehouse the role may use "
            "(GRANT USAGE ON WAREHOUSE ..., see tajo setup-sql)",
        )
    return Check(Status.PASS, "Snowflake warehouse", f"statements run on {current}")


def _state_schema(
    config: TajoConfig, client: SqlApiClient, identity: Mapping[str, str | None]
) -> Check:
    schema = config.snowflake.state_schema.upper()
    database = identity["DATABASE_NAME"]
    what = "state schema"
    if database is None:
        return Check(
            Status.FAIL,
            what,
            f"no database is in use, so {schema} has no home",
            "set connectors.snowflake.database",
        )
    try:
        # INFORMATION_SCHEMA lists only schemas the role can see, and CREATE
        # SCHEMA IF NOT EXISTS does nothing for a schema the role cannot use:
        # only creating a table there proves a sync can keep its state.
        exists = _schema_exists(client, schema)
        if not exists:
            client.execute(_sql("create_state_schema", state_schema=schema))
        _create_and_drop_probe(client, schema)
    except SnowflakeError as error:
        return _snowflake_failure(
            f"{what} {database}.{schema}",
            error,
            "run the state section of tajo setup-sql (the role must own the schema)",
        )
    action = "exists" if exists else "did not exist; created it, as a sync would"
    proof = "the role created and dropped a table in it"
    return Check(Status.PASS, what, f"{database}.{schema} {action}; {proof}")


def _create_and_drop_probe(client: SqlApiClient, schema: str) -> None:
    names = {"state_schema": schema, "probe_table": STATE_PROBE_TABLE}
    client.execute(_sql("state_table_probe", **names))
    client.execute(_sql("drop_state_table_probe", **names))


def _schema_exists(client: SqlApiClient, schema: str) -> bool:
    result = client.execute(_sql("state_schema_exists"), {"schema_name": schema})
    return next(result.rows())[0] > 0


def _model_sources(config: TajoConfig, client: SqlApiClient) -> Iterator[Check]:
    """With a models: block, each source table exists with the columns it needs."""
    if config.models is None:
        return
    for role, table in config.models.source_tables().items():
        yield _checked(f"model source {role}", _model_source, client, role, table)


def _model_source(client: SqlApiClient, role: str, table: str) -> Check:
    what, needed = f"model source {role}", MODEL_SOURCE_COLUMNS[role]
    try:
        columns = _table_columns(client, qualified(table))
    except SnowflakeError as error:
        if error.code != OBJECT_DOES_NOT_EXIST:
            raise
        return Check(
            Status.FAIL,
            what,
            f"{table} does not exist or the role may not read it",
            f"set models.{role} to the table holding {', '.join(needed)}, or "
            "grant the role SELECT on it (see tajo setup-sql)",
        )
    have = {column.name.upper() for column in columns}
    missing = [name for name in needed if name not in have]
    if missing:
        return Check(
            Status.FAIL,
            what,
            f"{table} lacks {', '.join(missing)}",
            f"point models.{role} at a view that names its columns "
            f"{', '.join(needed)} (see docs/models.md)",
        )
    return Check(Status.PASS, what, f"{table} has {', '.join(needed)}")


def _table_columns(client: SqlApiClient, table: SourceObject) -> tuple[Column, ...]:
    """The columns of `table`, read with no rows; raises SnowflakeError."""
    return client.execute(_sql("probe_table", table=table.path)).columns


def _queries(
    config: TajoConfig, client: SqlApiClient, found: _Findings
) -> Iterator[Check]:
    """Each query compiled with no rows; each sync's mapping against its columns."""
    columns: dict[str, tuple[Column, ...]] = {}
    for name, sql in config.queries().items():
        try:
            columns[name] = _probe(client, sql)
        except SnowflakeError as error:
            yield _query_failure(config, client, name, sql, error)
            continue
        yield Check(Status.PASS, f"query {name}", f"runs, {len(columns[name])} columns")
    timezone = ZoneInfo(config.snowflake.timezone)
    for spec in config.syncs():
        if spec.query_name not in columns:
            found_nothing = f"query {spec.query_name} did not run"
            yield Check(Status.SKIP, f"sync {spec.name} mapping", found_nothing)
            continue
        source = f"query {spec.query_name}"
        try:
            mapping = resolve_mapping(
                spec.mapping,
                columns[spec.query_name],
                source,
                timezone,
                options=spec.attributes,
            )
        except MappingError as error:
            yield Check(Status.FAIL, f"sync {spec.name} mapping", str(error))
            continue
        found.mappings[spec.name] = mapping
        yield Check(
            Status.PASS,
            f"sync {spec.name} mapping",
            f"{source} returns all {len(spec.mapping.columns)} mapped columns",
        )
    yield from _event_columns(config, columns)


def _event_columns(
    config: TajoConfig, columns: dict[str, tuple[Column, ...]]
) -> Iterator[Check]:
    """Each event sync's event block against its query's columns."""
    for spec in config.event_syncs():
        what = f"sync {spec.name} event"
        if spec.query_name not in columns:
            yield Check(Status.SKIP, what, f"query {spec.query_name} did not run")
            continue
        try:
            check_event_columns(spec, columns[spec.query_name])
        except MappingError as error:
            yield Check(Status.FAIL, what, str(error))
            continue
        found = f"query {spec.query_name} returns the {len(spec.columns())} columns"
        yield Check(Status.PASS, what, found)


def _query_failure(
    config: TajoConfig, client: SqlApiClient, name: str, sql: str, error: SnowflakeError
) -> Check:
    """FAIL, or WARN when the only missing objects are model tables not built yet.

    The error's text is not parsed (its form differs between accounts and
    transports): every table the query reads is probed instead.
    """
    what, fix = f"query {name}", f"correct the SQL of query {name} in tajo.yaml"
    read = _tables_read(config, sql) if error.code == OBJECT_DOES_NOT_EXIST else []
    missing = [table for table in read if not _exists(client, table)]
    targets = model_targets(config.models)
    unbuilt = [table.path for table in missing if table in targets]
    others = [table.path for table in missing if table not in targets]
    if others:
        found = f"{', '.join(others)} does not exist or the role may not read it"
        grant = "; or grant the role SELECT on it (see tajo setup-sql)"
        return Check(Status.FAIL, what, found, fix + grant)
    if unbuilt:
        return Check(
            Status.WARN,
            what,
            f"reads {', '.join(unbuilt)}, which the warehouse models create on "
            "their first run; run doctor again after materializing them",
        )
    return _snowflake_failure(what, error, fix)


def _tables_read(config: TajoConfig, sql: str) -> list[SourceObject]:
    snowflake = config.snowflake
    try:
        return source_objects(sql, snowflake.database, snowflake.schema_)
    except NotAnalysable:
        return []


def _exists(client: SqlApiClient, table: SourceObject) -> bool:
    """Whether the role can read `table`; Snowflake says the same for both."""
    try:
        _table_columns(client, table)
    except SnowflakeError as error:
        if error.code == OBJECT_DOES_NOT_EXIST:
            return False
        raise
    return True


def _probe(client: SqlApiClient, sql: str) -> tuple[Column, ...]:
    """The query's columns, from a run that returns no rows.

    A window's bounds are bound to the epoch and now, as for a full resync.
    """
    statement = _sql("probe_query", query=strip_statement(sql))
    window = {"last_sync": EPOCH, "window_end": datetime.now(UTC)}
    used = placeholder_names(sql)
    bindings = {name: value for name, value in window.items() if name in used}
    return client.execute(statement, bindings or None).columns


# -- Brevo ----------------------------------------------------------------------


def _brevo_checks(config: TajoConfig, found: _Findings) -> Iterator[Check]:
    try:
        resource = _initialized(build_resources(config)["brevo"])
        with _brevo_client(resource) as brevo:
            brevo.check_key()
            yield Check(
                Status.PASS,
                "Brevo API key",
                f"{resource.base_url} accepts the key from {resource.api_key_env}",
            )
            yield _attributes(brevo, found)
    except BrevoAuthError as error:
        fix = f"export a valid Brevo API v3 key in {config.brevo.api_key.env_var}"
        yield Check(Status.FAIL, "Brevo API key", str(error), fix)
    except (BrevoError, dg.DagsterError) as error:
        fix = "check connectors.brevo.base_url and the network"
        yield Check(Status.FAIL, "Brevo reachable", str(error), fix)


def _brevo_client(resource: BrevoResource) -> BrevoClient:
    # One retry only: a doctor should answer quickly when Brevo is unreachable.
    return BrevoClient(
        resource.api_key,
        resource.base_url,
        timeout_s=BREVO_TIMEOUT_S,
        pacer=Pacer(tier=resource.tier),
        max_retries=1,
        api_key_env=resource.api_key_env,
    )


def _attributes(brevo: BrevoClient, found: _Findings) -> Check:
    what = "Brevo attributes"
    if not found.mappings:
        return Check(Status.SKIP, what, "no sync mapping could be checked")
    existing = {a.name.upper(): a for a in brevo.get_attributes()}
    missing, mismatched = {}, []
    for mapping in found.mappings.values():
        for name, kind in mapping.attribute_types().items():
            have = existing.get(name.upper())
            if have is None:
                missing[name] = kind
            elif holds_text(have):
                continue  # the sync sends any column's values to it as text
            elif (mismatch := type_mismatch(have, kind)) is not None:
                mismatched.append(mismatch)
    if not missing and not mismatched:
        return Check(Status.PASS, what, "every mapped attribute exists")
    notes = []
    if missing:
        listed = ", ".join(f"{n} ({k})" for n, k in sorted(missing.items()))
        notes.append(f"missing {listed}; the first sync creates them")
    if mismatched:
        notes.append(
            "; ".join(mismatched)
            + " (Brevo ignores values of the wrong type, so the sync stops before "
            "sending: change the attribute type in Brevo or cast the column)"
        )
        return Check(Status.FAIL, what, "; ".join(notes))
    return Check(Status.WARN, what, "; ".join(notes))


def _sql(name: str, **identifiers: str) -> str:
    text = resources.files("tajo_assets.setup").joinpath(f"sql/{name}.sql")
    return text.read_text().format(**identifiers).strip()


def _count(number: int, noun: str, plural: str | None = None) -> str:
    return f"{number} {noun if number == 1 else plural or noun + 's'}"
