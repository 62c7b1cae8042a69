"""`make celery-smoke` as one test: the project's Airflow on the CeleryExecutor (Redis on
127.0.0.1:6379, started when none answers), two workers with their own folders, a sample quarter
from the inbox to e-mail; then nothing it started may be left running."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

SMOKE_TIMEOUT = 900  # seconds; on 2 busy cores it takes ~4-6 minutes


def _processes_mentioning(text: str) -> list[str]:
    """Processes whose environment or command line holds `text` (the smoke's own folder)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            blob = (proc / "environ").read_bytes() + (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if text.encode() in blob:
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            found.append(f"{proc.name}: {command}")
    return found


@pytest.mark.slow
def test_a_quarter_runs_from_delivery_to_e_mail_on_two_celery_workers_and_nothing_is_left_running():
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AIRFLOW", "CRVS_")) or k in ("CRVS_CELERY_BROKER_URL", "CRVS_PG_THROWAWAY")
    }
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "crvs.cli",
            "airflow",
            "celery-smoke",
            "--scale",
            "0.002",
            "--timeout",
            str(SMOKE_TIMEOUT - 60),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=SMOKE_TIMEOUT,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-6000:]
    lines = done.stdout.strip().splitlines()
    assert lines[-1] == "success", out[-6000:]

    runs = [line.split() for line in lines if re.match(r"^  crvs_\w+ ", line)]
    by_dag = {}
    for dag_id, run_type, state, _run_id in runs:
        by_dag.setdefault(dag_id, []).append((run_type, state))
    for dag_id in ("crvs_ingest_moj", "crvs_ingest_moh", "crvs_ingest_gso"):
        assert ("manual", "success") in by_dag[dag_id], by_dag
    assert ("asset_triggered", "success") in by_dag["crvs_transform"], by_dag
    assert ("scheduled", "success") in by_dag["crvs_quarterly_report"], by_dag
    assert all(state == "success" for states in by_dag.values() for _, state in states), by_dag
    assert re.search(r"e-mails received by the SMTP server: [1-9]", done.stdout), done.stdout
    # the report's task log holds the task's lines, not fontTools' subsetting chatter
    assert re.search(r"write_report's task log: \d+ lines, 0 from fontTools/matplotlib", done.stdout), done.stdout
    # both workers took tasks, each writing its task logs in its own folder
    ran = dict(re.findall(r"\[celery-smoke\] (worker-\d) ran (\d+) distinct task", done.stdout))
    assert set(ran) == {"worker-1", "worker-2"} and all(int(n) > 0 for n in ran.values()), done.stdout
    # the UI reads a task's log from the log server of the worker that ran it (its own address, one port)
    shown = re.findall(
        r"the UI shows \S+ log, run on (worker-\d): (\d+) lines from http://(127\.0\.0\.\d+):\d+/log/", done.stdout
    )
    assert {(worker, address) for worker, _, address in shown} == {
        ("worker-1", "127.0.0.2"),
        ("worker-2", "127.0.0.3"),
    }, done.stdout
    assert all(int(lines) > 0 for _, lines, _ in shown), done.stdout

    root = re.search(r"starting the embedded PostgreSQL in (\S+)/main", done.stdout).group(1)
    assert _processes_mentioning(root) == []
    assert not Path(root).exists()  # removed after a successful run
