"""The Dagster resource: the key from the environment, a client per use."""

import dagster as dg
import pytest

from tajo_assets.brevo import BrevoAuthError, BrevoResource, ContactList
from tajo_assets.sandbox.brevo import BrevoSandbox
from tajo_assets_tests.brevo.conftest import BrevoStand

KEY_VARIABLE = "TAJO_TEST_BREVO_KEY"


@dg.asset
def vip_list(brevo: BrevoResource) -> dg.MaterializeResult:
    with brevo.get_client() as client:
        found: ContactList = client.find_or_create_list("VIP", "Warehouse audiences")
    return dg.MaterializeResult(metadata={"list_id": found.id})


def resource_for(stand: BrevoStand) -> BrevoResource:
    return BrevoResource(
        api_key=dg.EnvVar(KEY_VARIABLE),
        api_key_env=KEY_VARIABLE,
        base_url=stand.base_url,
    )


def test_an_asset_uses_the_key_from_the_environment(
    brevo_stand: BrevoStand, sandbox: BrevoSandbox, api_key: str, monkeypatch
) -> None:
    monkeypatch.setenv(KEY_VARIABLE, api_key)

    result = dg.materialize([vip_list], resources={"brevo": resource_for(brevo_stand)})

    assert result.success
    [stored] = sandbox.lists()
    assert stored["name"] == "VIP"


def test_a_wrong_key_in_the_environment_names_the_variable(
    brevo_stand: BrevoStand, sandbox: BrevoSandbox, monkeypatch
) -> None:
    monkeypatch.setenv(KEY_VARIABLE, "xkeysib-wrong-0000")

    with pytest.raises(BrevoAuthError) as raised:
        dg.materialize([vip_list], resources={"brevo": resource_for(brevo_stand)})

    assert f"check the key in {KEY_VARIABLE}" in str(raised.value)
    assert "xkeysib-wrong-0000" not in str(raised.value)
    assert sandbox.lists() == []


def test_the_resource_never_prints_its_key(api_key: str) -> None:
    resource = BrevoResource(api_key=api_key, base_url="http://127.0.0.1:9/v3")

    assert api_key not in repr(resource)
    assert api_key not in str(resource)
    with resource.get_client() as client:
        assert api_key not in repr(client)
