"""The quality gate: GX 1.x suites as code (expectations/*.py), feed checks, freshness, alerts.

The gate's names (run_gate, GateResult, ...) load on first use, so importing a light module of
this package (alerts, freshness) from a DAG file does not import GX at parse time.
"""

import logging
import os

# Before GX is first imported: no usage statistics leave this machine, and its import-time INFO
# chatter ("Skipping registering function ...") stays out of task logs.
os.environ["GX_ANALYTICS_ENABLED"] = "False"
logging.getLogger("great_expectations").setLevel(logging.WARNING)

__all__ = ["ExpectationOutcome", "GateFailed", "GateResult", "require_pass", "run_gate"]


def __getattr__(name: str):
    if name in __all__:
        from crvs.quality import gate

        return getattr(gate, name)
    raise AttributeError(f"module 'crvs.quality' has no attribute {name!r}")
