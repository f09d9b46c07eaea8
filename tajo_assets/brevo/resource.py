"""The Dagster resource that hands assets a Brevo client."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

import dagster as dg
from pydantic import Field

from tajo_assets.brevo.client import DEFAULT_API_KEY_ENV, BrevoClient
from tajo_assets.brevo.limits import GENERAL_TIER
from tajo_assets.brevo.pacing import Pacer, shared_pacer
from tajo_assets.brevo.transport import DEFAULT_BASE_URL


class BrevoResource(dg.ConfigurableResource):
    """Brevo API v3 access for assets; the API key comes from the environment.

    Configure `api_key=dagster.EnvVar("BREVO_API_KEY")` so the key is read at
    run time and never shown in the UI, and set `api_key_env` to the same
    variable's name so error messages can point at it. Clients share one
    rate-limit budget per API key in this process (`shared_pacer`), at `tier`.
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
    tier: Literal["general", "advanced", "extended"] = Field(
        default=GENERAL_TIER,
        description="Brevo API rate-limit tier of the account: general, advanced "
        "or extended.",
    )

    @contextmanager
    def get_client(self, pacer: Pacer | None = None) -> Iterator[BrevoClient]:
        """A `BrevoClient`, closed on exit.

        It spends the key's budget shared in this process unless `pacer` is
        given. Raises `BrevoConfigurationError` when this process already
        paces the key at another tier.
        """
        with BrevoClient(
            self.api_key,
            self.base_url,
            timeout_s=self.timeout_s,
            pacer=pacer or shared_pacer(self.api_key, self.base_url, self.tier),
            max_retries=self.max_retries,
            api_key_env=self.api_key_env,
        ) as client:
            yield client
