"""Fixtures shared by every test package: generated keys and free ports."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import settings

from tajo_assets.brevo.pacing import forget_shared_pacers
from tajo_assets.build import TAJO_LOGGERS

# The suite stays deterministic: property tests draw the same examples on every
# run and keep no example database (`--hypothesis-seed` explores others).
settings.register_profile("tajo", derandomize=True, database=None)
settings.load_profile("tajo")


@dataclass(frozen=True)
class KeyPair:
    """An RSA key pair generated for one test session; nothing is read from disk."""

    private_pem: str
    public_pem: str
    encrypted_private_pem: str
    passphrase: str


def generate_key_pair(passphrase: str = "test-passphrase") -> KeyPair:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    encrypted = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase.encode()),
    ).decode()
    public_pem = (
        key.public_key()
        .public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo,
        )
        .decode()
    )
    return KeyPair(private_pem, public_pem, encrypted, passphrase)


@pytest.fixture(scope="session")
def key_pair() -> KeyPair:
    return generate_key_pair()


@pytest.fixture(scope="session")
def other_key_pair() -> KeyPair:
    """A second key, for tests where the wrong key must be refused."""
    return generate_key_pair("other-passphrase")


@pytest.fixture(autouse=True)
def restore_log_levels():
    """Put back the levels of our loggers after each test.

    Building definitions applies tajo.yaml's log_level to the tajo_assets
    loggers; without this, one test's `log_level: error` would silence the
    next test's log assertions. A fixture of a wider scope that builds
    definitions is set up before this one, so it keeps the levels itself.
    """
    with kept_log_levels():
        yield


@contextmanager
def kept_log_levels() -> Iterator[None]:
    """Put back the levels of our loggers when the block ends."""
    names = ["tajo_assets", *TAJO_LOGGERS, "tajo_assets.sandbox", "httpx"]
    levels = {name: logging.getLogger(name).level for name in names}
    try:
        yield
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


@pytest.fixture(autouse=True)
def fresh_brevo_budgets():
    """Start each test without the Brevo budgets earlier tests spent.

    Clients of one key share a pacer per process, and the sandboxes forget
    their windows between tests; without this, one test's hourly polls would
    hold back the next test's.
    """
    forget_shared_pacers()
    yield
    forget_shared_pacers()
