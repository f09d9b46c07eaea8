"""Faults a test switches on in the Snowflake sandbox: Snowflake's error bodies.

The switches themselves (`Fault`, `Hold`, `Watch`) are shared by both sandboxes
and described in `tajo_assets.sandbox.faults`; this module gives them the
bodies Snowflake sends with each error status.
"""

from tajo_assets.sandbox import faults

# Bodies Snowflake sends with these statuses (SQL API reference, error codes).
_DEFAULT_BODIES = {
    429: {"code": "390505", "message": "Too many requests."},
    500: {"code": "000603", "message": "Internal error (injected by the sandbox)."},
    502: {"code": "000603", "message": "Bad gateway (injected by the sandbox)."},
    503: {"message": "Service unavailable (injected by the sandbox)."},
    504: {"message": "Gateway timeout (injected by the sandbox)."},
}


class SnowflakeFaults(faults.Faults):
    """The fault switches of a Snowflake sandbox, answering Snowflake's bodies."""

    def __init__(self) -> None:
        super().__init__(default_bodies=_DEFAULT_BODIES)
