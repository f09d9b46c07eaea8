"""What the client refuses before any call: bad URLs, keys, attributes, imports."""

import pytest

from tajo_assets.brevo import (
    AttributeOption,
    BrevoAuthError,
    BrevoClient,
    BrevoConfigurationError,
    BrevoRequestError,
)
from tajo_assets_tests.scripted import ScriptedServer


@pytest.fixture
def scripted(serve_script, api_key: str):
    """A client on a scripted server that must see no request at all."""
    script, url = serve_script()
    with BrevoClient(api_key, url) as client:
        yield client, script
    assert script.seen == []


@pytest.mark.parametrize(
    "base_url",
    ["https://api.brevo.com/v3", "http://127.0.0.1:8080/v3", "http://localhost/v3"],
    ids=["brevo", "loopback", "localhost"],
)
def test_https_or_this_machine_is_accepted(base_url: str, api_key: str) -> None:
    with BrevoClient(api_key, base_url) as client:
        assert base_url in repr(client)


@pytest.mark.parametrize(
    "base_url",
    ["http://api.brevo.com/v3", "ftp://127.0.0.1/v3", "api.brevo.com/v3"],
    ids=["plain-http", "ftp", "no-scheme"],
)
def test_other_urls_are_refused_with_the_fix(base_url: str, api_key: str) -> None:
    with pytest.raises(BrevoConfigurationError) as raised:
        BrevoClient(api_key, base_url)

    message = str(raised.value)
    assert repr(base_url) in message
    assert "https://api.brevo.com/v3" in message
    assert "plain http is accepted only for the local sandbox" in message


def test_an_empty_key_names_its_variable() -> None:
    with pytest.raises(BrevoAuthError) as raised:
        BrevoClient("", api_key_env="TAJO_BREVO_KEY")

    assert str(raised.value).startswith("the Brevo API key in TAJO_BREVO_KEY is empty")


@pytest.mark.parametrize(
    "key",
    ["xkeysib-abc\n", " xkeysib-abc", "xkeysib-äbc"],
    ids=["line-break", "space", "non-ascii"],
)
def test_a_mangled_key_is_refused_without_showing_it(key: str) -> None:
    with pytest.raises(BrevoAuthError) as raised:
        BrevoClient(key)

    message = str(raised.value)
    assert "copy the key into BREVO_API_KEY again" in message
    assert key.strip() not in message


def test_timeouts_and_retries_must_make_sense(api_key: str) -> None:
    with pytest.raises(ValueError, match="timeout_s must be positive"):
        BrevoClient(api_key, timeout_s=0)


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        (("ltv", "float"), "attribute name 'ltv' is not one Brevo accepts"),
        (("1ST_ORDER", "date"), "starting with a letter"),
        (("SCORE", "float", "calculated"), "category 'calculated' cannot be created"),
        (("SCORE", "decimal"), "attribute type 'decimal' is not a Brevo type"),
        (
            ("TIER", "text", "normal", [AttributeOption(value=1, label="gold")]),
            "only category attributes take an enumeration",
        ),
    ],
    ids=["lower-case", "leading-digit", "calculated", "unknown-type", "enumeration"],
)
def test_an_attribute_brevo_would_refuse_is_refused_first(
    scripted: tuple[BrevoClient, ScriptedServer], arguments: tuple, said: str
) -> None:
    client, _ = scripted

    with pytest.raises(BrevoRequestError, match=said):
        client.create_attribute(*arguments)


def test_an_import_needs_its_lists(scripted) -> None:
    client, _ = scripted

    with pytest.raises(BrevoRequestError, match="needs the ids of the lists"):
        client.import_contacts([{"email": "a@example.com"}], [])


def test_erasing_empty_attributes_needs_updates(scripted) -> None:
    client, _ = scripted

    with pytest.raises(BrevoRequestError, match="needs update_existing=True"):
        client.import_contacts(
            [{"email": "a@example.com"}],
            [1],
            update_existing=False,
            empty_attributes=True,
        )


def test_an_import_needs_contacts(scripted) -> None:
    client, _ = scripted

    with pytest.raises(ValueError, match="at least one contact"):
        client.import_contacts([], [1])


@pytest.mark.parametrize("limit", [0, 1001], ids=str)
def test_a_contact_page_holds_1_to_1000(scripted, limit: int) -> None:
    client, _ = scripted

    with pytest.raises(ValueError, match="limit must be 1 to 1000"):
        client.get_contacts(limit=limit)


def test_waiting_needs_a_deadline(scripted) -> None:
    client, _ = scripted

    with pytest.raises(ValueError, match="deadline_s and first_poll_s must be"):
        client.wait_for_import(3, deadline_s=0)
