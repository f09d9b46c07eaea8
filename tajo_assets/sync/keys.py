"""Contact keys: e-mail normalization, validation and masking.

Emails are normalized exactly once, here, before anything else looks at them, so
that "Ann@Example.com " and "ann@example.com" are the same contact everywhere.
"""

import re

# Deliberately conservative: one "@", no spaces, a dotted domain of letters, digits
# and hyphens. Brevo's own validator is stricter than RFC 5322; rows it refuses
# anyway come back in the import process report.
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)
MAX_EMAIL_LENGTH = 254


def normalize_email(raw: object) -> str | None:
    """The canonical form of an e-mail (trimmed, lower-cased), or None if invalid."""
    if not isinstance(raw, str):
        return None
    email = raw.strip().lower()
    if len(email) > MAX_EMAIL_LENGTH or not _EMAIL.match(email):
        return None
    local = email.split("@", 1)[0]
    if local.startswith(".") or local.endswith(".") or ".." in local:
        return None
    return email


def mask_email(raw: object) -> str:
    """A form of the key that is safe for logs and Dagster metadata."""
    if not isinstance(raw, str) or not raw.strip():
        return "<empty>"
    text = raw.strip()
    local, at, domain = text.partition("@")
    if not at:
        return f"{text[:1]}***"
    return f"{local[:1]}***@{domain}"
