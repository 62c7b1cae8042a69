"""The quality gate over the quarter's report models (GX 1.x, suites as code in suites.py)."""

import os

# Before GX is first imported: no usage statistics leave this machine.
os.environ["GX_ANALYTICS_ENABLED"] = "False"

from crvs.quality.gate import ExpectationOutcome, GateFailed, GateResult, require_pass, run_gate

__all__ = ["ExpectationOutcome", "GateFailed", "GateResult", "require_pass", "run_gate"]
