"""The `crvs` console script as scripts and schedulers use it: from another directory, with the
session's CRVS_HOME, reading exit codes and the last line of output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
from report_quarter import QUARTER, fill_quarter

from crvs.devtools.sample import write_delivery

CRVS = str(Path(sys.executable).with_name("crvs"))


def crvs(*args, cwd) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CRVS, "-q", *args], cwd=cwd, env=os.environ.copy(), capture_output=True, text=True, timeout=300
    )


def rates_delivery(folder: Path, delivery_id: str, rate: str) -> Path:
    return write_delivery(
        folder / delivery_id,
        dict(
            delivery_id=delivery_id,
            agency="GSO",
            channel="FILE",
            schema_version="1.0",
            extracted_at="2025-10-01T08:00:00+07:00",
            period_start="2025-01-01",
            period_end="2025-12-31",
        ),
        {
            "vital_rates.csv": (
                "gso_vital_rates",
                [
                    dict(
                        year="2025",
                        province_code="01",
                        admin_code_version="2025",
                        crude_birth_rate=rate,
                        crude_death_rate="6.1",
                    )
                ],
            )
        },
    )


def test_db_url_prints_a_working_dsn_on_its_last_line(warehouse, tmp_path):
    result = crvs("db", "url", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    dsn = result.stdout.strip().splitlines()[-1]
    with psycopg.connect(dsn) as conn:
        assert conn.execute("select current_database()").fetchone()[0] == "crvs_warehouse"
    status = crvs("db", "status", cwd=tmp_path)
    assert "running" in status.stdout and os.environ["CRVS_HOME"] in status.stdout


def test_ingest_loads_the_good_deliveries_then_exits_non_zero_for_a_rejected_one(warehouse, db, tmp_path):
    inbox = tmp_path / "inbox"
    rates_delivery(inbox, "GSO-2025-0001", "14.2")
    bad = rates_delivery(inbox, "GSO-2025-0002", "15.0")
    manifest = json.loads((bad / "manifest.json").read_text())
    manifest["files"][0]["rows"] = 2
    (bad / "manifest.json").write_text(json.dumps(manifest))
    rates_delivery(inbox, "GSO-2025-0003", "16.0")

    result = crvs("ingest", str(inbox), cwd=tmp_path)

    assert result.returncode == 1
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("loaded          GSO-2025-0001: 1 rows loaded")
    assert lines[1] == ("rejected        GSO-2025-0002: vital_rates.csv: the manifest says 2 rows, the file has 1")
    assert lines[2].startswith("loaded          GSO-2025-0003")
    assert db.execute("select delivery_id from raw.deliveries order by 1").fetchall() == [
        ("GSO-2025-0001",),
        ("GSO-2025-0003",),
    ]

    again = crvs("ingest", str(inbox / "GSO-2025-0001"), cwd=tmp_path)
    assert (again.returncode, again.stdout.strip()) == (0, "already loaded  GSO-2025-0001")


def test_a_bad_quarter_argument_is_a_usage_error(tmp_path):
    result = crvs("report", "--quarter", "2025-3", cwd=tmp_path)
    assert result.returncode == 2
    assert "'2025-3' is not a quarter like 2025Q3" in result.stderr


def test_gate_and_report_exit_non_zero_and_write_nothing_when_the_gate_blocks(warehouse, tmp_path):
    # An empty warehouse has no report models: the gate's blocking checks fail.
    gate = crvs("gate", "--quarter", "2025Q3", cwd=tmp_path)
    assert gate.returncode == 1, gate.stderr
    assert gate.stdout.strip().splitlines()[-1].startswith("Gate 2025Q3 FAILED")
    out = tmp_path / "reports"
    report = crvs("report", "--quarter", "2025Q3", "--out", str(out), cwd=tmp_path)
    assert report.returncode == 1
    assert "quality gate blocked the 2025Q3 report; nothing written" in report.stderr
    assert not out.exists()


def test_report_prints_its_information_loss_and_exits_1_when_the_audit_refuses_the_public_edition(db, tmp_path):
    fill_quarter(db)
    out = tmp_path / "reports"
    written = crvs("report", "--quarter", QUARTER, "--out", str(out), cwd=tmp_path)
    assert written.returncode == 0, written.stderr
    # report_quarter's T2: 01's 3 + 40 and 04's 50 + 45 hidden, 138 of 4 × 6218 counts
    assert "disclosure control: T2: 6 cells hidden (4 counts, 2 rates), 0.55 % of its count hidden" in written.stdout
    assert "disclosure audit passed" in written.stdout

    # The national sex ratio alone changed: it contradicts the published counts; the audit refuses.
    db.execute("update reports.rpt_t2_births_by_sex set sex_ratio_at_birth = 130.0 where province_code = 'VN'")
    refused = crvs("report", "--quarter", QUARTER, "--out", str(out), cwd=tmp_path)
    assert refused.returncode == 1, refused.stdout
    line = refused.stderr.strip().splitlines()[-1]
    assert "T2 contradiction" in line and "nothing public was written" in line and "130" not in line, line
    assert (out / QUARTER / "agency" / "T2_births_by_sex.csv").is_file()
    assert not (out / QUARTER / "public").exists()


def test_db_start_status_url_stop_on_a_home_of_its_own(tmp_path):
    """A second embedded server in another CRVS_HOME: its own port, data folder and life."""
    env = {k: v for k, v in os.environ.items() if k not in ("CRVS_PG_PORT",)}
    env["CRVS_HOME"] = str(tmp_path / "home")

    def run(*args):
        return subprocess.run(
            [CRVS, "-q", "db", *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
        )

    assert "not initialised" in run("status").stdout
    started = run("start")
    assert started.returncode == 0, started.stderr
    try:
        dsn = run("url").stdout.strip().splitlines()[-1]
        assert dsn != os.environ.get("CRVS_WAREHOUSE_URL") and f":{os.environ['CRVS_PG_PORT']}/" not in dsn
        with psycopg.connect(dsn) as conn:
            assert conn.execute("show server_version_num").fetchone()[0] >= "180000"
            assert conn.execute("select count(*) from pg_database where datname = 'crvs_airflow'").fetchone() == (1,)
        assert "running" in run("status").stdout
        key = tmp_path / "home" / "secrets" / "pseudonym.key"
        assert oct(key.stat().st_mode & 0o777) == "0o600" and len(key.read_text().strip()) == 64
    finally:
        stopped = run("stop")
    assert stopped.returncode == 0 and "stopped" in run("status").stdout


def test_fetch_loads_from_the_platform_one_line_per_delivery_and_exits_1_on_a_rejection(
    warehouse, db, tmp_path, monkeypatch
):
    from crvs.devtools.platform_server import PlatformServer

    served = tmp_path / "platform"
    rates_delivery(served, "GSO-2025-0001", "14.2")
    bad = rates_delivery(served, "GSO-2025-0002", "15.0")
    manifest = json.loads((bad / "manifest.json").read_text())
    manifest["files"][0]["rows"] = 3
    manifest["extracted_at"] = "2025-11-01T08:00:00+07:00"
    (bad / "manifest.json").write_text(json.dumps(manifest))
    with PlatformServer(served, "cli-token", page_size=1) as server:
        monkeypatch.setenv("CRVS_PLATFORM_URL", server.url)
        monkeypatch.setenv("CRVS_PLATFORM_TOKEN", "cli-token")
        result = crvs("fetch", "--agency", "GSO", cwd=tmp_path)
        assert result.returncode == 1, result.stderr
        assert result.stdout.splitlines() == [
            "loaded          GSO-2025-0001: 1 rows loaded, 0 quarantined (gso_vital_rates)",
            "rejected        GSO-2025-0002: vital_rates.csv (gso_vital_rates): the platform's manifest says 3 rows, "
            "its pages gave 1",
        ]
        monkeypatch.setenv("CRVS_PLATFORM_TOKEN", "expired-tok-3f9a")
        refused = crvs("fetch", "--agency", "GSO", cwd=tmp_path)
    assert refused.returncode == 2
    assert "refused the token (401)" in refused.stderr and "CRVS_PLATFORM_TOKEN" in refused.stderr
    assert "tok-3f9a" not in refused.stderr + refused.stdout  # the token is never printed
    assert db.execute("select channel from raw.deliveries").fetchall() == [("API",)]


def test_fetch_without_a_platform_address_says_what_to_set(tmp_path, monkeypatch):
    monkeypatch.delenv("CRVS_PLATFORM_URL", raising=False)
    result = crvs("fetch", cwd=tmp_path)
    assert result.returncode == 2 and "CRVS_PLATFORM_URL is not set" in result.stderr


def test_ingest_mail_loads_the_attached_delivery(warehouse, db, tmp_path):
    from email.message import EmailMessage

    files = rates_delivery(tmp_path / "made", "GSO-2025-0009", "14.2")
    msg = EmailMessage()
    msg["Subject"], msg["Message-ID"] = "delivery", "<1@gso.example>"
    msg.set_content("attached")
    for path in sorted(files.iterdir()):
        msg.add_attachment(path.read_bytes(), maintype="application", subtype="octet-stream", filename=path.name)
    (tmp_path / "mail").mkdir()
    (tmp_path / "mail" / "m.eml").write_bytes(msg.as_bytes())
    result = crvs("ingest", "--mail", str(tmp_path / "mail"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["m.eml: GSO-2025-0009: loaded 1 rows, quarantined 0 (gso_vital_rates)"]
    assert db.execute("select channel from raw.deliveries").fetchall() == [("EMAIL",)]


def test_ingest_of_a_path_that_does_not_exist_says_so_and_loads_nothing(warehouse, db, tmp_path):
    good = rates_delivery(tmp_path / "inbox", "GSO-2025-0001", "14.2")
    missing = tmp_path / "nonexistent" / "dir"

    result = crvs("ingest", str(good), str(missing), cwd=tmp_path)

    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == f"crvs ingest: {missing} does not exist"
    assert "manifest" not in result.stderr
    assert db.execute("select count(*) from raw.deliveries").fetchone() == (0,)  # nothing was loaded


def test_the_loader_names_a_delivery_folder_that_does_not_exist(warehouse, tmp_path):
    from crvs.feeds import loader

    result = loader.ingest_path(tmp_path / "gone")

    assert result.outcome == loader.REJECTED
    assert result.reason == f"{tmp_path / 'gone'}: does not exist"
