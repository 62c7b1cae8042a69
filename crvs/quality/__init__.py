"""The quality gate over the quarter's report models (GX 1.x, suites as code in suites.py)."""

import logging
import os

# Before GX is first imported: no usage statistics leave this machine, and its import-time INFO
# chatter ("Skipping registering function ...") stays out of task logs.
os.environ["GX_ANALYTICS_ENABLED"] = "False"
logging.getLogger("great_expectations").setLevel(logging.WARNING)

from crvs.quality.gate import ExpectationOutcome, GateFailed, GateResult, require_pass, run_gate

__all__ = ["ExpectationOutcome", "GateFailed", "GateResult", "require_pass", "run_gate"]
