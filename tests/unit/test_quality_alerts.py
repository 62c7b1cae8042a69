"""Alerts are recorded and logged even when the e-mail cannot go out; no secret in the record."""

from __future__ import annotations

import socket

from crvs.quality import alerts
from tests.alert_log import read_alerts


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens there once the socket is closed


def test_without_smtp_the_alert_is_recorded_and_says_so(monkeypatch):
    monkeypatch.delenv("CRVS_SMTP_HOST", raising=False)
    alerts.alerts_file().unlink(missing_ok=True)

    alert = alerts.raise_alert("[crvs] test", "Gate 2025Q3 FAILED on 1 blocking check(s)", dag_id="d")

    assert alert["email"] == "not sent: no SMTP configured (CRVS_SMTP_HOST, CRVS_ALERT_EMAIL_TO)"
    assert read_alerts() == [alert]


def test_an_smtp_server_that_is_down_does_not_hide_the_failure(monkeypatch, caplog):
    monkeypatch.setenv("CRVS_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("CRVS_SMTP_PORT", str(_closed_port()))
    monkeypatch.setenv("CRVS_ALERT_EMAIL_TO", "duty@example.org")
    monkeypatch.setenv("CRVS_SMTP_PASSWORD", "s3cret-not-to-be-seen")
    alerts.alerts_file().unlink(missing_ok=True)

    alert = alerts.raise_alert("[crvs] test", "the quarter is blocked")

    assert alert["email"].startswith("not sent: ")
    assert read_alerts()[-1]["message"] == "the quarter is blocked"
    assert "s3cret" not in alerts.alerts_file().read_text() and "s3cret" not in caplog.text
    assert "ALERT [crvs] test: the quarter is blocked" in caplog.text


def test_the_callback_takes_the_task_and_the_exception_from_the_context(monkeypatch):
    monkeypatch.delenv("CRVS_SMTP_HOST", raising=False)
    alerts.alerts_file().unlink(missing_ok=True)
    task = type("TI", (), {"dag_id": "crvs_quarterly_report", "task_id": "quality_gate", "run_id": "manual__1"})()

    alerts.task_failure_alert({"task_instance": task, "exception": RuntimeError("missing 1 province(s): 15")})

    (alert,) = read_alerts()
    assert (alert["subject"], alert["message"], alert["run_id"]) == (
        "[crvs] crvs_quarterly_report failed at quality_gate",
        "missing 1 province(s): 15",
        "manual__1",
    )
