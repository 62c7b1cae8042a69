"""A blocked gate's message, as the task log, the alert and its e-mail show it: the verdict once,
then one failed check per line, and no exception chain repeating it."""

from __future__ import annotations

import re
import traceback

import pytest

from crvs import errors, pipeline


def test_a_blocked_gate_names_each_failed_check_on_its_own_line_and_says_it_once(warehouse):
    # An empty warehouse: every report model is missing, so every required suite fails its first check.
    with pytest.raises(errors.RunBlocked) as blocked:
        pipeline.gate("2025Q3")
    error = blocked.value
    lines = str(error).splitlines()
    verdict = re.fullmatch(
        r"quality gate of 2025Q3 FAILED on (\d+) blocking check\(s\)(, \d+ warning\(s\))?; "
        r"the report is not written:",
        lines[0],
    )
    assert verdict, lines[0]
    checks = [line for line in lines[1:] if line.startswith("  blocking: ")]
    assert len(checks) == int(verdict.group(1)) >= 2
    assert all(line.startswith(("  blocking: ", "  warning: ")) for line in lines[1:])
    assert any("rpt_t8_completeness: the model exists" in line for line in checks), checks
    assert len(set(lines)) == len(lines)
    # raised `from None`: the traceback shows the message once, not once per link of a chain
    assert error.__cause__ is None and error.__suppress_context__
    assert "".join(traceback.format_exception(error)).count(checks[0]) == 1
