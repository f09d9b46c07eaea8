"""`tajo setup-sql`: the least-privilege Snowflake set-up for a tajo.yaml.

The script is assembled from the templates in `sql/`, filled only with
identifiers from `identifiers.py` (validated or quoted), a public key body
re-encoded from a parsed key, and parsed network addresses. The same
configuration and options always give the same text.
"""

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tajo_assets.config import AuthMethod, TajoConfig
from tajo_assets.setup.identifiers import (
    AddressError,
    IdentifierError,
    network_address,
    object_identifier,
    user_identifier,
)
from tajo_assets.setup.keygen import public_key_body
from tajo_assets.setup.sources import (
    NotAnalysable,
    SourceObject,
    model_targets,
    qualified,
    source_objects,
)
from tajo_assets.snowflake.auth import public_key_fingerprint

DEFAULT_ROLE = "TAJO_ROLE"
DEFAULT_WAREHOUSE = "TAJO_WH"
POLICY = "TAJO_POLICY"
# Snowflake shares this database with every account: its schemas and tables
# refuse GRANT USAGE and GRANT SELECT; only IMPORTED PRIVILEGES on the whole
# database give read access. Other shared databases cannot be told from a name.
SAMPLE_DATABASE = "SNOWFLAKE_SAMPLE_DATA"


class SetupError(Exception):
    """The script cannot be written as asked; the message says what to fix."""


@dataclass(frozen=True)
class PublicKey:
    """A parsed RSA public key: its file, one-line body and fingerprint."""

    path: Path
    body: str
    fingerprint: str


def read_public_key(path: Path) -> PublicKey:
    """Parse `path` as a PEM RSA public key; raise SetupError if it is not one."""
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except OSError as error:
        raise SetupError(f"--public-key {path}: {error.strerror}") from None
    except ValueError:
        raise SetupError(
            f"--public-key {path} is not a PEM public key; give the .pub file "
            "that tajo keygen wrote (not the private .p8)"
        ) from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise SetupError(f"--public-key {path} is not an RSA key; use tajo keygen")
    pem = key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    return PublicKey(path, public_key_body(pem), public_key_fingerprint(key))


def render_setup_sql(
    config: TajoConfig,
    config_path: Path,
    *,
    user: str,
    public_key: PublicKey | None = None,
    allowed_ips: Sequence[str] = (),
) -> str:
    """The whole set-up script for `config`, ending with a newline.

    Raises SetupError for an address that is not an IP address or CIDR
    block, a name holding a control character (a line break), or when the
    configuration names no database (the state schema lives in it).
    """
    try:
        names = _names(config, user)
    except IdentifierError as error:
        raise SetupError(str(error)) from None
    addresses = _addresses(allowed_ips)
    sections = [
        _template("header", config_path=str(config_path)),
        _template("role", **names),
        _template("warehouse", **names),
        _template("sources", grants=_source_grants(config, names["role"])),
        _template("state", state_schema=_state_schema(config), **names),
    ]
    if config.models is not None:
        sections.append(
            _template("models", grants=_model_grants(config, names["role"]), **names)
        )
    sections.append(
        _template("user", **names) + "\n" + _sign_in_section(config, public_key, names)
    )
    sections.append(_policy_section(addresses, names))
    return "\n\n".join(section.rstrip("\n") for section in sections) + "\n"


def _addresses(allowed_ips: Sequence[str]) -> list[str]:
    try:
        addresses = [network_address(text) for text in allowed_ips]
    except AddressError as error:
        raise SetupError(str(error)) from None
    return list(dict.fromkeys(addresses))


def _names(config: TajoConfig, user: str) -> dict[str, str]:
    snowflake = config.snowflake
    return {
        "role": object_identifier(snowflake.role or DEFAULT_ROLE),
        "warehouse": object_identifier(snowflake.warehouse or DEFAULT_WAREHOUSE),
        "user": user_identifier(user),
    }


def _state_schema(config: TajoConfig) -> str:
    database = config.snowflake.database
    if database is None:
        raise SetupError(
            "connectors.snowflake.database is not set; tajo keeps its state schema "
            f"({config.snowflake.state_schema}) in that database, so set it"
        )
    # state_schema is a checked plain identifier; tajo's SQL leaves it unquoted.
    return f"{object_identifier(database)}.{config.snowflake.state_schema.upper()}"


def _source_grants(config: TajoConfig, role: str) -> str:
    """USAGE on every database and schema tajo touches, SELECT on what it reads.

    The models' own tables get no SELECT: the role creates and so owns them.
    """
    snowflake = config.snowflake
    sources: set[SourceObject] = set(_model_sources(config))
    unanalysed = []
    for name, sql in config.queries().items():
        try:
            sources |= set(source_objects(sql, snowflake.database, snowflake.schema_))
        except NotAnalysable as reason:
            unanalysed.append(_by_hand(name, reason))
    sources -= model_targets(config.models)
    databases, schemas = _used_namespaces(config, sources)
    shared = SAMPLE_DATABASE in databases
    databases.discard(SAMPLE_DATABASE)
    schemas = {s for s in schemas if not s.startswith(f"{SAMPLE_DATABASE}.")}
    lines = _usage_grants(databases, schemas, role)
    lines += [
        f"GRANT SELECT ON TABLE {o.path} TO ROLE {role};"
        for o in sorted(sources)
        if o.database != SAMPLE_DATABASE
    ]
    if shared:
        lines.append(_template("sample_database", database=SAMPLE_DATABASE, role=role))
    return "\n".join(unanalysed + lines)


def _by_hand(query: str, reason: NotAnalysable) -> str:
    return (
        f"-- Query {query} could not be analysed: {_comment_text(str(reason))}.\n"
        "-- Grant by hand USAGE on each database and schema it reads and SELECT "
        "on each table."
    )


def _used_namespaces(
    config: TajoConfig, sources: set[SourceObject]
) -> tuple[set[str], set[str]]:
    """Databases and schemas of the sources and of the connection.

    The state schema is not listed (the role owns it), nor are the models'
    schemas, which may not exist before the models section creates them.
    """
    databases = {o.database for o in sources}
    schemas = {o.schema_path for o in sources}
    if config.snowflake.database is not None:
        databases.add(object_identifier(config.snowflake.database))
    session = _session_schema(config)
    if session is not None:
        schemas.add(session)
    return databases, schemas


def _usage_grants(databases: set[str], schemas: set[str], role: str) -> list[str]:
    lines = [f"GRANT USAGE ON DATABASE {d} TO ROLE {role};" for d in sorted(databases)]
    return lines + [
        f"GRANT USAGE ON SCHEMA {s} TO ROLE {role};" for s in sorted(schemas)
    ]


def _model_sources(config: TajoConfig) -> list[SourceObject]:
    if config.models is None:
        return []
    return [qualified(table) for table in config.models.source_tables().values()]


def _model_grants(config: TajoConfig, role: str) -> str:
    """The models' schemas, USAGE not given in section 3, and CREATE TABLE there
    and in the connection's schema (for the models' temporary tables)."""
    targets = model_targets(config.models)
    schemas = {t.schema_path for t in targets}
    granted_databases, granted_schemas = _used_namespaces(config, set())
    session = _session_schema(config)
    lines = [f"CREATE SCHEMA IF NOT EXISTS {s};" for s in sorted(schemas)]
    lines += _usage_grants(
        {t.database for t in targets} - granted_databases,
        schemas - granted_schemas,
        role,
    )
    creates = schemas | ({session} if session else set())
    lines += [
        f"GRANT CREATE TABLE ON SCHEMA {s} TO ROLE {role};" for s in sorted(creates)
    ]
    return "\n".join(lines)


def _session_schema(config: TajoConfig) -> str | None:
    snowflake = config.snowflake
    if snowflake.database is None or snowflake.schema_ is None:
        return None
    database, schema = snowflake.database, snowflake.schema_
    return f"{object_identifier(database)}.{object_identifier(schema)}"


def _sign_in_section(
    config: TajoConfig, public_key: PublicKey | None, names: dict[str, str]
) -> str:
    """How the user will sign in, for the configured auth.method."""
    method = config.snowflake.auth.method
    if method == AuthMethod.PAT:
        return _template("user_pat", **names)
    if method == AuthMethod.OAUTH:
        return _template("user_oauth", **names)
    return _key_section(public_key, names)


def _key_section(public_key: PublicKey | None, names: dict[str, str]) -> str:
    if public_key is None:
        return _template("user_no_key", **names)
    return _template(
        "user_key",
        public_key_file=str(public_key.path),
        fingerprint=public_key.fingerprint,
        public_key=public_key.body,
        **names,
    )


def _policy_section(addresses: list[str], names: dict[str, str]) -> str:
    if not addresses:
        return _template("no_network_policy")
    listed = ", ".join(f"'{address}'" for address in addresses)
    return _template("network_policy", policy=POLICY, addresses=listed, **names)


def _comment_text(text: str) -> str:
    """`text` safe inside a `--` comment: a line break would end the comment.

    Control characters become spaces, then every run of white space (which
    includes the Unicode line and paragraph separators) one space.
    """
    spaced = "".join(" " if unicodedata.category(c) == "Cc" else c for c in text)
    return " ".join(spaced.split())


def _template(name: str, **values: str) -> str:
    """The template `sql/<name>.sql` filled with `values`.

    Each value is also offered as `<key>_comment`, made safe for a `--`
    comment; templates name identifiers in comments only that way.
    """
    comments = {f"{key}_comment": _comment_text(v) for key, v in values.items()}
    text = resources.files("tajo_assets.setup").joinpath(f"sql/{name}.sql")
    return text.read_text().format(**values, **comments)
