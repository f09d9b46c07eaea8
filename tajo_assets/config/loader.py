"""Load `tajo.yaml`: read, interpolate, validate, check the environment.

Bad configuration stops here, before any query runs, with one `ConfigError`
listing every problem found, each with its file, line and key path.
"""

import dataclasses
import logging
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import ValidationError

from tajo_assets.config.document import YamlDocument, read_document
from tajo_assets.config.env import Interpolated, interpolate
from tajo_assets.config.errors import ConfigError, ConfigProblem, Location
from tajo_assets.config.model import (
    DEFAULT_USER_VAR,
    SECRET_PATHS,
    AuthMethod,
    SnowflakeConnector,
    TajoConfig,
)
from tajo_assets.config.secrets import referenced_variable, unset_variable_message
from tajo_assets.config.translate import translate

CONFIG_PATH_VAR = "TAJO_CONFIG"
DEFAULT_CONFIG_FILE = "tajo.yaml"

logger = logging.getLogger(__name__)


def load_config(
    path: str | Path | None = None, env: Mapping[str, str] | None = None
) -> TajoConfig:
    """Load and check the configuration file.

    `path` None means `$TAJO_CONFIG`, else `./tajo.yaml`. `env` (default
    `os.environ`) supplies `${VAR}` references and is checked for the secrets
    the file names explicitly; secrets left to their default variables are
    checked later, by `check_environment`. Raises ConfigError listing every
    problem; nothing is retried.
    """
    env = os.environ if env is None else env
    source = _existing_file(path, env)
    document = read_document(source)

    interpolated = interpolate(document.data, env, keep_as_written=SECRET_PATHS)
    config, problems = _validate(interpolated)
    if config is not None:
        problems += _unset_variables(config, env, include_defaults=False)
    else:
        # The model could not be built, but the secrets the file names can still
        # be checked, so one attempt lists every variable to export.
        problems += _unset_written_secrets(document.data, env)
    if problems:
        raise ConfigError(_placed(problems, document), source)

    config = _without_unset_passphrase(config, env)
    logger.info(
        "Loaded configuration %s: %d queries, %d syncs",
        source,
        len(config.queries()),
        len(config.declared_syncs),
    )
    return config


def check_environment(config: TajoConfig, env: Mapping[str, str] | None = None) -> None:
    """Raise ConfigError naming every variable a run needs that `env` lacks.

    Covers the implicit defaults too (SNOWFLAKE_USER, SNOWFLAKE_PRIVATE_KEY,
    BREVO_API_KEY); call it when building resources. Values are never shown.
    """
    env = os.environ if env is None else env
    problems = _unset_variables(config, env, include_defaults=True)
    if problems:
        raise ConfigError(problems)


def resolve_config_path(
    path: str | Path | None = None, env: Mapping[str, str] | None = None
) -> Path:
    """`path`, else `$TAJO_CONFIG`, else `tajo.yaml` in the working directory."""
    env = os.environ if env is None else env
    if path is not None:
        return Path(path)
    return Path(env.get(CONFIG_PATH_VAR) or DEFAULT_CONFIG_FILE)


def _existing_file(path: str | Path | None, env: Mapping[str, str]) -> Path:
    source = resolve_config_path(path, env)
    if source.is_file():
        return source
    if source.is_dir():
        message = "is a directory; give the path of the YAML file inside it"
    else:
        message = (
            f"does not exist (looked for {source.resolve()}); create it, starting "
            "with the line 'connectors: {snowflake: {account: <your account>}}', "
            f"or set {CONFIG_PATH_VAR} to the path of your configuration file"
        )
    raise ConfigError([ConfigProblem((), f"the configuration file {message}")], source)


def _validate(
    interpolated: Interpolated,
) -> tuple[TajoConfig | None, list[ConfigProblem]]:
    problems = list(interpolated.problems)
    try:
        return TajoConfig.model_validate(interpolated.data), problems
    except ValidationError as error:
        found = translate(error, TajoConfig, SECRET_PATHS, interpolated.origins)
    # A value whose ${VAR} failed was kept as written; its type error would be noise.
    unresolved = {problem.location for problem in problems}
    return None, problems + [p for p in found if p.location not in unresolved]


def _unset_written_secrets(data: Any, env: Mapping[str, str]) -> list[ConfigProblem]:
    """Problems for the secret settings written as `${NAME}` with NAME unset."""
    problems = []
    for location in SECRET_PATHS:
        if location[-1] == "private_key_passphrase":
            continue  # optional: an unset one means an unencrypted key
        value: Any = data
        for key in location:
            value = value.get(key) if isinstance(value, dict) else None
        variable = referenced_variable(value)
        if variable is not None and not env.get(variable):
            problems.append(ConfigProblem(location, unset_variable_message(variable)))
    return problems


class _VariableUse(NamedTuple):
    location: Location
    variable: str
    explicit: bool


def _unset_variables(
    config: TajoConfig, env: Mapping[str, str], include_defaults: bool
) -> list[ConfigProblem]:
    return [
        ConfigProblem(use.location, unset_variable_message(use.variable))
        for use in _required_variables(config)
        if (use.explicit or include_defaults) and not env.get(use.variable)
    ]


def _required_variables(config: TajoConfig) -> Iterator[_VariableUse]:
    """Variables a run reads, and whether the file names them (else defaults)."""
    snowflake, brevo = config.snowflake, config.brevo
    if snowflake.enabled:
        at = ("connectors", "snowflake")
        yield from _auth_variables(snowflake, at)
        if snowflake.user is None:
            yield _VariableUse((*at, "user"), DEFAULT_USER_VAR, False)
    brevo_written = "brevo" in config.connectors.model_fields_set
    key_written = brevo_written and "api_key" in brevo.model_fields_set
    yield _VariableUse(
        ("connectors", "brevo", "api_key"), brevo.api_key.env_var, key_written
    )


def _auth_variables(
    snowflake: SnowflakeConnector, at: Location
) -> Iterator[_VariableUse]:
    """The secret variables of the auth method in use (OAuth's and PAT's written)."""
    auth = snowflake.auth
    if auth.method == AuthMethod.KEY_PAIR:
        auth_written = "auth" in snowflake.model_fields_set
        key_written = auth_written and "private_key" in auth.model_fields_set
        yield _VariableUse(
            (*at, "auth", "private_key"), auth.private_key.env_var, key_written
        )
    for name in ("client_secret", "token"):
        reference = getattr(auth, name)
        if reference is not None:
            yield _VariableUse((*at, "auth", name), reference.env_var, True)


def _without_unset_passphrase(config: TajoConfig, env: Mapping[str, str]) -> TajoConfig:
    """Drop the optional passphrase reference when its variable is unset.

    Then a reference in the model always names a variable to read, and
    resources can pass `dg.EnvVar(ref.env_var)` without checking first.
    """
    snowflake = config.snowflake
    passphrase = snowflake.auth.private_key_passphrase
    if passphrase is None or passphrase.is_set(env):
        return config
    auth = snowflake.auth.model_copy(update={"private_key_passphrase": None})
    snowflake = snowflake.model_copy(update={"auth": auth})
    connectors = config.connectors.model_copy(update={"snowflake": snowflake})
    return config.model_copy(update={"connectors": connectors})


def _placed(
    problems: list[ConfigProblem], document: YamlDocument
) -> list[ConfigProblem]:
    """Problems with the line of their key, in file order."""
    placed = [
        dataclasses.replace(p, line=p.line or document.line_of(p.location))
        for p in problems
    ]
    return sorted(placed, key=lambda p: p.line or 0)
