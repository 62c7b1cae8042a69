"""The pieces of crvs.orchestration that need no Airflow run: the UI login hint and the DAG defaults."""

from __future__ import annotations

import datetime as dt
import json

from crvs import orchestration


def test_login_hint_names_the_password_file_but_never_the_password(tmp_path, monkeypatch):
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path))
    monkeypatch.delenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE", raising=False)
    monkeypatch.setenv("AIRFLOW__API__PORT", "18080")
    path = tmp_path / "simple_auth_manager_passwords.json.generated"
    assert orchestration.password_file() == path
    assert "generated at first start" in orchestration.ui_login_hint()

    path.write_text(json.dumps({"admin": "s3cret-Pa55"}))
    hint = orchestration.ui_login_hint()
    assert "http://127.0.0.1:18080" in hint and "`admin`" in hint and str(path) in hint
    assert "s3cret-Pa55" not in hint


def test_dag_defaults_retry_passing_trouble():
    defaults = orchestration.dag_defaults()
    assert defaults["retries"] == 2 and defaults["retry_delay"] == dt.timedelta(minutes=5)
    assert orchestration.DAG_START_DATE < dt.datetime.now(dt.timezone.utc)
