"""Airflow's services as separate processes, as a production installation runs them (not
`airflow standalone`): scheduler, dag-processor, api-server, triggerer, task-log servers and, with
the CeleryExecutor, Celery workers. Started together, watched, and stopped together.

Stopping leaves nothing behind: each service runs in a process group of its own (so a Ctrl-C in the
terminal reaches this supervisor, which stops the services in order, rather than every process at
once), and this process is a child subreaper, so a grandchild that left its group (a task runner,
a Celery pool process) is re-parented here and found when the rest has stopped.

Airflow's own log servers listen on every interface, with no setting to narrow it; the services
start with --skip-serve-logs and this module serves the same log-server app on
settings.log_server_host() (127.0.0.1 unless configured).
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from crvs import settings

PR_SET_CHILD_SUBREAPER = 36

# The services `crvs airflow up` runs, in start order (the api-server last: its health names the others).
CORE_SERVICES = ("scheduler", "dag-processor", "triggerer", "api-server")
SERVICE_ARGS = {
    "scheduler": ["scheduler", "--skip-serve-logs"],
    "dag-processor": ["dag-processor"],
    "triggerer": ["triggerer", "--skip-serve-logs"],
    "api-server": ["api-server"],
}
# The components the api-server's health endpoint reports; all must be healthy before we say "ready".
HEALTH_COMPONENTS = ("metadatabase", "scheduler", "triggerer", "dag_processor")


class ServiceFailed(RuntimeError):
    """A service exited while it should be running; the message names it and its log."""


@dataclass
class Service:
    name: str
    argv: list[str]
    env: dict[str, str]
    log_file: Path
    process: subprocess.Popen | None = None

    def start(self) -> None:
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("ab") as log:
            self.process = subprocess.Popen(
                self.argv,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def exited(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def signal_group(self, sig: int) -> None:
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                pass

    def tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def airflow_argv(*args: str) -> list[str]:
    """The airflow command of this venv."""
    return [str(Path(sys.executable).parent / "airflow"), *args]


def log_server_argv(port: int | str) -> list[str]:
    return [sys.executable, "-m", "crvs.airflow_services", "serve-logs", str(port)]


@dataclass
class Services:
    """A set of services sharing one supervisor (this process)."""

    services: list[Service] = field(default_factory=list)
    say: Callable[[str], None] = lambda message: print(message, flush=True)

    def add(self, name: str, argv: Sequence[str], env: dict[str, str], log_dir: Path) -> Service:
        service = Service(name, list(argv), dict(env), log_dir / f"{name}.log")
        self.services.append(service)
        return service

    def start(self) -> None:
        become_subreaper()
        for service in self.services:
            if service.process is None:
                service.start()

    def check(self) -> None:
        """Raise ServiceFailed when a service has exited."""
        for service in self.services:
            code = service.exited()
            if code is not None:
                raise ServiceFailed(
                    f"{service.name} exited with code {code}; its log ({service.log_file}) ends:\n{service.tail()}"
                )

    def stop(self, grace: float = 30.0) -> None:
        """SIGTERM every service's process group (the last started first), SIGKILL what is left after
        `grace` seconds, then every process still descending from this one (re-parented orphans)."""
        for service in reversed(self.services):
            service.signal_group(signal.SIGTERM)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and any(s.exited() is None for s in self.services):
            time.sleep(0.2)
        for service in self.services:
            service.signal_group(signal.SIGKILL)
            if service.process is not None:
                try:
                    service.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    pass
        kill_descendants(grace=5.0)

    def __enter__(self) -> "Services":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def become_subreaper() -> None:
    """Orphaned descendants re-parent to this process (Linux), so stop() can find and end them."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: process groups alone
        pass


def descendants(root: int | None = None) -> list[int]:
    """The pids descending from `root` (default: this process), from /proc."""
    root = os.getpid() if root is None else root
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kill_descendants(grace: float = 5.0) -> None:
    """SIGTERM, then SIGKILL, every process descending from this one, and reap them."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in descendants():
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            _reap()
            if not [p for p in descendants() if not _is_zombie(p)]:
                break
            time.sleep(0.1)
    _reap()


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


# --- waiting for the api-server ----------------------------------------------------------------


def health(url: str) -> dict | None:
    """The api-server's /api/v2/monitor/health answer, or None while it does not answer."""
    try:
        with urllib.request.urlopen(f"{url}/api/v2/monitor/health", timeout=5) as answer:
            return json.loads(answer.read())
    except (urllib.error.URLError, OSError, ValueError):
        return None


def unhealthy(answer: dict | None, components: Sequence[str] = HEALTH_COMPONENTS) -> list[str]:
    if answer is None:
        return ["api-server"]
    return [name for name in components if (answer.get(name) or {}).get("status") != "healthy"]


def wait_until_healthy(
    services: Services, url: str, timeout: float, components: Sequence[str] = HEALTH_COMPONENTS
) -> None:
    deadline = time.monotonic() + timeout
    waiting = ["api-server"]
    while time.monotonic() < deadline:
        services.check()
        waiting = unhealthy(health(url), components)
        if not waiting:
            return
        time.sleep(2)
    raise ServiceFailed(f"not healthy after {timeout:.0f} s: {', '.join(waiting)}")


# --- the log server ----------------------------------------------------------------------------


def serve_logs(port: int) -> None:
    """Airflow's task-log server app, on settings.log_server_host() (Airflow binds it to every address)."""
    import uvicorn
    from airflow.utils.serve_logs.log_server import get_app

    uvicorn.run(get_app(), host=settings.log_server_host(), port=int(port), log_config=None, access_log=False)


if __name__ == "__main__":  # python -m crvs.airflow_services serve-logs PORT
    if sys.argv[1:2] == ["serve-logs"] and len(sys.argv) == 3:
        serve_logs(int(sys.argv[2]))
    else:
        sys.exit("usage: python -m crvs.airflow_services serve-logs PORT")
