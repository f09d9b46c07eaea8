"""The `checks:` block: defaults, accepted values, and what a bad value is told."""

import pytest

from tajo_assets.config.checks import ChecksConfig
from tajo_assets_tests.config.support import SNOWFLAKE_ONLY, line_about


def test_every_threshold_has_a_default(load_text):
    checks = load_text(SNOWFLAKE_ONLY).checks

    assert checks == ChecksConfig()
    assert (checks.max_null_keys, checks.max_duplicate_keys) == (0, 0)
    assert (checks.min_valid_email_rate, checks.max_row_count_drop) == (0.95, 0.5)


def test_thresholds_are_read_from_the_block_and_from_variables(load_text):
    text = SNOWFLAKE_ONLY + (
        "checks:\n"
        "  max_null_keys: 3\n"
        "  max_duplicate_keys: 10\n"
        "  min_valid_email_rate: ${MIN_RATE}\n"
        "  max_row_count_drop: 1\n"
    )

    checks = load_text(text, env={"MIN_RATE": "0.9"}).checks

    assert checks == ChecksConfig(
        max_null_keys=3,
        max_duplicate_keys=10,
        min_valid_email_rate=0.9,
        max_row_count_drop=1.0,
    )


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        pytest.param(
            "min_valid_email_rate: 95",
            "got 95; expected a share from 0 to 1 such as 0.5, not a percentage",
            id="rate-as-percentage",
        ),
        pytest.param(
            "max_row_count_drop: true",
            "got true; expected a share from 0 to 1",
            id="drop-as-boolean",
        ),
        pytest.param(
            "max_row_count_drop: half",
            "got 'half'; expected a share from 0 to 1",
            id="drop-as-word",
        ),
        pytest.param(
            "max_null_keys: -1",
            "got -1; expected a number of at least 0 (rows whose contact key",
            id="negative-count",
        ),
        pytest.param(
            "max_duplicate_keys: 1.5",
            "got 1.5; expected a whole number",
            id="fractional-count",
        ),
    ],
)
def test_a_bad_threshold_is_named_with_what_is_allowed(load_error, setting, expected):
    message = load_error(SNOWFLAKE_ONLY + f"checks:\n  {setting}\n")

    key = setting.split(":")[0]
    assert expected in line_about(message, f"checks.{key}")


def test_a_misspelt_threshold_gets_a_suggestion(load_error):
    message = load_error(SNOWFLAKE_ONLY + "checks:\n  min_valid_rate: 0.9\n")

    assert "did you mean 'min_valid_email_rate'?" in line_about(
        message, "checks.min_valid_rate"
    )
