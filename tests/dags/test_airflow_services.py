"""The supervisor of `make airflow` and `make celery-smoke` (crvs.airflow_services) with real
processes: a SIGTERM to it stops every process it started, grandchildren too, even one that left
its process group; a service that dies is reported with its log."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from crvs.airflow_services import ServiceFailed, Services

# A supervisor with two services: one starts a grandchild in its own group and one that escapes
# into a new session (as daemons and some pool processes do); it prints their pids, then waits.
SUPERVISOR = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from crvs.airflow_services import Services
    from crvs.airflow.cli import Stopped, on_stop_signals

    on_stop_signals()
    log_dir = Path(sys.argv[1])
    services = Services()
    services.add("plain", ["sleep", "300"], {"PATH": "/usr/bin:/bin"}, log_dir)
    services.add("forking", ["bash", "-c", "sleep 301 & echo $! > grandchild; setsid sleep 302 & echo $! > escaped; wait"],
                 {"PATH": "/usr/bin:/bin"}, log_dir)
    try:
        services.start()
        print("started", flush=True)
        while True:
            services.check()
            time.sleep(0.2)
    except Stopped:
        pass
    finally:
        services.stop(grace=5)
        print("stopped", flush=True)
""")


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_sigterm_to_the_supervisor_stops_every_process_it_started(tmp_path):
    supervisor = subprocess.Popen(
        [sys.executable, "-c", SUPERVISOR, str(tmp_path)], cwd=tmp_path, stdout=subprocess.PIPE, text=True
    )
    try:
        assert supervisor.stdout.readline().strip() == "started"
        deadline = time.monotonic() + 10
        while not ((tmp_path / "grandchild").is_file() and (tmp_path / "escaped").is_file()):
            assert time.monotonic() < deadline, "the forking service did not start its children"
            time.sleep(0.1)
        time.sleep(0.2)
        pids = [int((tmp_path / name).read_text()) for name in ("grandchild", "escaped")]
        assert all(_alive(pid) for pid in pids)
        escaped_session = os.getsid(pids[1])
        assert escaped_session != os.getsid(supervisor.pid)  # it really left: a group kill would miss it

        supervisor.send_signal(signal.SIGTERM)
        assert supervisor.stdout.readline().strip() == "stopped"
        assert supervisor.wait(timeout=20) == 0
        assert [pid for pid in pids if _alive(pid)] == []
    finally:
        if supervisor.poll() is None:
            supervisor.kill()


def test_a_service_that_exits_is_reported_with_the_end_of_its_log(tmp_path):
    services = Services()
    services.add(
        "broken", ["bash", "-c", "echo 'cannot bind 127.0.0.1:8793'; exit 3"], {"PATH": "/usr/bin:/bin"}, tmp_path
    )
    services.services[0].start()  # not Services.start(): this test process must not become a subreaper
    services.services[0].process.wait(timeout=10)
    with pytest.raises(ServiceFailed, match=r"broken exited with code 3; its log .* ends:\ncannot bind 127.0.0.1:8793"):
        services.check()


def test_the_celery_smoke_starts_debian_s_redis_server_when_none_answers_and_it_stops_with_the_services(
    tmp_path, monkeypatch
):
    from crvs.devtools.airflow_smoke import _free_port, _redis_answers, ensure_redis

    port = _free_port()  # nothing answers here; the Redis of this machine (if any) is on 6379
    monkeypatch.setenv("CRVS_CELERY_BROKER_URL", f"redis://127.0.0.1:{port}/0")
    assert not _redis_answers("127.0.0.1", port)
    services = Services()
    assert ensure_redis(services, tmp_path) == f"redis://127.0.0.1:{port}/0"
    (redis,) = services.services
    try:
        assert redis.name == "redis" and redis.argv[0] == "/usr/bin/redis-server"  # Debian's package
        assert _redis_answers("127.0.0.1", port)
    finally:
        redis.signal_group(signal.SIGTERM)  # as Services.stop() does, without its sweep of this test process
        redis.process.wait(timeout=20)
    assert not _redis_answers("127.0.0.1", port)
