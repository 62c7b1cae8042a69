"""`crvs fetch` against hostile HTTP servers on 127.0.0.1 (issue 14, items 4, 5 and 6's platform
case): the bearer token never leaves the configured origin, every request is bounded in time as a
whole, a page in size, a delivery in pages; a repeating next_page_token and a manifest the loader
refuses are recorded outcomes, never a hang or a traceback. Two ports are two origins."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from crvs.feeds import loader
from crvs.platform import client as platform
from tests.integration.test_ingest import fetch
from tests.time_bound import at_most

CRVS = str(Path(sys.executable).with_name("crvs"))
TOKEN = "hostile-test-token-5f1e"


@pytest.fixture(autouse=True)
def bounded_in_time():
    """Every test here ends within 60 s, whatever the client does."""
    with at_most(60):
        yield


def rates_manifest(delivery_id="GSO-2025-0001", rows=2) -> dict:
    return {
        "delivery_id": delivery_id,
        "agency": "GSO",
        "channel": "API",
        "schema_version": "1.0",
        "extracted_at": "2025-03-01T08:00:00+07:00",
        "period_start": "2025-01-01",
        "period_end": "2025-12-31",
        "files": [{"name": "vital_rates.csv", "dataset": "gso_vital_rates", "rows": rows}],
    }


def rate(province="01") -> dict:
    return {
        "year": "2025",
        "province_code": province,
        "admin_code_version": "2025",
        "crude_birth_rate": "15.2",
        "crude_death_rate": "6.1",
    }


class Hostile:
    """A platform that answers each path with what the test tells it to, and remembers every request
    (path and Authorization header) it received. `routes` maps a path prefix to a function of the
    handler that writes the whole answer."""

    def __init__(self):
        self.requests: list[tuple[str, str | None]] = []
        self.routes: dict[str, object] = {}
        hostile = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                hostile.requests.append((self.path, self.headers.get("Authorization")))
                path = urlsplit(self.path).path
                for prefix, answer in sorted(hostile.routes.items(), key=lambda kv: -len(kv[0])):
                    if path.startswith(prefix):
                        try:
                            answer(self)
                        except (BrokenPipeError, ConnectionResetError):
                            pass  # the client gave up: what the test wants
                        return
                self.json({"error": "not found"}, status=404)

            def json(self, body, status=200):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def query(self):
                return {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def listing(self, *manifests):
        self.routes["/v1/deliveries"] = lambda h: h.json({"deliveries": list(manifests)})

    def pages(self, delivery_id, pages: list[list[dict]]):
        """Serve `pages` in order (tokens p1, p2, ...; the last page's token is null)."""

        def answer(h):
            n = int(h.query().get("page_token", "p0")[1:])
            token = f"p{n + 1}" if n + 1 < len(pages) else None
            h.json({"rows": pages[n], "next_page_token": token})

        self.routes[f"/v1/deliveries/{delivery_id}/"] = answer

    def authorised(self) -> list[str]:
        return [path for path, auth in self.requests if auth]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def origin():
    server = Hostile()
    yield server
    server.close()


@pytest.fixture
def elsewhere():
    server = Hostile()
    yield server
    server.close()


def crvs_fetch(url: str, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CRVS, "fetch", "--agency", "GSO"],
        capture_output=True,
        text=True,
        timeout=50,
        env={**os.environ, "CRVS_PLATFORM_URL": url, "CRVS_PLATFORM_TOKEN": TOKEN, **env},
    )


def rates_loaded(db) -> int:
    """Rows in raw.gso_vital_rates (none when no load ever made the table)."""
    if fetch(db, "select to_regclass('raw.gso_vital_rates')") == [(None,)]:
        return 0
    return fetch(db, "select count(*) from raw.gso_vital_rates")[0][0]


def client_for(server, **kw) -> platform.PlatformClient:
    settings = {"backoff": 0.01, "max_tries": 2, **kw}
    return platform.PlatformClient(platform.PlatformConfig(server.url, TOKEN, **settings), sleep=lambda s: None)


# --- item 4: the token stays with its origin -------------------------------------------------


def redirect_to(target: str, status=302):
    def answer(h):
        h.send_response(status)
        h.send_header("Location", target + h.path)
        h.send_header("Content-Length", "0")
        h.end_headers()

    return answer


@pytest.mark.parametrize("where", ["listing", "page"])
def test_a_redirect_to_another_origin_is_refused_and_gets_no_token(warehouse, db, origin, elsewhere, where):
    # The other origin would serve a delivery, to be loaded if the client followed it.
    elsewhere.listing(rates_manifest())
    elsewhere.pages("GSO-2025-0001", [[rate("01"), rate("04")]])
    if where == "listing":
        origin.routes["/v1/deliveries"] = redirect_to(elsewhere.url)
    else:
        origin.listing(rates_manifest())
        origin.routes["/v1/deliveries/GSO-2025-0001/"] = redirect_to(elsewhere.url, status=307)

    result = crvs_fetch(origin.url)

    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "redirect" in result.stdout + result.stderr and elsewhere.url in result.stdout + result.stderr
    assert elsewhere.authorised() == [], "the token was sent to another origin"
    assert TOKEN not in result.stdout + result.stderr
    assert rates_loaded(db) == 0


def test_a_redirect_within_the_origin_is_followed_with_the_token(warehouse, db, origin):
    origin.routes["/v1/deliveries"] = redirect_to(origin.url + "/moved")
    origin.routes["/moved/v1/deliveries"] = lambda h: h.json({"deliveries": [rates_manifest(rows=1)]})

    listed = client_for(origin).deliveries("GSO")

    assert [m["delivery_id"] for m in listed] == ["GSO-2025-0001"]
    assert [auth for _, auth in origin.requests] == [f"Bearer {TOKEN}"] * 2


# --- item 5: bounded in time, size and pages ----------------------------------------------------


def drip(where: str):
    """One byte a second, for ever: in the status line and headers, or in the body."""

    def answer(h):
        if where == "headers":
            for byte in b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n":
                h.wfile.write(bytes([byte]))
                h.wfile.flush()
                time.sleep(1)
        h.send_response(200)
        h.send_header("Content-Length", "100000")
        h.end_headers()
        h.wfile.flush()
        while True:
            h.wfile.write(b" ")
            h.wfile.flush()
            time.sleep(1)

    return answer


@pytest.mark.parametrize("where", ["headers", "body"])
def test_a_drip_fed_answer_fails_at_the_deadline_of_the_whole_request(warehouse, db, origin, where):
    origin.listing(rates_manifest())
    origin.routes["/v1/deliveries/GSO-2025-0001/"] = drip(where)
    # Each read waits up to 5 s, longer than the drip's 1 s: only the whole request's deadline can stop it.
    client = client_for(origin, timeout=5, deadline=2, max_tries=2)

    started = time.monotonic()
    result = platform.fetch_delivery(client, rates_manifest())
    took = time.monotonic() - started

    assert result.outcome == platform.FAILED
    assert "no complete answer within 2 s" in result.reason and "gave up after 2 tries" in result.reason
    assert took < 10, took
    assert rates_loaded(db) == 0


def huge_page(declared: bool):
    """A page far above the limit: declared by Content-Length, or sent chunked without a length."""

    def answer(h):
        h.protocol_version = "HTTP/1.1"
        h.send_response(200)
        if declared:
            h.send_header("Content-Length", str(400 << 20))
        else:
            h.send_header("Transfer-Encoding", "chunked")
        h.send_header("Connection", "close")
        h.end_headers()
        chunk = b'{"rows": [' + b" " * (1 << 16)
        for _ in range(400 << 4):  # 400 MiB, 64 KiB at a time
            h.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk) if not declared else chunk)
            chunk = b" " * (1 << 16)

    return answer


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_a_page_above_the_size_limit_is_refused_without_reading_it_whole(warehouse, db, origin, declared):
    origin.listing(rates_manifest())
    origin.routes["/v1/deliveries/GSO-2025-0001/"] = huge_page(declared)
    client = client_for(origin, max_page_bytes=1 << 20)

    result = platform.fetch_delivery(client, rates_manifest())

    assert result.outcome == platform.FAILED
    assert "larger than the limit of 1,048,576 bytes" in result.reason
    assert len(origin.requests) == 1  # not retried: the same page would be as large again


def test_a_repeating_next_page_token_is_detected(warehouse, db, origin):
    origin.listing(rates_manifest(rows=1000))

    def same_token(h):
        h.json({"rows": [rate()], "next_page_token": "again"})

    origin.routes["/v1/deliveries/GSO-2025-0001/"] = same_token

    result = platform.fetch_delivery(client_for(origin), rates_manifest(rows=1000))

    assert result.outcome == platform.FAILED
    assert "page 2: next_page_token repeats the one of page 1" in result.reason
    assert len(origin.requests) == 2


def test_pages_beyond_what_the_manifest_allows_are_refused(warehouse, db, origin):
    # Empty pages with new tokens, for ever: a page holds at least one row, so 3 rows are 3 pages at most.
    def endless(h):
        n = int(h.query().get("page_token", "t0")[1:])
        h.json({"rows": [], "next_page_token": f"t{n + 1}"})

    origin.routes["/v1/deliveries/GSO-2025-0001/"] = endless

    result = platform.fetch_delivery(client_for(origin), rates_manifest(rows=3))

    assert result.outcome == platform.FAILED
    assert "page 1 has no rows but is not the last" in result.reason
    assert len(origin.requests) == 1


def endless_pages(rows_a_page: int):
    def answer(h):
        n = int(h.query().get("page_token", "t0")[1:])
        h.json({"rows": [rate()] * rows_a_page, "next_page_token": f"t{n + 1}"})

    return answer


def test_rows_beyond_the_manifest_reject_the_delivery_as_soon_as_they_arrive(warehouse, db, origin):
    origin.routes["/v1/deliveries/GSO-2025-0001/"] = endless_pages(2)

    result = platform.fetch_delivery(client_for(origin), rates_manifest(rows=3))

    assert result.outcome == loader.REJECTED
    assert result.reason == (
        "vital_rates.csv (gso_vital_rates): the platform's manifest says 3 rows, its pages gave more (4 by page 2)"
    )
    assert len(origin.requests) == 2


def test_a_next_page_after_all_the_rows_arrived_is_not_asked_for(warehouse, db, origin):
    origin.routes["/v1/deliveries/GSO-2025-0001/"] = endless_pages(1)

    result = platform.fetch_delivery(client_for(origin), rates_manifest(rows=2))

    assert result.outcome == platform.FAILED
    assert "more pages than the manifest's 2 rows can fill" in result.reason
    assert len(origin.requests) == 2


def test_the_limits_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("CRVS_PLATFORM_URL", "http://127.0.0.1:1")
    monkeypatch.setenv("CRVS_PLATFORM_TOKEN", TOKEN)
    monkeypatch.setenv("CRVS_PLATFORM_DEADLINE", "7.5")
    monkeypatch.setenv("CRVS_PLATFORM_MAX_PAGE_BYTES", "12345")
    config = platform.PlatformConfig.from_environment()
    assert (config.deadline, config.max_page_bytes) == (7.5, 12345)
    monkeypatch.setenv("CRVS_PLATFORM_DEADLINE", "soon")
    with pytest.raises(platform.settings.SettingsError, match="CRVS_PLATFORM_DEADLINE"):
        platform.PlatformConfig.from_environment()


# --- item 6: a manifest the loader refuses, from the platform ------------------------------------


def test_a_nul_in_a_listed_delivery_id_is_a_recorded_rejection_and_the_next_delivery_loads(warehouse, db, origin):
    bad = rates_manifest("GSO-2025\u00000001", rows=1)
    long_id = "GSO-2025-" + "8" * 600  # longer than a file name may be: the spool folder is named otherwise
    origin.listing(bad, rates_manifest(long_id, rows=1))
    origin.pages(long_id, [[rate("01")]])

    result = crvs_fetch(origin.url)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("rejected ") and "delivery_id is not a valid identifier" in lines[0]
    assert lines[1].startswith(f"loaded          {long_id}: 1 rows loaded")
    assert fetch(
        db, "select delivery_id, reason like '%%not a valid identifier%%' from quarantine.rejected_deliveries"
    ) == [(None, True)]
    assert fetch(db, "select delivery_id from raw.gso_vital_rates") == [(long_id,)]
