"""The base of every configuration section."""

from pydantic import BaseModel, ConfigDict


class Section(BaseModel):
    """A frozen block of settings that refuses unknown keys."""

    # YAML reads `warehouse: 12` as a number; a name is what the user meant.
    model_config = ConfigDict(frozen=True, extra="forbid", coerce_numbers_to_str=True)
