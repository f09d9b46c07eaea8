"""`tajo keygen`: a key pair on disk and the statement that registers it.

The private key is written PKCS#8 PEM with mode 0600 from the moment it exists
(never world-readable, not even briefly), optionally encrypted; the public key
goes beside it. Existing files are kept unless the caller forces a rewrite.
"""

import os
import re
from dataclasses import dataclass
from pathlib import Path

from tajo_assets.config import DEFAULT_PASSPHRASE_VAR, DEFAULT_PRIVATE_KEY_VAR
from tajo_assets.setup.identifiers import user_identifier
from tajo_assets.snowflake.keys import generate_key_pair

PRIVATE_SUFFIX = ".p8"
PUBLIC_SUFFIX = ".pub"
USER_PLACEHOLDER = "<USER>"
_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


class KeygenError(Exception):
    """The key files cannot be written as asked; the message says what to do."""


@dataclass(frozen=True)
class KeyFiles:
    """Where a new key pair was written, and the public key's fingerprint."""

    private_path: Path
    public_path: Path
    public_pem: str
    fingerprint: str
    encrypted: bool


def write_key_pair(
    out_dir: Path, name: str, *, passphrase: str | None = None, force: bool = False
) -> KeyFiles:
    """Generate a 2048-bit RSA pair into `out_dir/<name>.p8` and `.pub`.

    Raises KeygenError for a name that is not a plain file name, or when
    either file exists and `force` is false; nothing is written then.
    """
    if not _FILE_NAME.fullmatch(name):
        raise KeygenError(
            f"--name {name!r} is not a plain file name; use letters, digits, "
            "'.', '_' and '-' (the directory goes in --out)"
        )
    private_path = out_dir / f"{name}{PRIVATE_SUFFIX}"
    public_path = out_dir / f"{name}{PUBLIC_SUFFIX}"
    _check_free([private_path, public_path], force)

    pair = generate_key_pair(passphrase)
    out_dir.mkdir(parents=True, exist_ok=True)
    _write(private_path, pair.private_pem, mode=0o600)
    _write(public_path, pair.public_pem, mode=0o644)
    return KeyFiles(
        private_path, public_path, pair.public_pem, pair.fingerprint, bool(passphrase)
    )


def _check_free(paths: list[Path], force: bool) -> None:
    taken = [str(path) for path in paths if path.exists()]
    if taken and not force:
        raise KeygenError(
            f"{' and '.join(taken)} already exist{'s' if len(taken) == 1 else ''}; "
            "keep the key that Snowflake knows, choose another --name or --out, "
            "or pass --force to replace it"
        )


def _write(path: Path, text: str, *, mode: int) -> None:
    """Create `path` with `mode` from the start (an existing file is replaced)."""
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(descriptor, "w") as file:
        file.write(text)


def public_key_body(public_pem: str) -> str:
    """The base64 body of a PEM public key, on one line, as ALTER USER takes it."""
    lines = [line.strip() for line in public_pem.strip().splitlines()]
    return "".join(line for line in lines if line and not line.startswith("-----"))


def register_statement(user: str | None, public_pem: str) -> str:
    """`ALTER USER ... SET RSA_PUBLIC_KEY='...';` for `user` (or a placeholder).

    The key body comes from a key we generated or parsed, so it is base64 only.
    """
    name = user_identifier(user) if user else USER_PLACEHOLDER
    return f"ALTER USER {name} SET RSA_PUBLIC_KEY='{public_key_body(public_pem)}';"


def instructions(files: KeyFiles, user: str | None) -> str:
    """What to run next: register the key, check it, hand it to tajo."""
    shown_user = user_identifier(user) if user else USER_PLACEHOLDER
    lines = [
        f"Wrote {files.private_path} (private key, PKCS#8"
        f"{', encrypted' if files.encrypted else ''}, mode 0600) and "
        f"{files.public_path}.",
        "",
        "1. Register the public key (as SECURITYADMIN, or a role that owns the user):",
        "",
        f"   {register_statement(user, files.public_pem)}",
        "",
    ]
    if user is None:
        lines += [
            f"   {USER_PLACEHOLDER} stands for the Snowflake user tajo signs in as; "
            "pass --user NAME, or set connectors.snowflake.user in tajo.yaml.",
            "",
        ]
    lines += [
        f"2. Check it: DESC USER {shown_user}; must show RSA_PUBLIC_KEY_FP = "
        f"{files.fingerprint}",
        "",
        "3. Give tajo the private key (never commit it):",
        "",
        f'   export {DEFAULT_PRIVATE_KEY_VAR}="$(cat {files.private_path})"',
    ]
    if files.encrypted:
        lines.append(f"   export {DEFAULT_PASSPHRASE_VAR}=<the passphrase you chose>")
    lines += ["", f"Fingerprint: {files.fingerprint}"]
    return "\n".join(lines)
