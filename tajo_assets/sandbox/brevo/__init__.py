"""A local, stateful stand-in for Brevo's API v3 (see `sandbox.BrevoSandbox`)."""

from tajo_assets.sandbox.brevo.rate_limits import RequestCount, RequestCounts
from tajo_assets.sandbox.brevo.sandbox import BrevoSandbox, BrevoSandboxSettings

__all__ = ["BrevoSandbox", "BrevoSandboxSettings", "RequestCount", "RequestCounts"]
