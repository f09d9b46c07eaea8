import pytest

from tajo_assets.sync.keys import mask_email, normalize_email


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("ann@example.com", "ann@example.com", id="plain"),
        pytest.param(
            "  Ann.Lee@Example.COM \t", "ann.lee@example.com", id="trim-lower"
        ),
        pytest.param(
            "a+tag@sub.example.co.uk", "a+tag@sub.example.co.uk", id="plus-sub"
        ),
        pytest.param("ann.example.com", None, id="no-at"),
        pytest.param("ann@@example.com", None, id="two-ats"),
        pytest.param("ann@", None, id="no-domain"),
        pytest.param("ann@example", None, id="no-dot-in-domain"),
        pytest.param("ann lee@example.com", None, id="inner-space"),
        pytest.param(".ann@example.com", None, id="leading-dot"),
        pytest.param("an..n@example.com", None, id="double-dot"),
        pytest.param("", None, id="empty"),
        pytest.param(None, None, id="null"),
        pytest.param(42, None, id="not-text"),
        pytest.param("a" * 250 + "@example.com", None, id="too-long"),
    ],
)
def test_normalize_email(raw, expected):
    assert normalize_email(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("ann.lee@example.com", "a***@example.com", id="email"),
        pytest.param("not-an-email", "n***", id="no-at"),
        pytest.param("  ", "<empty>", id="blank"),
        pytest.param(None, "<empty>", id="null"),
    ],
)
def test_mask_email_keeps_only_the_first_letter_and_domain(raw, expected):
    assert mask_email(raw) == expected
