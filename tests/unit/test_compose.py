"""docker-compose.yml, the Dockerfile and .env.example checked against the code, since no Docker
engine runs here: the official Airflow 3 shape (services, healthchecks, restart policies), the
CeleryExecutor on Redis, every CRVS_* variable one the code reads, every AIRFLOW__* variable a real
Airflow option, every secret from .env, the shared folder mounted wherever a task runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from crvs import settings

ROOT = settings.PROJECT_ROOT
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
AIRFLOW_SERVICES = {  # service → the airflow command it runs (as in Airflow's official compose)
    "airflow-apiserver": "api-server",
    "airflow-scheduler": "scheduler",
    "airflow-dag-processor": "dag-processor",
    "airflow-triggerer": "triggerer",
    "airflow-worker": "celery worker",
}
SECRETS = (
    "AIRFLOW_DB_PASSWORD",
    "AIRFLOW_FERNET_KEY",
    "AIRFLOW_JWT_SECRET",
    "AIRFLOW_API_SECRET_KEY",
    "AIRFLOW_ADMIN_PASSWORD",
    "CRVS_DB_PASSWORD",
    "CRVS_PSEUDONYM_KEY",
    "CRVS_ANALYST_PASSWORD",
)


def _environment(service: str) -> dict[str, str]:
    return {k: str(v) for k, v in SERVICES[service].get("environment", {}).items()}


def _variables_the_code_reads() -> set[str]:
    """Every CRVS_* name the package reads from the environment (f-string names by their prefix)."""
    names = set()
    for path in (ROOT / "crvs").rglob("*.py"):
        names |= set(re.findall(r"[\"'](CRVS_[A-Z0-9_]+?)(?:\{[^}]*\})?[\"']", path.read_text()))
    return names


def test_the_services_of_airflow_s_official_compose_on_the_celery_executor():
    assert set(SERVICES) == {"postgres", "redis", "airflow-init", *AIRFLOW_SERVICES}
    for service, command in AIRFLOW_SERVICES.items():
        spec = SERVICES[service]
        assert spec["command"] == command, service
        assert spec["restart"] == "always", service
        assert spec["healthcheck"]["test"], service
        assert spec["depends_on"]["airflow-init"] == {"condition": "service_completed_successfully"}, service
        assert spec["depends_on"]["postgres"] == {"condition": "service_healthy"}, service
        assert spec["depends_on"]["redis"] == {"condition": "service_healthy"}, service
        assert spec["build"] == "." and spec["user"].endswith(":0"), service
    for service in ("postgres", "redis"):
        assert SERVICES[service]["restart"] == "always" and SERVICES[service]["healthcheck"]["test"]
    env = _environment("airflow-scheduler")
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert (
        env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://")
        and "@redis:6379" in env["AIRFLOW__CELERY__BROKER_URL"]
    )
    assert env["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("db+postgresql")
    assert env["AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION"] == "true"
    # the healthcheck's endpoint is served: the scheduler's health server is on
    assert "8974/health" in " ".join(SERVICES["airflow-scheduler"]["healthcheck"]["test"])
    assert env["AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK"] == "true"
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://airflow-apiserver:8080/execution/"


def test_workers_scale_they_have_no_name_and_no_published_port_and_warm_shutdown():
    worker = SERVICES["airflow-worker"]
    assert "container_name" not in worker and "ports" not in worker
    assert worker["environment"]["DUMB_INIT_SETSID"] == "0"
    assert "inspect ping" in " ".join(worker["healthcheck"]["test"])


def test_init_migrates_sets_the_admin_and_defines_the_smtp_connection_the_report_dag_reads():
    from crvs import delivery

    init = SERVICES["airflow-init"]
    script = "\n".join(init["command"])
    assert "airflow db migrate" in script
    assert f"airflow connections add {delivery.AIRFLOW_SMTP_CONN_ID} --conn-uri" in script
    # the connection's URI (it holds a password) is never echoed
    assert re.search(r"connections add .*> /dev/null", script)
    assert _environment("airflow-init")["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"] in script
    assert "AIRFLOW_ADMIN_PASSWORD" in script


def test_every_crvs_variable_is_one_the_code_reads_and_points_where_the_code_expects():
    read = _variables_the_code_reads()
    assert {"CRVS_HOME", "CRVS_SHARED_DIR", "CRVS_WAREHOUSE_URL", "CRVS_PSEUDONYM_KEY"} <= read  # the scan works
    for service in ("airflow-init", *AIRFLOW_SERVICES):
        unknown = {name for name in _environment(service) if name.startswith("CRVS_")} - read
        assert unknown == set(), f"{service}: the code reads no {sorted(unknown)}"
    env = _environment("airflow-worker")
    assert env["CRVS_WAREHOUSE_URL"].endswith(f"@postgres:5432/{settings.WAREHOUSE_DB}")
    # the warehouse database the URL names is the one the PostgreSQL init script creates
    init_sql = (ROOT / "docker" / "postgres-init.sh").read_text()
    assert f"create database {settings.WAREHOUSE_DB} owner crvs" in init_sql
    mounted = {m.split(":")[1]: m.split(":")[0] for m in SERVICES["postgres"]["volumes"]}
    assert mounted["/docker-entrypoint-initdb.d/10-crvs-warehouse.sh"] == "./docker/postgres-init.sh"


def test_every_airflow_variable_is_a_real_airflow_option():
    from airflow.configuration import conf
    from airflow.providers.celery.get_provider_info import get_provider_info

    known = {
        (section, option)
        for described in (conf.configuration_description, get_provider_info()["config"])
        for section, spec in described.items()
        for option in spec["options"]
    }
    assert ("core", "executor") in known and ("celery", "broker_url") in known
    for service in ("airflow-init", *AIRFLOW_SERVICES):
        for name in _environment(service):
            match = re.fullmatch(r"AIRFLOW__([A-Z_]+?)__([A-Z_]+)", name)
            if not match:
                continue
            section, option = match.group(1).lower(), match.group(2).lower()
            assert (section, option) in known, f"{service}: {name} is no Airflow option"


def test_every_secret_comes_from_env_required_and_env_example_lists_every_variable():
    text = (ROOT / "docker-compose.yml").read_text()
    used = set(re.findall(r"(?<!\$)\$\{([A-Z_][A-Z0-9_]*)", text))  # $${X}: the container shell's
    example = dict(
        line.split("=", 1)
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert used - {"CRVS_IMAGE_NAME"} <= set(example), sorted(used - set(example))
    for secret in SECRETS:
        assert re.search(rf"\$\{{{secret}:\?", text), f"{secret} must be required (no default)"
        assert example[secret] == "", f".env.example must not hold a value for {secret}"
        assert not re.search(rf"\$\{{{secret}:-", text), secret
    # .env itself is never committed, nor copied into the image
    assert ".env" in (ROOT / ".gitignore").read_text().split()
    assert ".env" in (ROOT / ".dockerignore").read_text().split()


def test_the_shared_folder_and_the_task_logs_are_mounted_wherever_a_task_or_the_ui_runs():
    shared = _environment("airflow-worker")["CRVS_SHARED_DIR"]
    declared = set(COMPOSE["volumes"])
    for service in ("airflow-init", *AIRFLOW_SERVICES):
        mounts = dict(reversed(m.split(":")[:2]) for m in SERVICES[service]["volumes"])
        assert mounts.get(shared) == "crvs-shared", service
        assert mounts.get("/opt/airflow/logs") == "airflow-logs", service
        assert {source for source in mounts.values() if not source.startswith(".")} <= declared, service
    auth = _environment("airflow-apiserver")["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"]
    mounts = dict(reversed(m.split(":")[:2]) for m in SERVICES["airflow-apiserver"]["volumes"])
    assert mounts.get(str(Path(auth).parent)) == "airflow-auth"


def test_the_image_is_airflow_s_official_one_of_the_pinned_version_with_the_requirements_and_the_package():
    dockerfile = (ROOT / "Dockerfile").read_text()
    pinned = re.search(r"^apache-airflow==(\S+)$", (ROOT / "requirements.txt").read_text(), re.M).group(1)
    assert re.search(rf"^FROM apache/airflow:{re.escape(pinned)}$", dockerfile, re.M)
    assert "pip install --no-cache-dir -r /opt/crvs/requirements.txt" in dockerfile
    # editable: settings.PROJECT_ROOT (dags/, dbt_project/) is the copied project
    assert "pip install --no-cache-dir --no-deps -e /opt/crvs" in dockerfile
    assert re.search(r"apt-get install .*\bgcc\b.*\blibssl-dev\b", dockerfile)
    env = _environment("airflow-scheduler")
    assert env["AIRFLOW__CORE__DAGS_FOLDER"] == "/opt/crvs/dags"
    assert re.search(r"^ENV AIRFLOW__CORE__DAGS_FOLDER=/opt/crvs/dags$", dockerfile, re.M)


def test_the_celery_provider_is_pinned_and_installed():
    import airflow.providers.celery

    assert re.search(r"^apache-airflow-providers-celery==\S+$", (ROOT / "requirements.txt").read_text(), re.M)
    assert airflow.providers.celery.__version__


@pytest.mark.parametrize("service", sorted(AIRFLOW_SERVICES))
def test_the_ui_is_published_on_the_loopback_address_only(service):
    ports = SERVICES[service].get("ports", [])
    assert all(str(p).startswith("127.0.0.1:") for p in ports)
    assert bool(ports) == (service == "airflow-apiserver")
