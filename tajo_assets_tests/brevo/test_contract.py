"""The client's requests, and the sandbox's answers, against Brevo's API description."""

import json

import jsonschema
import pytest

from tajo_assets.brevo import AttributeOption, BrevoClient, split_import_bodies
from tajo_assets.sandbox.traffic import Exchange
from tajo_assets_tests.brevo.conftest import BrevoStand
from tajo_assets_tests.contract import BREVO

# The spec offers list-change bodies as a oneOf of schemas that require no
# property, so every object matches all of them and the oneOf can never pass.
# Those bodies are checked against the one schema their key selects instead.
LIST_CHANGE_SCHEMAS = {
    ("add", "emails"): "addContactToListByEmails",
    ("add", "ids"): "addContactToListByIDs",
    ("add", "extIds"): "addContactToListByExtIDs",
    ("remove", "emails"): "removeContactFromListByEmails",
    ("remove", "ids"): "removeContactFromListByIDs",
    ("remove", "extIds"): "removeContactFromListByExtIDs",
}


@pytest.fixture(scope="module")
def exchanges(brevo_stand: BrevoStand, api_key: str) -> list[Exchange]:
    """The API traffic of a broad mix of client calls, recorded once."""
    sandbox = brevo_stand.sandbox
    sandbox.reset()
    sandbox.traffic.enabled = True
    with BrevoClient(api_key, brevo_stand.base_url) as client:
        run_a_broad_mix_of_calls(client)
    recorded = sandbox.traffic.take()
    sandbox.traffic.enabled = False
    assert any(x.path.startswith("/_sandbox/files/") for x in recorded)
    return recorded


def run_a_broad_mix_of_calls(client: BrevoClient) -> None:
    client.check_key()
    client.create_attribute("LTV", "float")
    gold = AttributeOption(value=1, label="gold")
    client.create_attribute("TIER", "category", "category", enumeration=[gold])
    client.get_attributes()
    audience = client.find_or_create_list("Audience", "Warehouse audiences")
    vip = client.find_or_create_list("VIP", "Warehouse audiences")
    contacts = [
        {"email": f"c{n}@example.com", "attributes": {"LTV": n, "EXT_ID": f"C-{n}"}}
        for n in range(40)
    ]
    contacts.append({"email": "broken@", "attributes": {}})
    for body in split_import_bodies(contacts, max_body_bytes=1_500):
        process_id = client.import_contacts(body, [audience.id])
        client.wait_for_import(process_id, deadline_s=30, first_poll_s=0.05)
    client.add_contacts_to_list(vip.id, emails=["c1@example.com", "c2@example.com"])
    client.add_contacts_to_list(vip.id, ext_ids=["C-3"])
    first = client.get_contact("c1@example.com")
    client.remove_contacts_from_list(vip.id, ids=[first.id])
    client.get_contact("C-4", identifier_type="ext_id")
    client.get_contacts(limit=5, offset=10)
    list(client.iter_contacts(page_size=15))
    client.get_list(vip.id)


def test_every_request_follows_brevos_api_description(
    exchanges: list[Exchange],
) -> None:
    requests = [line for line in BREVO.violations(exchanges) if line.startswith("req")]
    list_changes = [x for x in exchanges if list_change(x)]

    assert len(exchanges) > 25
    assert len(list_changes) == 3
    assert requests == []
    for exchange in list_changes:
        verb, body = list_change(exchange), json.loads(exchange.request_body)
        [key] = body
        validate(body, LIST_CHANGE_SCHEMAS[verb, key])


def test_every_answer_follows_brevos_api_description(
    exchanges: list[Exchange],
) -> None:
    answers = [line for line in BREVO.violations(exchanges) if line.startswith("res")]

    assert answers == []


def list_change(exchange: Exchange) -> str | None:
    """ "add" or "remove" for a list-change call, else None."""
    for verb in ("add", "remove"):
        if exchange.path.endswith(f"/contacts/{verb}"):
            return verb
    return None


def validate(body: dict, schema_name: str) -> None:
    with (BREVO.api.spec / "components" / "schemas" / schema_name).open() as schema:
        checker = jsonschema.FormatChecker()
        jsonschema.Draft4Validator(schema, format_checker=checker).validate(body)
