"""Brevo API v3: the client, its pacing, import bodies, errors and Dagster resource."""

from tajo_assets.brevo.client import BrevoClient
from tajo_assets.brevo.errors import (
    BrevoAuthError,
    BrevoConfigurationError,
    BrevoError,
    BrevoNotFoundError,
    BrevoProcessError,
    BrevoProcessTimeoutError,
    BrevoRateLimitError,
    BrevoRequestError,
    BrevoUnavailableError,
)
from tajo_assets.brevo.imports import (
    DEFAULT_MAX_BODY_BYTES,
    contacts_budget,
    largest_contact_bytes,
    split_import_bodies,
)
from tajo_assets.brevo.models import (
    Attribute,
    AttributeOption,
    Contact,
    ContactList,
    ContactPage,
    ContactRefusal,
    Folder,
    ImportResult,
    ListChangeResult,
    Process,
    RejectedContact,
)
from tajo_assets.brevo.pacing import Pacer
from tajo_assets.brevo.resource import BrevoResource
from tajo_assets.brevo.transport import DEFAULT_BASE_URL

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_BODY_BYTES",
    "Attribute",
    "AttributeOption",
    "BrevoAuthError",
    "BrevoClient",
    "BrevoConfigurationError",
    "BrevoError",
    "BrevoNotFoundError",
    "BrevoProcessError",
    "BrevoProcessTimeoutError",
    "BrevoRateLimitError",
    "BrevoRequestError",
    "BrevoResource",
    "BrevoUnavailableError",
    "Contact",
    "ContactList",
    "ContactPage",
    "ContactRefusal",
    "Folder",
    "ImportResult",
    "ListChangeResult",
    "Pacer",
    "Process",
    "RejectedContact",
    "contacts_budget",
    "largest_contact_bytes",
    "split_import_bodies",
]
