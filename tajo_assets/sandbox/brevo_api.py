"""The Brevo API v3 sandbox server; the implementation lives in `sandbox.brevo`."""

from tajo_assets.sandbox.brevo import (
    BrevoSandbox,
    BrevoSandboxSettings,
    RequestCount,
    RequestCounts,
)

__all__ = ["BrevoSandbox", "BrevoSandboxSettings", "RequestCount", "RequestCounts"]
