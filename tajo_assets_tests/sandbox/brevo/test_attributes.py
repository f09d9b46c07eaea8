"""`GET /contacts/attributes` and `POST /contacts/attributes/{category}/{name}`."""

import pytest


def _names(brevo) -> list[str]:
    return [
        a["name"] for a in brevo.api.get("/contacts/attributes").json()["attributes"]
    ]


def test_a_new_account_has_brevos_default_attributes(brevo):
    response = brevo.api.get("/contacts/attributes")

    assert response.status_code == 200
    assert {
        (a["name"], a["category"], a["type"]) for a in response.json()["attributes"]
    } == {
        ("EMAIL", "normal", "text"),
        ("SMS", "normal", "text"),
        ("FIRSTNAME", "normal", "text"),
        ("LASTNAME", "normal", "text"),
    }


@pytest.mark.parametrize("kind", ["text", "date", "float", "boolean"])
def test_normal_attribute_is_created_with_its_type(brevo, kind):
    response = brevo.api.post("/contacts/attributes/normal/SCORE", json={"type": kind})

    assert response.status_code == 201
    assert response.content == b""
    assert {"name": "SCORE", "category": "normal", "type": kind} in (
        brevo.sandbox.attributes()
    )


def test_attribute_names_are_stored_upper_case(brevo):
    brevo.api.post("/contacts/attributes/normal/ltv_score", json={"type": "float"})

    assert "LTV_SCORE" in _names(brevo)
    assert "ltv_score" not in _names(brevo)


def test_category_attribute_keeps_its_enumeration(brevo):
    enumeration = [{"value": 1, "label": "Champions"}, {"value": 2, "label": "At risk"}]

    response = brevo.api.post(
        "/contacts/attributes/category/RFM_CLASS",
        json={"type": "category", "enumeration": enumeration},
    )

    assert response.status_code == 201
    listed = next(a for a in brevo.sandbox.attributes() if a["name"] == "RFM_CLASS")
    assert listed["category"] == "category"
    assert listed["enumeration"] == enumeration


def test_multiple_choice_attribute_keeps_its_options(brevo):
    response = brevo.api.post(
        "/contacts/attributes/normal/INTERESTS",
        json={"type": "multiple-choice", "multiCategoryOptions": ["shoes", "bags"]},
    )

    assert response.status_code == 201
    listed = next(a for a in brevo.sandbox.attributes() if a["name"] == "INTERESTS")
    assert listed["multiCategoryOptions"] == ["shoes", "bags"]


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("1ST_ORDER", id="starts-with-digit"),
        pytest.param("LTV-SCORE", id="dash"),
        pytest.param("_HIDDEN", id="starts-with-underscore"),
    ],
)
def test_invalid_attribute_names_are_refused(brevo, name):
    response = brevo.api.post(
        f"/contacts/attributes/normal/{name}", json={"type": "text"}
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_parameter"
    assert "letters, digits and underscores" in response.json()["message"]
    assert name.upper() not in _names(brevo)


def test_duplicate_attribute_is_refused_whatever_its_case(brevo):
    brevo.api.post("/contacts/attributes/normal/SEGMENT", json={"type": "text"})

    response = brevo.api.post(
        "/contacts/attributes/normal/segment", json={"type": "text"}
    )

    assert response.status_code == 400
    assert response.json()["code"] == "duplicate_parameter"
    assert "SEGMENT already exists" in response.json()["message"]
    assert _names(brevo).count("SEGMENT") == 1


def test_default_attributes_cannot_be_created_again(brevo):
    response = brevo.api.post(
        "/contacts/attributes/normal/FIRSTNAME", json={"type": "text"}
    )

    assert response.status_code == 400
    assert response.json()["code"] == "duplicate_parameter"


@pytest.mark.parametrize(
    ("path", "body", "code", "names"),
    [
        pytest.param(
            "/contacts/attributes/secret/X",
            {"type": "text"},
            "invalid_parameter",
            "normal, transactional, category",
            id="unknown-category",
        ),
        pytest.param(
            "/contacts/attributes/normal/X",
            {"type": "id"},
            "invalid_parameter",
            "type 'id' is not allowed for normal",
            id="id-type-on-normal",
        ),
        pytest.param(
            "/contacts/attributes/category/X",
            {"type": "category"},
            "missing_parameter",
            "need enumeration",
            id="category-without-enumeration",
        ),
        pytest.param(
            "/contacts/attributes/category/X",
            {"type": "category", "enumeration": [{"value": 1, "label": "y" * 201}]},
            "invalid_parameter",
            "none of the category values can exceed 200",
            id="category-label-over-200-characters",
        ),
        pytest.param(
            "/contacts/attributes/calculated/X",
            {"isRecurring": True},
            "missing_parameter",
            "need value",
            id="calculated-without-formula",
        ),
        pytest.param(
            "/contacts/attributes/normal/X",
            {},
            "missing_parameter",
            "No inputs in the body",
            id="empty-body",
        ),
    ],
)
def test_malformed_attribute_requests_say_what_is_wrong(brevo, path, body, code, names):
    response = brevo.api.post(path, json=body)

    assert response.status_code == 400
    assert response.json()["code"] == code
    assert names in response.json()["message"]
    assert "X" not in _names(brevo)


@pytest.fixture
def tiers(brevo):
    enumeration = [{"value": 1, "label": "Gold"}, {"value": 2, "label": "Silver"}]
    response = brevo.api.post(
        "/contacts/attributes/category/TIER",
        json={"type": "category", "enumeration": enumeration},
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        pytest.param(2, "Silver", id="option-value"),
        pytest.param("2", "Silver", id="option-value-as-text"),
        pytest.param("Silver", None, id="label-ignored"),
        pytest.param(3, None, id="unknown-value-ignored"),
        pytest.param(True, None, id="boolean-ignored"),
    ],
)
def test_a_category_attribute_takes_its_options_by_value(brevo, tiers, sent, stored):
    response = brevo.api.post(
        "/contacts", json={"email": "a@example.com", "attributes": {"TIER": sent}}
    )

    assert response.status_code == 201
    attributes = brevo.sandbox.contact("a@example.com")["attributes"]
    assert attributes.get("TIER") == stored


def test_a_batch_update_sets_and_erases_a_category_attribute(brevo, tiers):
    brevo.api.post("/contacts", json={"email": "a@example.com"})
    brevo.api.post(
        "/contacts", json={"email": "b@example.com", "attributes": {"TIER": 1}}
    )

    response = brevo.api.post(
        "/contacts/batch",
        json={
            "contacts": [
                {"email": "a@example.com", "attributes": {"TIER": 1}},
                {"email": "b@example.com", "attributes": {"TIER": ""}},
            ]
        },
    )

    assert response.status_code == 204
    assert brevo.sandbox.contact("a@example.com")["attributes"] == {"TIER": "Gold"}
    assert brevo.sandbox.contact("b@example.com")["attributes"] == {}
