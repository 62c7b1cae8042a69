"""The pieces of crvs.airflow (adapter, cli) and crvs.devtools.demo that need no Airflow run: the UI login hint, the DAG defaults and
the demo's reference platform."""

from __future__ import annotations

import datetime as dt
import json
import os

from crvs.airflow import adapter
from crvs.airflow import cli as airflow_cli
from crvs.devtools import demo


def test_login_hint_names_the_password_file_but_never_the_password(tmp_path, monkeypatch):
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path))
    monkeypatch.delenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE", raising=False)
    monkeypatch.setenv("AIRFLOW__API__PORT", "18080")
    path = tmp_path / "simple_auth_manager_passwords.json.generated"
    assert airflow_cli.password_file() == path
    assert "generated at first start" in airflow_cli.ui_login_hint()

    path.write_text(json.dumps({"admin": "s3cret-Pa55"}))
    hint = airflow_cli.ui_login_hint()
    assert "http://127.0.0.1:18080" in hint and "`admin`" in hint and str(path) in hint
    assert "s3cret-Pa55" not in hint


def test_dag_defaults_retry_passing_trouble():
    defaults = adapter.dag_defaults()
    assert defaults["retries"] == 2 and defaults["retry_delay"] == dt.timedelta(minutes=5)
    assert adapter.DAG_START_DATE < dt.datetime.now(dt.timezone.utc)


def test_the_demo_serves_moj_from_the_platform_and_drops_the_others_in_the_inbox(warehouse, monkeypatch):
    import shutil
    import urllib.request

    from crvs import settings

    monkeypatch.delenv(demo.demo_platform.VARIABLE, raising=False)
    shutil.rmtree(settings.inbox_dir(), ignore_errors=True)
    shutil.rmtree(demo.demo_platform_root(), ignore_errors=True)
    try:
        dropped = demo.drop_sample_into_inbox("2025Q3", 0.001, platform_agencies=("MOJ",))
        assert sorted(dropped) == ["GSO-2025-0001", "MOH-2025Q3-0001", "MOJ-2025Q3-0001"]
        assert (demo.demo_platform_root() / "MOJ-2025Q3-0001" / "manifest.json").is_file()
        assert sorted(p.name for p in settings.inbox_dir().iterdir()) == ["GSO-2025-0001", "MOH-2025Q3-0001"]
        with demo.demo_platform() as url:
            conn = json.loads(os.environ[demo.demo_platform.VARIABLE])
            assert url == f"http://{conn['host']}:{conn['port']}"
            request = urllib.request.Request(
                f"{url}/v1/deliveries?agency=MOJ", headers={"Authorization": f"Bearer {conn['password']}"}
            )
            with urllib.request.urlopen(request, timeout=5) as answer:
                assert [d["delivery_id"] for d in json.loads(answer.read())["deliveries"]] == ["MOJ-2025Q3-0001"]
        # the token lived only in this process's environment, for the demo's runs
        assert demo.demo_platform.VARIABLE not in os.environ
    finally:
        shutil.rmtree(settings.inbox_dir(), ignore_errors=True)
        shutil.rmtree(demo.demo_platform_root(), ignore_errors=True)
