"""Fixtures for configuration tests: write a tajo.yaml, load it, read the error."""

import textwrap
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from tajo_assets.config import ConfigError, TajoConfig, load_config

WriteConfig = Callable[[str], Path]
LoadText = Callable[..., TajoConfig]
LoadError = Callable[..., str]


@pytest.fixture
def write_config(tmp_path: Path) -> WriteConfig:
    """Write dedented YAML text to `tajo.yaml` in a fresh directory."""

    def write(text: str) -> Path:
        path = tmp_path / "tajo.yaml"
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write


@pytest.fixture
def load_text(write_config: WriteConfig) -> LoadText:
    """Load YAML text as a configuration, with an empty environment by default."""

    def load(text: str, env: Mapping[str, str] | None = None) -> TajoConfig:
        return load_config(write_config(text), env={} if env is None else env)

    return load


@pytest.fixture
def load_error(write_config: WriteConfig) -> LoadError:
    """Load YAML text that must fail; return the ConfigError's message."""

    def fail(text: str, env: Mapping[str, str] | None = None) -> str:
        with pytest.raises(ConfigError) as caught:
            load_config(write_config(text), env={} if env is None else env)
        return str(caught.value)

    return fail
