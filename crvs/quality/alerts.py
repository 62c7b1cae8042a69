"""Alerts when a CRVS task fails: the failure callback of every DAG (crvs.airflow.adapter.dag_defaults).

Each alert is (1) logged at ERROR, (2) appended as one JSON line to $CRVS_HOME/alerts/alerts.jsonl
(what the operator's monitoring tails), and (3) e-mailed when SMTP is configured
(CRVS_SMTP_HOST, CRVS_SMTP_PORT, CRVS_ALERT_EMAIL_TO, CRVS_ALERT_EMAIL_FROM; see crvs/settings.py).
The message is the task's exception text: for a blocked quarter, the gate's summary naming the
expectation, the province and the count. No personal data and no secret ever goes into it.

An alert that cannot be sent (SMTP down) is logged and recorded, never raised: a failing alert
must not hide the failure it reports.
"""

from __future__ import annotations

import json
import logging
import smtplib
from datetime import datetime, timezone
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from crvs import settings

log = logging.getLogger(__name__)


def alerts_file() -> Path:
    return settings.home() / "alerts" / "alerts.jsonl"


def raise_alert(subject: str, message: str, **facts: Any) -> dict[str, Any]:
    """Record, log and (when configured) e-mail one alert; returns the recorded alert."""
    alert = {
        "raised_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "subject": subject,
        "message": message,
        **facts,
    }
    log.error("ALERT %s: %s", subject, message)
    smtp = settings.alert_smtp()
    if smtp is None:
        alert["email"] = "not sent: no SMTP configured (CRVS_SMTP_HOST, CRVS_ALERT_EMAIL_TO)"
    else:
        try:
            _send(smtp, subject, message)
            alert["email"] = f"sent to {', '.join(smtp['to'])}"
        except (OSError, smtplib.SMTPException) as err:
            alert["email"] = f"not sent: {err}"
            log.error("the alert e-mail could not be sent: %s", err)
    path = alerts_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as f:
        f.write(json.dumps(alert, ensure_ascii=False, default=str) + "\n")
    return alert


def _send(smtp: dict[str, Any], subject: str, body: str) -> None:
    mail = EmailMessage()
    mail["Subject"] = subject
    mail["From"] = smtp["from"]
    mail["To"] = ", ".join(smtp["to"])
    mail.set_content(body)
    with smtplib.SMTP(smtp["host"], smtp["port"], timeout=30) as client:
        if smtp.get("starttls"):
            client.starttls()
        if smtp.get("user"):
            client.login(smtp["user"], smtp["password"])
        client.send_message(mail)


def task_failure_alert(context: dict[str, Any]) -> None:
    """Airflow on_failure_callback: the DAG, run, task and the exception's message."""
    ti = context.get("task_instance") or context.get("ti")
    dag_id = getattr(ti, "dag_id", None) or getattr(context.get("dag"), "dag_id", "?")
    task_id = getattr(ti, "task_id", "?")
    run_id = getattr(ti, "run_id", None) or getattr(context.get("dag_run"), "run_id", "?")
    error = context.get("exception")
    message = str(error) if error else "the task failed (see its log)"
    raise_alert(f"[crvs] {dag_id} failed at {task_id}", message, dag_id=dag_id, task_id=task_id, run_id=run_id)
