"""Generate an RSA key pair for Snowflake key-pair authentication.

For the local sandbox and for first-time setup: the public key is what
`ALTER USER <user> SET RSA_PUBLIC_KEY = '...'` registers, the private key is what
the resource's `private_key` setting takes.
"""

from dataclasses import dataclass, field

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tajo_assets.snowflake.auth import public_key_fingerprint

KEY_SIZE_BITS = 2048


@dataclass(frozen=True)
class KeyPair:
    """PEM texts of a new key pair; the private key never shows in repr."""

    private_pem: str = field(repr=False)
    public_pem: str
    fingerprint: str


def generate_key_pair(passphrase: str | None = None) -> KeyPair:
    """A new 2048-bit RSA key pair: PKCS#8 private key (encrypted with
    `passphrase` when given) and SubjectPublicKeyInfo public key, both PEM.
    """
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE_BITS)
    encryption = (
        serialization.BestAvailableEncryption(passphrase.encode())
        if passphrase
        else serialization.NoEncryption()
    )
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    ).decode()
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return KeyPair(
        private_pem, public_pem.decode(), public_key_fingerprint(key.public_key())
    )
