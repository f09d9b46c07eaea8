"""The Dagster resource that hands assets a Brevo client."""

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
from pydantic import Field

from tajo_assets.brevo.client import DEFAULT_API_KEY_ENV, BrevoClient
from tajo_assets.brevo.pacing import Pacer
from tajo_assets.brevo.transport import DEFAULT_BASE_URL


class BrevoResource(dg.ConfigurableResource):
    """Brevo API v3 access for assets; the API key comes from the environment.

    Configure `api_key=dagster.EnvVar("BREVO_API_KEY")` so the key is read at
    run time and never shown in the UI, and set `api_key_env` to the same
    variable's name so error messages can point at it.
    """

    api_key: str = Field(
        repr=False,
        description="Brevo API v3 key; pass dagster.EnvVar('BREVO_API_KEY').",
    )
    api_key_env: str = Field(
        default=DEFAULT_API_KEY_ENV,
        description="Name of the environment variable holding the key, for messages.",
    )
    base_url: str = Field(
        default=DEFAULT_BASE_URL,
        description="Brevo API base URL; http only for the local sandbox.",
    )
    timeout_s: float = Field(
        default=30.0, gt=0, description="Seconds to wait for each HTTP response."
    )
    max_retries: int = Field(
        default=5, ge=0, description="Retries of a call after 5xx or network errors."
    )

    @contextmanager
    def get_client(self, pacer: Pacer | None = None) -> Iterator[BrevoClient]:
        """A `BrevoClient`, closed on exit; pass `pacer` to share a rate budget."""
        with BrevoClient(
            self.api_key,
            self.base_url,
            timeout_s=self.timeout_s,
            pacer=pacer,
            max_retries=self.max_retries,
            api_key_env=self.api_key_env,
        ) as client:
            yield client
