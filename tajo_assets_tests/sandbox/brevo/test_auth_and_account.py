"""Authentication by `api-key` header, and `GET /account`."""

import httpx
import pytest


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no-key"),
        pytest.param({"api-key": "xkeysib-wrong"}, id="unknown-key"),
    ],
)
def test_requests_without_a_known_key_get_401_key_not_found(brevo, headers):
    response = httpx.get(f"{brevo.server.url}/v3/contacts", headers=headers)

    assert response.status_code == 401
    assert response.json() == {"code": "unauthorized", "message": "Key not found"}


def test_refused_requests_change_nothing_and_use_no_quota(serve_brevo):
    brevo = serve_brevo(contacts_per_second=10)

    response = httpx.post(
        f"{brevo.server.url}/v3/contacts",
        json={"email": "intruder@example.com"},
        headers={"api-key": "xkeysib-wrong"},
    )

    assert response.status_code == 401
    assert "x-sib-ratelimit-remaining" not in response.headers
    assert brevo.sandbox.contacts() == []
    assert brevo.sandbox.request_counts.by_bucket == {}


def test_account_answers_with_plan_and_relay(brevo):
    response = brevo.api.get("/account")

    assert response.status_code == 200
    account = response.json()
    assert account["email"] == "sandbox@example.com"
    assert account["plan"][0]["type"] == "free"
    assert set(account["relay"]) == {"enabled", "data"}


def test_any_configured_key_is_accepted(serve_brevo, api_key):
    brevo = serve_brevo(api_keys={api_key, "xkeysib-second"})

    response = httpx.get(
        f"{brevo.server.url}/v3/account", headers={"api-key": "xkeysib-second"}
    )

    assert response.status_code == 200


def test_api_keys_never_appear_in_the_settings_repr(brevo, api_key):
    assert api_key not in repr(brevo.sandbox.settings)


def test_unknown_route_answers_json_404(brevo):
    response = brevo.api.get("/webhooks")

    assert response.status_code == 404
    assert response.json()["code"] == "document_not_found"
    assert "/v3/webhooks" in response.json()["message"]
