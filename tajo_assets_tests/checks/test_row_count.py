"""The row-count rule at its boundary: a drop of exactly the allowed share passes."""

import dagster as dg
import pytest

from tajo_assets.checks.row_count import row_count_result

KEY = dg.AssetKey(["snowflake", "q"])


@pytest.mark.parametrize(
    ("max_drop", "previous", "minimum"),
    [(0.7, 10, 3), (0.9, 10, 1), (0.3, 10, 7), (0.5, 1501, 751), (0.1, 3, 3)],
)
def test_a_drop_of_exactly_the_allowed_share_passes_and_one_row_more_fails(
    max_drop, previous, minimum
):
    at_bound = row_count_result(KEY, minimum, previous, max_drop)
    below = row_count_result(KEY, minimum - 1, previous, max_drop)

    assert at_bound.passed
    assert not below.passed
    for result in (at_bound, below):
        found = result.metadata["minimum_rows"].value
        assert found == minimum
        assert isinstance(found, int)


def test_max_row_count_drop_of_one_never_fails():
    assert row_count_result(KEY, 0, 10, 1).passed


def test_a_growing_table_is_described_as_more_rows_not_negative_fewer():
    grown = row_count_result(KEY, 150, 100, 0.5)
    shrunk = row_count_result(KEY, 80, 100, 0.5)

    assert (
        grown.passed and "150 rows against 100 before (50% more)" in grown.description
    )
    assert "80 rows against 100 before (20% fewer)" in shrunk.description
