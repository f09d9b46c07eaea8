"""Shared test data and readers of ConfigError messages."""

from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"

SNOWFLAKE_ONLY = """\
connectors:
  snowflake:
    account: myorg-myaccount
"""


def problem_lines(message: str) -> list[str]:
    """The problem lines of a ConfigError message (after its heading)."""
    return [line.strip() for line in message.splitlines()[1:]]


def line_about(message: str, key_path: str) -> str:
    """The one problem line naming `key_path`; fails unless there is exactly one."""
    lines = [line for line in problem_lines(message) if f" {key_path}: " in line]
    assert len(lines) == 1, f"expected one line about {key_path} in:\n{message}"
    return lines[0]
