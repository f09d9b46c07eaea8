"""The product page's configuration blocks load as written there."""

import logging
from pathlib import Path
from typing import Any

import yaml

from tajo_assets.config import (
    LogLevel,
    SecretRef,
    SyncSpec,
    load_config,
)
from tajo_assets_tests.config.support import FIXTURES

SEED_FIELD_MAPPING = {
    "email": "email",
    "first_name": "FIRSTNAME",
    "last_name": "LASTNAME",
    "ltv_score": "LTV_SCORE",
    "rfm_class": "RFM_SEGMENT",
    "total_orders": "ORDER_COUNT",
    "last_purchase_date": "LAST_ORDER_DATE",
    "predicted_churn": "CHURN_RISK",
    "customer_segment": "SEGMENT_NAME",
}


def _merged(*blocks: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge YAML mappings; later blocks add keys inside earlier sections."""
    result: dict[str, Any] = {}
    for block in blocks:
        for key, value in block.items():
            if isinstance(value, dict) and isinstance(result.get(key), dict):
                result[key] = _merged(result[key], value)
            else:
                result[key] = value
    return result


def _seed_block(name: str) -> dict[str, Any]:
    return yaml.safe_load((FIXTURES / name).read_text(encoding="utf-8"))


def test_basic_setup_alone_loads_without_any_environment():
    config = load_config(FIXTURES / "seed_basic_setup.yaml", env={})

    snowflake = config.snowflake
    assert snowflake.enabled is True
    assert snowflake.account == "your-account.snowflakecomputing.com"
    assert (snowflake.warehouse, snowflake.database) == ("TAJO_WH", "MARKETING_DB")
    assert (snowflake.schema_, snowflake.role) == ("PUBLIC", "TAJO_ROLE")
    assert (snowflake.sync.customers, snowflake.sync.segments) == (True, True)
    assert snowflake.sync.analytics is True
    assert snowflake.schedule == "0 */6 * * *"
    assert list(snowflake.queries) == ["customer_segments"]
    sql = snowflake.queries["customer_segments"]
    assert sql.startswith("SELECT email, segment_name, ltv_score, rfm_class\n")
    assert sql.endswith("WHERE updated_at > :last_sync")


def test_basic_setup_gets_the_documented_defaults():
    config = load_config(FIXTURES / "seed_basic_setup.yaml", env={})

    snowflake = config.snowflake
    assert snowflake.user is None
    assert snowflake.auth.private_key == SecretRef(env_var="SNOWFLAKE_PRIVATE_KEY")
    # The optional passphrase variable is unset here, so no reference is kept.
    assert snowflake.auth.private_key_passphrase is None
    assert (snowflake.timezone, snowflake.statement_timeout_s) == ("UTC", 3600)
    assert (snowflake.query_tag, snowflake.state_schema) == (
        "tajo-assets",
        "TAJO_STATE",
    )
    assert config.brevo.api_key == SecretRef(env_var="BREVO_API_KEY")
    assert config.brevo.base_url == "https://api.brevo.com/v3"
    assert config.field_mapping.as_dict() == {"email": "email"}
    assert config.syncs() == []
    assert config.python_log_level == logging.INFO


def test_three_blocks_combined_load_with_debug_keys_under_snowflake(tmp_path: Path):
    combined = _merged(
        _seed_block("seed_basic_setup.yaml"),
        _seed_block("seed_field_mapping.yaml"),
        _seed_block("seed_debug_mode.yaml"),
    )
    path = tmp_path / "tajo.yaml"
    path.write_text(yaml.safe_dump(combined, allow_unicode=True), encoding="utf-8")

    config = load_config(path, env={})

    assert config.snowflake.account == "your-account.snowflakecomputing.com"
    assert config.snowflake.debug is True
    assert config.snowflake.log_level is LogLevel.VERBOSE
    assert config.snowflake.log_queries is True
    assert config.python_log_level == logging.DEBUG
    assert config.field_mapping.as_dict() == SEED_FIELD_MAPPING
    assert config.field_mapping.identifier_column == "email"
    assert len(config.field_mapping.attributes) == len(SEED_FIELD_MAPPING) - 1


def test_reverse_etl_example_loads_as_a_sync():
    config = load_config(FIXTURES / "seed_reverse_etl_sync.yaml", env={})

    [spec] = config.syncs()
    assert isinstance(spec, SyncSpec)
    assert (spec.name, spec.query_name) == ("customer_scores", "customer_scores")
    assert "FROM ml_predictions.customer_scores" in spec.sql
    assert spec.sql == config.snowflake.queries["customer_scores"]
    assert (spec.list_id, spec.list_name, spec.folder_name) == (42, None, None)
    # attribute_mapping replaces field_mapping; the identifier comes with it.
    assert spec.mapping.identifier_column == "email"
    assert spec.mapping.attributes == {
        "predicted_ltv": "PREDICTED_LTV",
        "churn_score": "CHURN_SCORE",
    }
    assert config.queries() == {"customer_scores": spec.sql}


def test_reverse_etl_example_with_the_sql_written_in_the_sync(load_text):
    config = load_text(
        """\
        connectors:
          snowflake:
            account: "your-account.snowflakecomputing.com"
        syncs:
          customer_scores:
            type: reverse-etl
            query: |
              SELECT email, first_name, last_name, predicted_ltv, churn_score
              FROM ml_predictions.customer_scores
              WHERE score_date = CURRENT_DATE()
            destination:
              list_id: 42
              attribute_mapping:
                predicted_ltv: PREDICTED_LTV
                churn_score: CHURN_SCORE
        """
    )

    [spec] = config.syncs()
    assert spec.query_name == "customer_scores"
    assert spec.sql.startswith("SELECT email, first_name, last_name")
    # Inline SQL becomes a warehouse query under the sync's name.
    assert config.queries() == {"customer_scores": spec.sql}


def test_full_example_loads_with_its_secrets_in_the_environment(key_pair):
    env = {
        "SNOWFLAKE_PRIVATE_KEY": key_pair.encrypted_private_pem,
        "SNOWFLAKE_PRIVATE_KEY_PASSPHRASE": key_pair.passphrase,
        "BREVO_API_KEY": "xkeysib-test-only",
    }

    config = load_config(FIXTURES / "full_example.yaml", env=env)

    auth = config.snowflake.auth
    assert auth.private_key == SecretRef(env_var="SNOWFLAKE_PRIVATE_KEY")
    assert auth.private_key_passphrase == SecretRef(
        env_var="SNOWFLAKE_PRIVATE_KEY_PASSPHRASE"
    )
    assert [s.name for s in config.syncs()] == ["customer_segments", "customer_scores"]
    segments = config.syncs()[0]
    assert (segments.list_name, segments.folder_name) == ("Warehouse segments", "Tajo")
    assert segments.mapping.as_dict() == SEED_FIELD_MAPPING
    dumped = config.model_dump_json()
    assert all(value not in dumped for value in env.values())
