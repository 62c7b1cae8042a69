"""Airflow's configuration as the project sets it (crvs.airflow_env) and where the files one task
hands to the next live (settings.shared_dir): no Airflow process needed."""

from __future__ import annotations

import stat

import pytest

from crvs import airflow_env, settings


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("CRVS_HOME", str(tmp_path / "home"))
    for name in (*airflow_env.SHARED_SECRETS, "CRVS_SHARED_DIR", "CRVS_AIRFLOW_HOST", "CRVS_LOG_SERVER_HOST"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "home"


def test_nothing_runs_by_surprise_and_times_are_vietnam_s(home):
    env = airflow_env.environment()
    assert env["AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION"] == "True"
    assert env["AIRFLOW__CORE__DEFAULT_TIMEZONE"] == "Asia/Ho_Chi_Minh"
    assert env["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"
    assert airflow_env.environment("CeleryExecutor")["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"


def test_the_ui_and_log_servers_listen_on_the_loopback_address_unless_configured(home, monkeypatch):
    assert airflow_env.environment()["AIRFLOW__API__HOST"] == "127.0.0.1"
    assert settings.log_server_host() == "127.0.0.1"
    monkeypatch.setenv("CRVS_AIRFLOW_HOST", "0.0.0.0")
    monkeypatch.setenv("CRVS_LOG_SERVER_HOST", "10.1.2.3")
    assert airflow_env.environment()["AIRFLOW__API__HOST"] == "0.0.0.0"
    assert settings.log_server_host() == "10.1.2.3"


def test_the_secrets_every_airflow_process_shares_are_generated_once_private_and_valid(home):
    from cryptography.fernet import Fernet

    first = airflow_env.environment()
    second = airflow_env.environment()
    for variable, name in airflow_env.SHARED_SECRETS.items():
        assert first[variable] == second[variable] and len(first[variable]) >= 40
        path = home / "secrets" / name
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    Fernet(first["AIRFLOW__CORE__FERNET_KEY"].encode())  # raises on a malformed key
    assert len({first[v] for v in airflow_env.SHARED_SECRETS}) == 3


def test_a_secret_from_the_environment_is_used_and_nothing_is_generated_for_it(home, monkeypatch):
    monkeypatch.setenv("AIRFLOW__API_AUTH__JWT_SECRET", "from-the-secret-store")
    target = {"AIRFLOW__API_AUTH__JWT_SECRET": "from-the-secret-store"}
    airflow_env.apply(target)
    assert target["AIRFLOW__API_AUTH__JWT_SECRET"] == "from-the-secret-store"
    assert not (home / "secrets" / airflow_env.SHARED_SECRETS["AIRFLOW__API_AUTH__JWT_SECRET"]).exists()


def test_what_tasks_hand_each_other_lives_in_the_shared_folder_and_the_host_s_own_state_does_not(
    home, tmp_path, monkeypatch
):
    monkeypatch.delenv("CRVS_MAIL_DIR", raising=False)
    assert settings.inbox_dir() == home / "inbox"  # default: everything in CRVS_HOME
    shared = tmp_path / "nfs" / "crvs"
    monkeypatch.setenv("CRVS_SHARED_DIR", str(shared))
    assert settings.inbox_dir() == shared / "inbox"
    assert settings.reports_dir() == shared / "reports"
    assert settings.outbox_dir() == shared / "outbox"
    assert settings.platform_spool_dir() == shared / "platform" / "spool"
    assert settings.mail_dir() == shared / "mail"
    # the host's own: Airflow's home (task logs), the embedded PostgreSQL
    assert settings.airflow_home() == home / "airflow"
    assert settings.postgres_dir() == home / "postgres"


def test_the_report_s_chatty_libraries_log_warnings_only_in_a_task_log():
    import logging

    import crvs.report.pdf  # noqa: F401 — the writer every report task imports

    for name in ("fontTools.subset", "fontTools.ttLib", "matplotlib.font_manager"):
        logger = logging.getLogger(name)
        assert not logger.isEnabledFor(logging.INFO) and logger.isEnabledFor(logging.WARNING)
