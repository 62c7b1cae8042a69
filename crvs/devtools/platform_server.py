"""A reference sharing-platform server: serves a folder of delivery folders under the feed
contract's API (feeds.md, "The API channel"), with a bearer token, paging and configurable faults.

It is what the demo (`make run`) fetches MOJ from, what the tests drive the client against over real
HTTP on 127.0.0.1, and what `crvs platform serve` starts for trying the client by hand. It is not
the national platform: it reads the same delivery folders `crvs sample` writes (manifest.json + the
CSVs it names) and answers

    GET /v1/deliveries?agency=MOJ&after=<delivery_id>      {"deliveries": [manifest, ...]}
    GET /v1/deliveries/<delivery_id>/<dataset>?page_token=  {"rows": [...], "next_page_token": ...}

A delivery is published when its folder appears: the listing's order is the manifest file's
modification time (then extracted_at, then delivery_id), so a delivery copied in later is listed
after the ones before it, whatever period it covers. A page
token is the byte offset in the CSV where the next page starts, so a page costs the same wherever
it is in a large file. A row whose field count differs from the header is served as it is (extra
values under `_field_<n>`, missing columns absent), so it reaches the warehouse's quarantine exactly
as it would from the file.

Faults (FaultPlan) make the server misbehave on chosen requests, counted from 1 over all requests
that passed the token check: `429@3` (the 3rd request answers 429 with Retry-After), `500@2,5`,
`drop@4` (the connection is closed without an answer), `truncate@6` (half a body, then the connection
closes), `slow@1` (the answer waits `slow_seconds`), `403@2` (refused: the client does not retry a
403), or probabilistic with a seeded generator: `500%0.1` (each request fails with probability 0.1).
A fault may target one delivery: `403/MOJ-2025Q3-0002*3` refuses the first 3 requests for that
delivery's rows (then serves it), `503/MOJ-2025Q3-0002` every one of them.
"""

from __future__ import annotations

import base64
import binascii
import csv
import datetime as dt
import hmac
import json
import logging
import random
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator
from urllib.parse import parse_qs, unquote, urlsplit

log = logging.getLogger(__name__)

MAX_PAGE_SIZE = 10_000
FAULT_KINDS = ("403", "429", "500", "502", "503", "drop", "truncate", "slow")
_FAULT = re.compile(
    r"^(?P<kind>[a-z0-9]+)(?:@(?P<nth>[0-9,]+)|%(?P<p>[0-9.]+)|/(?P<delivery>[^*/]+)(?:\*(?P<times>[0-9]+))?)$"
)


class FaultSpecError(ValueError):
    pass


@dataclass
class FaultRule:
    kind: str
    requests: frozenset[int] = frozenset()
    probability: float = 0.0
    delivery: str | None = None  # only the requests for this delivery's rows
    times: int | None = None  # how many of them still fail (None: all)

    @classmethod
    def parse(cls, text: str) -> "FaultRule":
        match = _FAULT.match(text.strip())
        if not match or match["kind"] not in FAULT_KINDS:
            raise FaultSpecError(
                f"fault {text!r}: expected KIND@N[,M...], KIND%P or KIND/DELIVERY_ID[*N] with KIND one of "
                f"{', '.join(FAULT_KINDS)} (e.g. 429@3, drop@2,5, 500%0.1, 403/MOJ-2025Q3-0002*3)"
            )
        if match["delivery"]:
            return cls(match["kind"], delivery=match["delivery"], times=int(match["times"]) if match["times"] else None)
        if match["nth"]:
            numbers = frozenset(int(n) for n in match["nth"].split(",") if n)
            if not numbers or min(numbers) < 1:
                raise FaultSpecError(f"fault {text!r}: request numbers count from 1")
            return cls(match["kind"], requests=numbers)
        probability = float(match["p"])
        if not 0 <= probability <= 1:
            raise FaultSpecError(f"fault {text!r}: a probability is between 0 and 1")
        return cls(match["kind"], probability=probability)


@dataclass
class FaultPlan:
    """Which requests misbehave, and how. Thread-safe: requests are numbered as they arrive."""

    rules: list[FaultRule] = field(default_factory=list)
    seed: int = 0
    retry_after: int = 1
    slow_seconds: float = 2.0

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)
        self._lock = threading.Lock()
        self._count = 0

    @classmethod
    def parse(cls, specs: list[str] | tuple[str, ...] = (), **kw) -> "FaultPlan":
        return cls([FaultRule.parse(s) for s in specs], **kw)

    def next_fault(self, delivery: str | None = None) -> str | None:
        """The fault of the next request (`delivery`: the delivery whose rows it asks for)."""
        with self._lock:
            self._count += 1
            for rule in self.rules:
                if rule.delivery is not None:
                    if rule.delivery == delivery and (rule.times is None or rule.times > 0):
                        if rule.times is not None:
                            rule.times -= 1
                        return rule.kind
                    continue
                if self._count in rule.requests:
                    return rule.kind
                if rule.probability and self._random.random() < rule.probability:
                    return rule.kind
        return None

    @property
    def requests_seen(self) -> int:
        return self._count


# ------------------------------------------------------------------------------ the data


@dataclass(frozen=True)
class _Published:
    manifest: dict
    folder: Path
    published_ns: int


def _instant(text: object) -> str:
    try:
        return dt.datetime.fromisoformat(str(text)).astimezone(dt.timezone.utc).isoformat()
    except ValueError:
        return ""


class DeliveryStore:
    """The delivery folders under `root` (each with manifest.json), read on every request so a
    delivery copied in while the server runs is published at once."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self._headers: dict[Path, tuple[list[str], int]] = {}
        self._lock = threading.Lock()

    def published(self) -> list[_Published]:
        found = []
        for folder in sorted(self.root.iterdir()) if self.root.is_dir() else []:
            path = folder / "manifest.json"
            if folder.name.startswith((".", "_")) or not path.is_file():
                continue
            try:
                manifest = json.loads(path.read_text(encoding="utf-8-sig"))
            except (OSError, ValueError):
                log.warning("platform: %s is not valid JSON; not published", path)
                continue
            if isinstance(manifest, dict) and manifest.get("delivery_id"):
                found.append(_Published(manifest, folder, path.stat().st_mtime_ns))
        return sorted(
            found,
            key=lambda p: (p.published_ns, _instant(p.manifest.get("extracted_at")), str(p.manifest["delivery_id"])),
        )

    def listing(self, agency: str, after: str | None) -> list[dict] | None:
        """The API manifests of `agency` published after `after`; None when `after` is unknown."""
        mine = [p for p in self.published() if p.manifest.get("agency") == agency]
        if after:
            ids = [str(p.manifest["delivery_id"]) for p in mine]
            if after not in ids:
                return None
            mine = mine[ids.index(after) + 1 :]
        return [api_manifest(p.manifest) for p in mine]

    def file_of(self, delivery_id: str, dataset: str) -> Path | None:
        for p in self.published():
            if str(p.manifest["delivery_id"]) == delivery_id:
                for entry in p.manifest.get("files") or []:
                    if isinstance(entry, dict) and entry.get("dataset") == dataset and entry.get("name"):
                        path = p.folder / Path(str(entry["name"])).name
                        return path if path.is_file() else None
        return None

    def _header(self, path: Path) -> tuple[list[str], int]:
        """The header row and the byte offset where the data rows begin (cached per file)."""
        with self._lock:
            if path not in self._headers:
                with open(path, "rb") as f:
                    first = f.readline()
                text = first.decode("utf-8-sig")
                header = next(csv.reader([text])) if text.strip() else []
                self._headers[path] = ([h.strip() for h in header], len(first))
            return self._headers[path]

    def page(self, path: Path, token: str | None, size: int) -> tuple[list[dict], str | None]:
        header, data_start = self._header(path)
        offset = data_start if token is None else decode_token(token)
        if offset < data_start or offset > path.stat().st_size:
            raise ValueError("page_token does not point into this dataset")
        rows: list[dict] = []
        next_offset = None
        with open(path, "rb") as f:
            f.seek(offset)
            consumed = offset

            def lines() -> Iterator[str]:
                nonlocal consumed
                for raw in f:
                    consumed += len(raw)
                    yield raw.decode("utf-8")

            for record in csv.reader(lines(), strict=True):
                if not record:
                    continue  # a blank line is not a record
                if len(rows) == size:
                    break  # there is a further row: the next page starts where this page ended
                rows.append(_row_object(header, record))
                end_of_page = consumed
            else:
                end_of_page = None
            if end_of_page is not None and len(rows) == size:
                next_offset = end_of_page
        return rows, (encode_token(next_offset) if next_offset is not None else None)


def _row_object(header: list[str], record: list[str]) -> dict:
    row = {name: (value if value != "" else None) for name, value in zip(header, record)}
    for i, value in enumerate(record[len(header) :], len(header) + 1):
        row[f"_field_{i}"] = value
    return row


def api_manifest(manifest: dict) -> dict:
    """A delivery's manifest as the platform lists it: channel API, files without sha256."""
    served = {k: v for k, v in manifest.items() if k != "files"}
    served["channel"] = "API"
    served["files"] = [
        {k: v for k, v in entry.items() if k != "sha256"} if isinstance(entry, dict) else entry
        for entry in manifest.get("files") or []
    ]
    return served


def encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o{offset}".encode()).decode().rstrip("=")


def decode_token(token: str) -> int:
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        if not text.startswith("o"):
            raise ValueError
        return int(text[1:])
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ValueError(f"page_token {token!r} is not one this server issued") from None


# ------------------------------------------------------------------------------ HTTP


class PlatformServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        root: Path,
        token: str,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        page_size: int = 1000,
        faults: FaultPlan | None = None,
    ):
        if not token:
            raise ValueError("the platform server needs a token")
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page size must be 1..{MAX_PAGE_SIZE}, got {page_size}")
        self.store = DeliveryStore(root)
        self.token = token
        self.page_size = page_size
        self.faults = faults or FaultPlan()
        self.requests_log: list[str] = []  # "GET /v1/... -> 200", for tests and the console
        super().__init__((host, port), _Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "PlatformServer":
        """Serve in a background thread (the demo and the tests); stop with shutdown()."""
        threading.Thread(target=self.serve_forever, name="crvs-platform", daemon=True).start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def __enter__(self) -> "PlatformServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


_ITEM = re.compile(r"^/v1/deliveries/(?P<delivery>[^/]+)/(?P<dataset>[a-z_]+)$")


class _Handler(BaseHTTPRequestHandler):
    server: PlatformServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args) -> None:  # the base class's name
        log.debug("platform: " + format, *args)

    def do_GET(self) -> None:  # the base class's name
        try:
            self._get()
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (e.g. its timeout)
            log.debug("platform: the client closed the connection of %s", self.path)
            self.close_connection = True

    def _get(self) -> None:
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if not self._authorised():
            self._json(401, {"error": "missing or wrong bearer token"}, extra={"WWW-Authenticate": "Bearer"})
            return
        item = _ITEM.match(parts.path)
        fault = self.server.faults.next_fault(unquote(item["delivery"]) if item else None)
        if fault == "drop":
            self._record(parts.path, "dropped")
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if fault == "slow":
            time.sleep(self.server.faults.slow_seconds)
        if fault == "429":
            self._json(429, {"error": "too many requests"}, extra={"Retry-After": str(self.server.faults.retry_after)})
            return
        if fault in ("500", "502", "503"):
            self._json(int(fault), {"error": "the platform failed (fault injected)"})
            return
        if fault == "403":
            self._json(403, {"error": "the platform refuses this request for now (fault injected)"})
            return
        status, body = self._answer(parts.path, query)
        self._json(status, body, truncate=fault == "truncate")

    def _authorised(self) -> bool:
        given = self.headers.get("Authorization", "")
        expected = f"Bearer {self.server.token}"
        return hmac.compare_digest(given.encode(), expected.encode())

    def _answer(self, path: str, query: dict) -> tuple[int, dict]:
        store = self.server.store
        if path == "/v1/deliveries":
            agency = query.get("agency")
            if not agency:
                return 400, {"error": "the agency parameter is required"}
            listing = store.listing(agency, query.get("after"))
            if listing is None:
                return 404, {"error": f"no delivery {query.get('after')!r} of {agency} on this platform"}
            return 200, {"deliveries": listing}
        match = _ITEM.match(path)
        if not match:
            return 404, {"error": f"no such resource {path}"}
        delivery_id, dataset = unquote(match["delivery"]), match["dataset"]
        file = store.file_of(delivery_id, dataset)
        if file is None:
            return 404, {"error": f"delivery {delivery_id} has no dataset {dataset}"}
        try:
            rows, next_token = store.page(file, query.get("page_token"), self.server.page_size)
        except ValueError as err:
            return 400, {"error": str(err)}
        except (csv.Error, UnicodeDecodeError) as err:
            return 500, {"error": f"{file.name} cannot be read: {err}"}
        return 200, {"rows": rows, "next_page_token": next_token}

    def _json(self, status: int, body: dict, *, extra: dict | None = None, truncate: bool = False) -> None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self._record(urlsplit(self.path).path, str(status) + (" truncated" if truncate else ""))
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        if truncate:
            self.send_header("Connection", "close")
        self.end_headers()
        if truncate:
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.wfile.write(data)

    def _record(self, path: str, outcome: str) -> None:
        self.server.requests_log.append(f"GET {path} -> {outcome}")


def serve(
    root: Path,
    token: str,
    *,
    host: str = "127.0.0.1",
    port: int = 8765,
    page_size: int = 1000,
    faults: FaultPlan | None = None,
) -> None:
    """Serve until interrupted (`crvs platform serve`)."""
    server = PlatformServer(root, token, host=host, port=port, page_size=page_size, faults=faults)
    print(f"sharing platform serving {root} on {server.url} (page size {page_size}); Ctrl-C stops", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
