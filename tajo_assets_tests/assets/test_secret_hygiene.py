"""No secret, and no raw email, leaves a run in anything a person or a tool reads.

Each scenario plants real credentials (the Brevo key, the Snowflake private
key, its passphrase, an OAuth client secret) and reads back the bearer tokens
the client minted from the sandbox's traffic log (the key-pair JWT, the OAuth
access token). It then runs a sync at DEBUG level, successfully or into a
failure, and searches everything the run left: every log record at any level,
stdout and stderr, the Dagster event log (messages, metadata, errors with their
causes) and the run record.
"""

import logging
from collections.abc import Iterator
from dataclasses import dataclass

import dagster as dg
import pytest
from cryptography.hazmat.primitives import serialization
from dagster._serdes import serialize_value

from tajo_assets_tests.assets.conftest import PEOPLE, Project, email

MAPPING = {"email": "email", "first_name": "FIRSTNAME", "score": "SCORE"}
PASSPHRASE = "planted-passphrase-5f2c"
WRONG_BREVO_KEY = "xkeysib-planted-wrong-key-0a1b2c3d4e5f"
KEY_PAIR_AUTH = "    auth:\n      method: key_pair\n"
PRIVATE_KEY_LINE = "      private_key: ${SNOWFLAKE_PRIVATE_KEY}\n"


@dataclass
class Secrets:
    """The planted secrets of one test, and the tokens minted from them."""

    values: dict[str, str]

    def add_tokens(self, sandbox) -> None:
        """The bearer tokens the run sent to the Snowflake sandbox."""
        for exchange in sandbox.snowflake.traffic.take():
            header = exchange.request_headers.get("authorization", "")
            if header.lower().startswith("bearer "):
                self.values[f"token sent to {exchange.path}"] = header[7:]

    def found_in(self, text: str) -> list[str]:
        """The names of the secrets `text` contains, whole or by a long part."""
        return [
            name
            for name, value in self.values.items()
            if any(part in text for part in _telltale_parts(value))
        ]


def _telltale_parts(value: str) -> list[str]:
    """A multi-line secret (a PEM) leaks if any of its lines does; a token or key
    if any 16-character run of it does (a cut-off copy is still a leak)."""
    lines = [line for line in value.splitlines() if line and "-----" not in line]
    if len(lines) > 1:
        return lines
    return [value[i : i + 16] for i in range(0, max(len(value) - 15, 1), 8)]


@pytest.fixture
def secrets(sandbox, sandbox_env) -> Iterator[Secrets]:
    planted = Secrets(
        {
            "Brevo API key": sandbox_env["BREVO_API_KEY"],
            "private key": sandbox_env["SNOWFLAKE_PRIVATE_KEY"],
            "OAuth client secret": sandbox_env["SNOWFLAKE_OAUTH_CLIENT_SECRET"],
            "PAT": sandbox_env["SNOWFLAKE_PAT"],
        }
    )
    sandbox.snowflake.traffic.enabled = True
    sandbox.snowflake.traffic.take()
    try:
        yield planted
    finally:
        sandbox.snowflake.traffic.enabled = False
        sandbox.snowflake.traffic.take()


@pytest.fixture
def debug_logs(caplog) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    # The sandbox serves from this process; its own lines are not the product's.
    logging.getLogger("tajo_assets.sandbox").setLevel(logging.WARNING)
    return caplog


def everything_recorded(
    result: dg.ExecuteInProcessResult,
    instance: dg.DagsterInstance,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture,
) -> str:
    """Every log record (with tracebacks), stdout and stderr, and the run's
    Dagster event log and run record, as one text."""
    handler = logging.Formatter()
    parts = [
        handler.format(record)
        for record in caplog.records
        if not record.name.startswith("tajo_assets.sandbox")
    ]
    parts += [serialize_value(entry) for entry in instance.all_logs(result.run_id)]
    parts.append(serialize_value(instance.get_run_by_id(result.run_id)))
    out, err = capfd.readouterr()
    return "\n".join([*parts, out, err])


def debug(project: Project) -> Project:
    """The project with Tajo logging at DEBUG and its queries logged."""
    return rewrite(
        project, "    timezone: UTC\n", "    timezone: UTC\n    debug: true\n"
    )


def rewrite(project: Project, old: str, new: str) -> Project:
    text = project.path.read_text()
    assert old in text
    project.path.write_text(text.replace(old, new))
    return project


def plant(project: Project, monkeypatch, name: str, value: str) -> None:
    """Set a variable both where the run reads it and where the config loads."""
    monkeypatch.setenv(name, value)
    project.env[name] = value


def encrypted(private_pem: str, passphrase: str) -> str:
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase.encode()),
    ).decode()


def test_a_run_at_debug_level_with_an_encrypted_key_leaks_no_secret_nor_email(
    write_project,
    people,
    sandbox,
    secrets,
    debug_logs,
    capfd,
    instance,
    monkeypatch,
):
    protected = encrypted(secrets.values["private key"], PASSPHRASE)
    secrets.values |= {"encrypted key": protected, "passphrase": PASSPHRASE}
    project = debug(write_project(MAPPING, people.audience))
    plant(project, monkeypatch, "SNOWFLAKE_PRIVATE_KEY", protected)
    plant(project, monkeypatch, "SNOWFLAKE_PRIVATE_KEY_PASSPHRASE", PASSPHRASE)
    rewrite(
        project,
        PRIVATE_KEY_LINE,
        PRIVATE_KEY_LINE
        + "      private_key_passphrase: ${SNOWFLAKE_PRIVATE_KEY_PASSPHRASE}\n",
    )
    sandbox.brevo.faults.refuse_rows({email(7)}, times=1)

    result = project.run(instance)
    secrets.add_tokens(sandbox)

    assert result.success
    assert len(sandbox.brevo.contacts()) == PEOPLE - 1
    assert any(name.startswith("token sent to") for name in secrets.values)
    recorded = everything_recorded(result, instance, debug_logs, capfd)
    assert any(r.levelno == logging.DEBUG for r in debug_logs.records)
    assert secrets.found_in(recorded) == []
    assert "***" in recorded  # the refused row's key, masked
    unmasked = [email(i) for i in range(1, PEOPLE + 1) if email(i) in recorded]
    assert unmasked == []


def test_a_run_with_oauth_that_brevo_refuses_leaks_neither_key_nor_secret(
    write_project,
    people,
    sandbox,
    secrets,
    debug_logs,
    capfd,
    instance,
    monkeypatch,
):
    project = debug(write_project(MAPPING, people.audience))
    rewrite(
        project,
        KEY_PAIR_AUTH + PRIVATE_KEY_LINE,
        "    auth:\n"
        "      method: oauth\n"
        "      client_id: ${SNOWFLAKE_OAUTH_CLIENT_ID}\n"
        "      client_secret: ${SNOWFLAKE_OAUTH_CLIENT_SECRET}\n",
    )
    plant(project, monkeypatch, "BREVO_API_KEY", WRONG_BREVO_KEY)
    secrets.values["wrong Brevo key"] = WRONG_BREVO_KEY

    result = project.run(instance)
    secrets.add_tokens(sandbox)

    assert not result.success
    assert sandbox.brevo.contacts() == []
    assert any(name.startswith("token sent to") for name in secrets.values)
    recorded = everything_recorded(result, instance, debug_logs, capfd)
    assert "BREVO_API_KEY" in recorded  # the failure names the variable
    assert secrets.found_in(recorded) == []


def test_a_failing_statement_leaks_no_token_nor_key(
    write_project, people, sandbox, secrets, debug_logs, capfd, instance
):
    broken = people.audience.replace("first_name", "no_such_column")
    project = debug(write_project(MAPPING | {"no_such_column": "X"}, broken))

    result = project.run(instance)
    secrets.add_tokens(sandbox)

    assert not result.success
    assert sandbox.brevo.contacts() == []
    recorded = everything_recorded(result, instance, debug_logs, capfd)
    assert "NO_SUCH_COLUMN" in recorded.upper()  # the failure says what broke
    assert secrets.found_in(recorded) == []
