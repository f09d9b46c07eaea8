"""The `checks:` block: thresholds of the checks that gate every Brevo sync.

The checks run on each audience snapshot before its sync (see
`tajo_assets.checks`); a check that fails stops the sync of that audience.
Every threshold has a default, so the block may be left out.
"""

from typing import Annotated

from pydantic import BeforeValidator, Field

from tajo_assets.config.errors import invalid_value
from tajo_assets.config.fields import WholeNumber
from tajo_assets.config.section import Section


def check_fraction(value: object) -> object:
    """A number from 0 to 1 (numeric text from `${VAR}` too); true/false refused."""
    try:
        number = None if isinstance(value, bool) else float(value)
    except (TypeError, ValueError):
        number = None
    if number is None or not 0 <= number <= 1:
        raise invalid_value("a share from 0 to 1 such as 0.5, not a percentage")
    return number


Fraction = Annotated[float, BeforeValidator(check_fraction)]
Count = Annotated[WholeNumber, Field(ge=0)]


class ChecksConfig(Section):
    """How much an audience may deviate before its Brevo sync is blocked."""

    max_null_keys: Count = Field(
        0,
        description="rows whose contact key (the identifier column: email, ext_id "
        "or sms) may be empty or NULL; such rows are never sent",
    )
    max_duplicate_keys: Count = Field(
        0,
        description="rows that may repeat another row's key once normalized as the "
        "sync sends it (emails lower-cased, SMS numbers in international format); "
        "Brevo would keep only one of them",
    )
    min_valid_email_rate: Fraction = Field(
        0.95,
        description="share of rows, from 0 to 1, whose key must be well formed: a "
        "valid email, or an SMS number in international format (ext_id keys are not "
        "checked); invalid ones are rejected per row, this guards against a broken "
        "query",
    )
    max_row_count_drop: Fraction = Field(
        0.5,
        description="largest share, from 0 to 1, by which a full (not :last_sync) "
        "audience may shrink against its previous snapshot; 1 turns the check off",
    )
    max_list_shrink: Fraction = Field(
        0.2,
        description="largest share, from 0 to 1, of the members this project put in "
        "a list that one run may remove; a bigger drop (or an empty audience) stops "
        "the run unless it carries the tag tajo/force=true",
    )
