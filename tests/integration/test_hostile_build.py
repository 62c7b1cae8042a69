"""`crvs build` losing its database mid-build (issue 14, item 9): dbt runs through a TCP relay
(test_loader_privacy's) to the session's real PostgreSQL, and the relay cuts every connection once
the build is under way. The command ends with one line naming what failed and a non-zero exit,
never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg

from tests.integration.test_loader_privacy import RecordingRelay
from tests.time_bound import at_most

CRVS = str(Path(sys.executable).with_name("crvs"))


def test_losing_the_database_mid_build_is_one_line_and_a_non_zero_exit(warehouse, tmp_path):
    info = psycopg.conninfo.conninfo_to_dict(warehouse)
    relay = RecordingRelay(info["host"], int(info["port"]))
    through = urlsplit(warehouse)._replace(
        netloc=f"{info['user']}:{quote(info.get('password', ''), safe='')}@127.0.0.1:{relay.port}"
    )
    env = dict(os.environ, CRVS_WAREHOUSE_URL=urlunsplit(through))
    with at_most(280):
        build = subprocess.Popen([CRVS, "build"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        while len(relay.sockets) < 6 and build.poll() is None:  # dbt has connected: models are running
            time.sleep(0.2)
        time.sleep(2)
        relay.cut()
        stdout, stderr = build.communicate(timeout=270)

    assert build.returncode in (1, 2), stdout[-2000:] + stderr[-2000:]
    assert "Traceback" not in stderr, stderr[-3000:]
    last = stderr.strip().splitlines()[-1]
    assert last.startswith("crvs build: dbt build "), last
    assert "Connection refused" in last or "connection" in last.lower(), last
