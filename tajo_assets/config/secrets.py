"""Secret settings: references to environment variables, never values.

A secret in `tajo.yaml` is written as one `${NAME}` reference. The model keeps
the NAME, so Dagster can be handed `dg.EnvVar(NAME)` and read the value only
when a run starts; nothing in this package holds or prints the value.
"""

import os
import re
from collections.abc import Mapping
from functools import partial
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from tajo_assets.config.env import VARIABLE_NAME
from tajo_assets.config.errors import ConfigError, ConfigProblem, problems_found

_SECRET_REFERENCE = re.compile(rf"\$\{{(?P<name>{VARIABLE_NAME})\}}")


class SecretRef(BaseModel):
    """The name of the environment variable that holds a secret."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    env_var: str = Field(pattern=f"^{VARIABLE_NAME}$")

    def __str__(self) -> str:
        return f"${{{self.env_var}}}"

    def is_set(self, env: Mapping[str, str] | None = None) -> bool:
        """Whether the variable is non-empty in `env` (default os.environ)."""
        return bool(_environment(env).get(self.env_var))

    def read(self, env: Mapping[str, str] | None = None) -> str:
        """The secret's value; raises ConfigError naming the variable if it is unset.

        Prefer `dg.EnvVar(ref.env_var)` inside Dagster resources; this is for
        code that runs outside Dagster (command line, tests).
        """
        value = _environment(env).get(self.env_var)
        if not value:
            raise ConfigError([ConfigProblem((), unset_variable_message(self.env_var))])
        return value


def secret_field(key: str, variable: str, what: str) -> Any:
    """The annotated type of a secret setting written as `key: ${variable}`."""
    return Annotated[
        SecretRef,
        BeforeValidator(
            partial(_parse_reference, key=key, variable=variable, what=what)
        ),
    ]


def referenced_variable(value: Any) -> str | None:
    """The variable a secret setting's text `${NAME}` names, if it is one."""
    if not isinstance(value, str):
        return None
    reference = _SECRET_REFERENCE.fullmatch(value.strip())
    return None if reference is None else reference["name"]


def unset_variable_message(variable: str) -> str:
    return (
        f"environment variable {variable} is not set; export it (or put it in a "
        ".env file in the directory Dagster starts from) before starting Dagster"
    )


def _parse_reference(value: Any, *, key: str, variable: str, what: str) -> Any:
    if isinstance(value, SecretRef):
        return value
    if isinstance(value, str):
        reference = _SECRET_REFERENCE.fullmatch(value.strip())
        if reference is not None:
            return SecretRef(env_var=reference["name"])
    # The value itself may be the secret: the message must not include it.
    raise problems_found(
        [
            (
                (),
                "a secret is never written in the file, only referenced as one "
                f"${{VARIABLE}} (value not shown); write {key}: ${{{variable}}} "
                f"and export the {what} in that variable",
            )
        ]
    )


def _environment(env: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if env is None else env
