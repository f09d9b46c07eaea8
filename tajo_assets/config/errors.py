"""What is wrong with a configuration file, said so that the reader can fix it.

Every problem names the key path (`connectors.snowflake.schedule`), what was
received (never for a secret) and what is allowed. `ConfigError` carries all the
problems found in one pass, so a user fixes the file once, not once per problem.
"""

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic_core import PydanticCustomError

Location = tuple[str | int, ...]

# The pydantic error types our validators raise; `translate.py` renders them.
INVALID_VALUE = "tajo_invalid_value"
PROBLEMS = "tajo_problems"

_MAX_SHOWN_CHARS = 60


@dataclass(frozen=True)
class ConfigProblem:
    """One thing to fix: where it is and what to do about it."""

    location: Location
    message: str
    line: int | None = None
    column: int | None = None

    @property
    def key_path(self) -> str:
        return ".".join(str(part) for part in self.location)

    def render(self, source: Path | None) -> str:
        """One line: file (and line), key path, message."""
        place = str(source) if source is not None else "configuration"
        if self.line is not None:
            place += f", line {self.line}"
            if self.column is not None:
                place += f", column {self.column}"
        key = f"{self.key_path}: " if self.location else ""
        return f"{place}: {key}{self.message}"


class ConfigError(Exception):
    """The configuration cannot be used; the message lists every problem found.

    Fix the file (or the environment) and load again: nothing here is retried.
    """

    def __init__(self, problems: Iterable[ConfigProblem], source: Path | None = None):
        self.problems = tuple(problems)
        self.source = source
        super().__init__(self._message())

    def _message(self) -> str:
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        lines = [f"The tajo configuration has {count} {noun}:"]
        lines += [f"  {problem.render(self.source)}" for problem in self.problems]
        return "\n".join(lines)


def invalid_value(expected: str) -> PydanticCustomError:
    """A value error whose text says what is allowed; the value is added on display."""
    return PydanticCustomError(
        INVALID_VALUE, "expected {expected}", {"expected": expected}
    )


def problems_found(problems: Sequence[tuple[Location, str]]) -> PydanticCustomError:
    """Several problems of one section at once, each at a location inside it.

    A model validator can raise only one error; this one carries a list that
    the translator expands, so relational rules report everything they find.
    """
    summary = "; ".join(message for _, message in problems)
    return PydanticCustomError(
        PROBLEMS, "{summary}", {"summary": summary, "problems": tuple(problems)}
    )


def describe_value(value: Any) -> str:
    """A short, quoted rendering of a received value for an error message."""
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, str) and len(value) > _MAX_SHOWN_CHARS:
        return repr(value[:_MAX_SHOWN_CHARS]) + "..."
    return repr(value) if isinstance(value, str) else str(value)


def suggest(received: str, known: Iterable[str]) -> str:
    """`; did you mean 'x'?` for the closest known name, or an empty string."""
    candidates = list(known)
    by_case = {candidate.lower(): candidate for candidate in candidates}
    if received.lower() in by_case:
        return f"; did you mean '{by_case[received.lower()]}'?"
    close = difflib.get_close_matches(received, candidates, n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""
