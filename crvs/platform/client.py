"""The sharing-platform client: fetch an agency's new deliveries and load them exactly as files.

For each agency:
1. Discover: `GET /v1/deliveries?agency=..&after=<the last API delivery of that agency the warehouse
   loaded>`; deliveries already in raw.deliveries are skipped without fetching.
2. Spool: every dataset's pages are written, in the contract's CSV conventions, to a delivery folder
   under $CRVS_HOME/platform/spool/<delivery_id>/ (each file as `<name>.part`, renamed when its
   last page arrived and the rows received add up to the manifest's `rows`). The manifest is written
   last, with channel API and the sha256 of each spooled file: a folder with manifest.json is
   complete, a folder without one is not.
3. Load: the complete folder goes through the file loader (crvs.feeds.loader.load_delivery), so an
   API delivery loads row for row as the same delivery dropped as files.

Resume after a crash: a complete spool folder is loaded (a delivery already loaded changes nothing);
an incomplete one keeps its complete files and refetches the rest (a `.part` file is discarded),
unless the platform's manifest changed meanwhile, then it is refetched whole. A delivery is never
loaded partly: the loader's one transaction sees only complete spool folders.

Transport trouble (429, 5xx, a dropped connection, a truncated or unreadable answer, a timeout) is
retried with exponential backoff, honouring Retry-After, up to `max_tries` per request; then
PlatformUnavailable says which request failed how often. 401 raises PlatformAuthError at once (the
token is missing, wrong or expired; retrying cannot fix it).

A hostile or broken platform is bounded: the token goes to the configured origin only (a redirect
to another scheme, host or port is refused, never followed); every request as a whole ends by
`deadline` seconds (a socket timeout alone bounds each read, not a drip of one byte at a time); a
page above `max_page_bytes` is refused without being read whole; a file's pages are at most its
manifest's `rows` (a page holds 1 to 10,000 rows), their rows never more than `rows`, and a
next_page_token seen before ends the fetch. The limits come from CRVS_PLATFORM_DEADLINE and
CRVS_PLATFORM_MAX_PAGE_BYTES (crvs.settings).
"""

from __future__ import annotations

import csv
import http.client
import json
import logging
import os
import shutil
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator
from urllib.parse import quote, urlencode, urljoin, urlsplit

from crvs import settings
from crvs.feeds import loader
from crvs.feeds.contract import AGENCIES, DATASETS, delivery_folder_name

log = logging.getLogger(__name__)

CONNECTION_ID = "crvs_platform"
SPOOL_MANIFEST = "manifest.json"
PLATFORM_MANIFEST = "platform-manifest.json"  # the listing's manifest, to notice a republished delivery
FAILED = "FAILED"  # fetching or loading failed (platform unreachable, a load broke): nothing was loaded
HELD_BACK = "HELD_BACK"  # not fetched: an earlier delivery of the agency failed (next run: both again)
PROGRESS_EVERY_ROWS = 100_000
MAX_REDIRECTS = 5  # within the configured origin; one to elsewhere is refused
REDIRECTS = (301, 302, 303, 307, 308)
READ_CHUNK = 1 << 16


class PlatformError(RuntimeError):
    """The platform answered something the client cannot use; the message says what and where."""


class PlatformAuthError(PlatformError):
    """401: the token is missing, wrong or expired."""


class PlatformUnavailable(PlatformError):
    """A request still failed after every retry."""


class _Retryable(Exception):
    def __init__(self, what: str, retry_after: float | None = None):
        super().__init__(what)
        self.retry_after = retry_after


@dataclass(frozen=True)
class PlatformConfig:
    """Where the platform is and how patiently to talk to it. The token never appears in repr()."""

    url: str
    token: str = field(repr=False)
    timeout: float = 60.0
    max_tries: int = 6
    backoff: float = 1.0  # first retry waits this long, then twice as long each time
    max_delay: float = 120.0  # no single wait is longer (Retry-After included)
    where: str = "CRVS_PLATFORM_URL / CRVS_PLATFORM_TOKEN"  # named in error messages
    deadline: float = field(default_factory=settings.platform_deadline)  # one request, as a whole
    max_page_bytes: int = field(default_factory=settings.platform_max_page_bytes)  # one answer's body

    def __post_init__(self) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise settings.SettingsError(
                f"the platform address {self.url!r} ({self.where}) must start with http:// or https://"
            )
        if not self.token:
            raise settings.SettingsError(f"no platform token ({self.where})")
        if self.max_tries < 1:
            raise ValueError("max_tries must be at least 1")
        if urlsplit(self.url).hostname is None:
            raise settings.SettingsError(f"the platform address {self.url!r} ({self.where}) names no host")

    @property
    def origin(self) -> tuple[str, str, int]:
        return _origin(self.url)

    @classmethod
    def from_environment(cls) -> "PlatformConfig | None":
        """CRVS_PLATFORM_URL and CRVS_PLATFORM_TOKEN (the command line); None when the URL is unset."""
        url = settings.platform_url()
        return cls(url, settings.platform_token()) if url else None

    @classmethod
    def from_connection(cls, conn) -> "PlatformConfig":
        """An Airflow connection (conn_type http): host (with or without scheme), port, password =
        the token, schema = http or https (default https)."""
        host = (conn.host or "").strip().rstrip("/")
        if not host:
            raise settings.SettingsError(f"the Airflow connection {CONNECTION_ID} has no host")
        if "://" not in host:
            host = f"{conn.schema or 'https'}://{host}"
        url = f"{host}:{conn.port}" if conn.port else host
        return cls(url, (conn.password or "").strip(), where=f"Airflow connection {CONNECTION_ID}")


class PlatformClient:
    """The contract's two requests, with retries. `sleep` is how the client waits between tries."""

    def __init__(self, config: PlatformConfig, *, sleep: Callable[[float], None] = time.sleep):
        self.config = config
        self.sleep = sleep
        self.retries = 0  # retries made so far (all requests), for the run summary

    def deliveries(self, agency: str, after: str | None = None) -> list[dict]:
        params = {"agency": agency} | ({"after": after} if after else {})
        body = self._get("/v1/deliveries", params)
        deliveries = body.get("deliveries")
        if not isinstance(deliveries, list) or not all(isinstance(d, dict) for d in deliveries):
            raise PlatformError(f"{self.config.url}/v1/deliveries: the answer has no 'deliveries' list of manifests")
        return deliveries

    def pages(self, delivery_id: str, dataset: str, rows: int | None = None) -> Iterator[list[dict]]:
        """Each page's rows, in order, following next_page_token until it is null. With `rows` (the
        manifest's count), at most that many pages are asked for (a page holds at least one row; an
        empty page is only a file's one page)."""
        path = f"/v1/deliveries/{quote(delivery_id, safe='')}/{quote(dataset, safe='')}"
        token, number, seen = None, 0, {}
        while True:
            number += 1
            if rows is not None and number > max(rows, 1):
                raise PlatformError(f"{path}: more pages than the manifest's {rows:,} rows can fill")
            body = self._get(path, {"page_token": token} if token else {})
            page, token = body.get("rows"), body.get("next_page_token")
            if not isinstance(page, list) or not all(isinstance(r, dict) for r in page):
                raise PlatformError(f"{path} page {number}: the answer has no 'rows' list of objects")
            if token is not None and not isinstance(token, str):
                raise PlatformError(f"{path} page {number}: next_page_token is neither a string nor null")
            if token is not None and not page:
                raise PlatformError(f"{path} page {number} has no rows but is not the last")
            if token in seen:
                raise PlatformError(f"{path} page {number}: next_page_token repeats the one of page {seen[token]}")
            seen[token] = number
            yield page
            if token is None:
                return

    def _get(self, path: str, params: dict) -> dict:
        url = self.config.url + path + ("?" + urlencode(params) if params else "")
        for attempt in range(1, self.config.max_tries + 1):
            try:
                return self._get_once(url, path)
            except _Retryable as trouble:
                if attempt == self.config.max_tries:
                    raise PlatformUnavailable(
                        f"GET {path}: {trouble} — gave up after {attempt} tries; nothing of this "
                        f"delivery was loaded, the next run resumes it"
                    ) from None
                delay = (
                    trouble.retry_after if trouble.retry_after is not None else self.config.backoff * 2 ** (attempt - 1)
                )
                delay = min(delay, self.config.max_delay)
                log.warning(
                    "GET %s: %s; try %d of %d in %.1f s", path, trouble, attempt + 1, self.config.max_tries, delay
                )
                self.retries += 1
                self.sleep(delay)
        raise AssertionError("unreachable")

    def _get_once(self, url: str, path: str) -> dict:
        try:
            status, headers, data = self._exchange(url, path)
        except (OSError, http.client.HTTPException) as err:
            return self._retry(_transport_trouble(err))
        if status == 401:
            raise PlatformAuthError(
                f"the platform refused the token (401) for GET {path}: the token in {self.config.where} "
                f"is missing, wrong or expired — renew it; nothing was loaded"
            )
        if status == 429 or status >= 500:
            return self._retry(f"HTTP {status}{_error_detail(data)}", headers.get("Retry-After"))
        if status != 200:
            raise PlatformError(f"GET {path}: HTTP {status}{_error_detail(data)}")
        try:
            body = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            return self._retry(f"the answer is not complete JSON ({err.msg if hasattr(err, 'msg') else err})")
        if not isinstance(body, dict):
            raise PlatformError(f"GET {path}: the answer is not a JSON object")
        return body

    def _exchange(self, url: str, path: str) -> tuple[int, http.client.HTTPMessage, bytes]:
        """One GET, redirects within the origin followed: (status, headers, body). The whole of it
        ends by the deadline: a timer shuts the socket when it passes, whatever is being read."""
        deadline = time.monotonic() + self.config.deadline
        for _ in range(MAX_REDIRECTS + 1):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no complete answer within {self.config.deadline:g} s")
            parts = urlsplit(url)
            connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
            connection = connection_class(parts.hostname, parts.port, timeout=min(self.config.timeout, remaining))
            connection.connect()  # bounded by the socket timeout; from here the watchdog bounds the rest
            watchdog = _Watchdog(connection.sock, remaining)
            try:
                connection.request(
                    "GET",
                    parts.path + (f"?{parts.query}" if parts.query else ""),
                    headers={"Authorization": f"Bearer {self.config.token}", "Accept": "application/json"},
                )
                answer = connection.getresponse()
                if answer.status in REDIRECTS:
                    url = self._redirect_target(url, answer.getheader("Location"), path)
                    continue
                body = self._body(answer, path)
                if watchdog.fired:  # the shut socket read as the end of the answer
                    raise TimeoutError(f"no complete answer within {self.config.deadline:g} s")
                return answer.status, answer.headers, body
            except (OSError, http.client.HTTPException):
                if watchdog.fired:
                    raise TimeoutError(f"no complete answer within {self.config.deadline:g} s") from None
                raise
            finally:
                watchdog.cancel()
                connection.close()
        raise PlatformError(f"GET {path}: more than {MAX_REDIRECTS} redirects")

    def _redirect_target(self, url: str, location: str | None, path: str) -> str:
        """Where a redirect points, if it stays within the configured origin; else PlatformError
        (the token is never sent anywhere else)."""
        if not location:
            raise PlatformError(f"GET {path}: a redirect without a Location")
        target = urljoin(url, location)
        if _origin(target) != self.config.origin:
            scheme, host, port = _origin(target)
            raise PlatformError(
                f"GET {path}: the platform redirected to another origin ({scheme}://{host}:{port}); "
                f"refused: the token is only ever sent to {self.config.url}"
            )
        return target

    def _body(self, answer: http.client.HTTPResponse, path: str) -> bytes:
        """The answer's body, refused past max_page_bytes without reading the rest."""
        limit = self.config.max_page_bytes
        too_large = PlatformError(
            f"GET {path}: the answer is larger than the limit of {limit:,} bytes "
            "(CRVS_PLATFORM_MAX_PAGE_BYTES); refused without reading it"
        )
        declared = answer.getheader("Content-Length")
        if declared and declared.strip().isdigit() and int(declared) > limit:
            raise too_large
        data = bytearray()
        while chunk := answer.read(min(READ_CHUNK, limit + 1 - len(data)) or 1):
            data += chunk
            if len(data) > limit:
                raise too_large
        return bytes(data)

    @staticmethod
    def _retry(what: str, retry_after: str | None = None):
        seconds = None
        if retry_after is not None:
            try:
                seconds = max(0.0, float(retry_after))
            except ValueError:
                seconds = None  # an HTTP date: fall back to our own backoff
        raise _Retryable(what, seconds)


def _transport_trouble(err: Exception) -> str:
    """'RemoteDisconnected: Remote end closed connection without response', 'timed out', ..."""
    reason = getattr(err, "reason", None) or err
    if isinstance(reason, str):
        return f"connection failed: {reason}"
    text = str(reason)
    return f"{type(reason).__name__}: {text}" if text else type(reason).__name__


def _error_detail(data: bytes) -> str:
    """The platform's own word on an error ({"error": "..."}), kept short and on one line."""
    try:
        message = json.loads(data).get("error")
    except (ValueError, AttributeError):
        message = None
    if not isinstance(message, str) or not message.strip():
        return ""
    return f" ({' '.join(message.split())[:200]})"


def _origin(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or (443 if scheme == "https" else 80)


class _Watchdog:
    """Shuts a socket when `seconds` have passed: a blocked read then returns, so a request ends by
    its deadline however slowly the answer comes. (The socket itself, not the connection's: an
    answer that closes the connection keeps reading from it after the connection let it go.)"""

    def __init__(self, sock: socket.socket, seconds: float):
        self.fired = False
        self._sock = sock
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        self.fired = True
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def cancel(self) -> None:
        self._timer.cancel()


# ------------------------------------------------------------------------------ spooling


def spool_root() -> Path:
    return settings.platform_spool_dir()


def _csv_row(header: tuple[str, ...], row: dict) -> list[str]:
    """A JSON row as a CSV record in the contract's column order. Null is the empty field. A row
    whose keys differ from the contract's columns keeps its own width (missing columns left out,
    unknown ones appended), so the loader quarantines it as a wrong field count, as it would a file
    row; were the widths to coincide, one field is added so it still cannot pass as a good row."""
    values = [_text(row[name]) for name in header if name in row]
    extra = [_text(v) for k, v in row.items() if k not in header]
    if len(values) < len(header) or extra:
        values += extra
        if len(values) == len(header):
            values.append("")
    return values


def _text(value) -> str:
    return "" if value is None else str(value)


class _SpoolFile:
    def __init__(self, path: Path, header: tuple[str, ...]):
        self.part = path.with_name(path.name + ".part")
        self.path = path
        self.header = header
        self._stream = open(self.part, "w", encoding="utf-8", newline="")
        self._writer = csv.writer(self._stream, lineterminator="\r\n")
        self._writer.writerow(header)
        self.rows = 0

    def write(self, rows: list[dict]) -> None:
        for row in rows:
            self._writer.writerow(_csv_row(self.header, row))
        self.rows += len(rows)

    def finish(self) -> None:
        self._stream.close()
        os.replace(self.part, self.path)

    def discard(self) -> None:
        self._stream.close()
        self.part.unlink(missing_ok=True)


def spool_delivery(
    client: PlatformClient, listed: dict, root: Path | None = None, progress: Callable[[str], None] | None = None
) -> Path:
    """Write one listed delivery to a complete spool folder and return it. Raises
    loader.DeliveryRejected (the listing's manifest is invalid, or the rows received disagree with
    it), PlatformError (the platform misbehaved beyond retrying)."""
    manifest = loader.parse_manifest(listed, where="the platform's manifest", need_sha256=False)
    if manifest.channel != "API":
        raise loader.DeliveryRejected(f"the platform's manifest: channel {manifest.channel!r}, expected API")
    folder = (root or spool_root()) / delivery_folder_name(manifest.agency, manifest.delivery_id)
    if (folder / SPOOL_MANIFEST).is_file():
        if _json(folder / PLATFORM_MANIFEST) == listed:
            log.info("%s: spooled completely by an earlier run; loading it", manifest.delivery_id)
            return folder
        shutil.rmtree(folder)
    elif folder.exists() and _json(folder / PLATFORM_MANIFEST) != listed:
        log.info(
            "%s: the platform's manifest changed since the earlier partial fetch; fetching it anew",
            manifest.delivery_id,
        )
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / PLATFORM_MANIFEST).write_text(json.dumps(listed, ensure_ascii=False, indent=2), encoding="utf-8")

    files = []
    for entry in manifest.files:
        path = folder / entry.name
        if path.is_file():
            log.info("%s %s: kept from an earlier partial fetch", manifest.delivery_id, entry.name)
        else:
            _spool_file(client, manifest.delivery_id, entry, path, progress)
        files.append(
            {"name": entry.name, "dataset": entry.dataset.name, "rows": entry.rows, "sha256": loader.file_sha256(path)}
        )
    spooled = dict(listed, files=files, channel="API")
    temporary = folder / (SPOOL_MANIFEST + ".part")
    temporary.write_text(json.dumps(spooled, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(temporary, folder / SPOOL_MANIFEST)  # from here on the folder is complete
    return folder


def _spool_file(
    client: PlatformClient,
    delivery_id: str,
    entry: loader.FileEntry,
    path: Path,
    progress: Callable[[str], None] | None,
) -> None:
    out = _SpoolFile(path, DATASETS[entry.dataset.name].column_names)
    try:
        reported = 0
        for number, page in enumerate(client.pages(delivery_id, entry.dataset.name, entry.rows), 1):
            out.write(page)
            if out.rows > entry.rows:  # at once: a platform sending rows for ever fills no disk
                raise loader.DeliveryRejected(
                    f"{entry.name} ({entry.dataset.name}): the platform's manifest says {entry.rows:,} rows, "
                    f"its pages gave more ({out.rows:,} by page {number})"
                )
            if out.rows - reported >= PROGRESS_EVERY_ROWS:
                reported = out.rows
                _tell(progress, f"{delivery_id} {entry.name}: {out.rows:,} of {entry.rows:,} rows received")
        if out.rows != entry.rows:
            raise loader.DeliveryRejected(
                f"{entry.name} ({entry.dataset.name}): the platform's manifest says {entry.rows:,} rows, "
                f"its pages gave {out.rows:,}"
            )
    except BaseException:
        out.discard()
        raise
    out.finish()
    _tell(progress, f"{delivery_id} {entry.name}: {out.rows:,} rows received")


def _tell(progress: Callable[[str], None] | None, message: str) -> None:
    log.info("%s", message)
    if progress:
        progress(message)


def _json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def load_spooled(folder: Path, source: str) -> loader.IngestResult:
    """Load a complete spool folder through the file loader (sha256 and rows checked again)."""
    raw = loader.read_manifest_json(folder)
    manifest = loader.parse_manifest(raw)
    for entry in manifest.files:
        digest = loader.file_sha256(folder / entry.name)
        if digest != entry.sha256:
            raise loader.DeliveryRejected(
                f"{entry.name}: the spooled file changed after it was fetched "
                f"(sha256 {digest}, manifest {entry.sha256})"
            )
    sources = ((entry, loader.csv_rows(folder / entry.name)) for entry in manifest.files)
    return loader.load_delivery(manifest, sources, source)


# ------------------------------------------------------------------------------ fetching


def last_loaded_api_delivery(agency: str) -> str | None:
    """The platform delivery of `agency` the warehouse loaded last (the `after` of the listing)."""
    from crvs import database
    from crvs.feeds.tables import ensure_tables

    with database.connect(role=settings.LOADER_ROLE) as conn:
        ensure_tables(conn)
        row = conn.execute(
            "select delivery_id from raw.deliveries where agency = %s and channel = 'API' "
            "order by loaded_at desc, delivery_id desc limit 1",
            (agency,),
        ).fetchone()
    return row[0] if row else None


def _loaded_from_files(agency: str, ids: list[str]) -> dict[str, tuple[dict, str]]:
    """Of these delivery ids of `agency`, those loaded by another channel than the platform:
    {delivery_id: (loaded manifest, channel)}."""
    from crvs import database

    if not ids:
        return {}
    with database.connect(role=settings.LOADER_ROLE) as conn:
        rows = conn.execute(
            "select delivery_id, manifest, channel from raw.deliveries where agency = %s"
            " and delivery_id = any(%s) and channel <> 'API'",
            (agency, ids),
        ).fetchall()
    return {d: (m, ch) for d, m, ch in rows}


def _same_as_loaded(listed: dict, loaded: tuple[dict, str]) -> bool:
    """A listed delivery that the warehouse loaded from files: the same when its manifest agrees
    (the rows are compared by count: the platform's rows and the agency's file are different
    bytes). One that cannot even be read is not the same: fetching it records why."""
    try:
        manifest = loader.parse_manifest(listed, where="the platform's manifest", need_sha256=False)
    except loader.DeliveryRejected:
        return False
    return not loader.resend_differences(loaded[0], loaded[1], manifest)


def new_deliveries(client: PlatformClient, agency: str, progress: Callable[[str], None] | None = None) -> list[dict]:
    """The listed manifests of `agency`'s deliveries published after the last one the warehouse
    loaded from the platform, oldest first, minus those loaded from files (FILE, EMAIL) whose
    manifest is the same. A listed delivery the platform publishes again is fetched: loading it
    compares its rows with the loaded ones (already loaded, or rejected when they changed)."""
    if agency not in AGENCIES:
        raise ValueError(f"unknown agency {agency!r}; known: {', '.join(AGENCIES)}")
    after = last_loaded_api_delivery(agency)
    listed = client.deliveries(agency, after)
    # Only well-formed ids are looked up: one the loader refuses (a NUL character...) is fetched as a
    # rejection with its reason, never a query that fails.
    # Only well-formed ids are looked up: one the loader refuses (a NUL character...) is fetched as a
    # rejection with its reason, never a query that fails.
    from_files = _loaded_from_files(
        agency, [m["delivery_id"] for m in listed if loader.valid_delivery_id(m.get("delivery_id"))]
    )
    already = {
        d
        for d, loaded in from_files.items()
        if _same_as_loaded(next(m for m in listed if str(m.get("delivery_id")) == d), loaded)
    }
    _tell(
        progress,
        f"{agency}: the platform lists {len(listed)} delivery(ies) after {after or 'the start'}"
        + (f", {len(already)} of them already loaded from files" if already else ""),
    )
    return [m for m in listed if str(m.get("delivery_id")) not in already]


def fetch_agency(
    config: PlatformConfig,
    agency: str,
    *,
    client: PlatformClient | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[loader.IngestResult]:
    """Fetch and load every delivery of `agency` the platform has and the warehouse has not, one by
    one in the order the platform publishes them (the command line and the ingest DAGs alike). A
    rejected delivery is recorded (quarantine.rejected_deliveries: final, the agency sends a new
    delivery_id) and does not stop the others. One that could not be fetched or loaded (FAILED)
    holds back every later one (HELD_BACK, nothing fetched), as they may build on it: the listing
    cursor (the last platform delivery loaded) stays before it, so the next run lists it again, and
    no delivery is ever skipped. PlatformAuthError is raised: no delivery can be fetched."""
    client = client or PlatformClient(config)
    results: list[loader.IngestResult] = []
    failed = None
    for manifest in new_deliveries(client, agency, progress):
        delivery_id = str(manifest.get("delivery_id"))
        source = f"{client.config.url}/v1/deliveries/{delivery_id}"
        if failed is not None:
            results.append(
                loader.IngestResult(
                    source,
                    HELD_BACK,
                    delivery_id,
                    agency,
                    f"waits for {failed}, which could not be fetched or loaded; the next run tries both again",
                )
            )
            continue
        try:
            result = fetch_delivery(client, manifest, progress=progress)
        except PlatformAuthError:
            raise
        except Exception as err:  # a load that broke (the database went away, ...) holds back the rest
            log.exception("could not load %s", delivery_id)
            result = loader.IngestResult(
                source,
                FAILED,
                delivery_id,
                agency,
                f"could not be loaded ({type(err).__name__}: {err}); nothing of it was kept",
            )
        results.append(result)
        if result.outcome == FAILED:
            failed = delivery_id
    return results


def fetch_delivery(
    client: PlatformClient, listed: dict, *, root: Path | None = None, progress: Callable[[str], None] | None = None
) -> loader.IngestResult:
    """Spool, then load one listed delivery. Never raises for bad input or transport trouble: the
    result says (REJECTED with the recorded reason, or FAILED with what went wrong); PlatformAuthError
    is raised, since every other delivery would fail the same way."""
    delivery_id = str(listed.get("delivery_id") or "") or None
    source = f"{client.config.url}/v1/deliveries/{delivery_id}"
    root = root or spool_root()
    folder = None
    try:
        folder = spool_delivery(client, listed, root, progress)
        result = load_spooled(folder, source)
    except loader.DeliveryRejected as err:
        reason = str(err)
        delivery_id, agency = loader.record_rejection(
            source, reason, listed
        )  # the loader keeps the one record of refusals
        log.warning("rejected %s: %s", delivery_id, reason)
        if folder is None and delivery_id and agency:
            folder = root / delivery_folder_name(agency, delivery_id)
        _archive_spool(folder, rejected=True)
        return loader.IngestResult(source, loader.REJECTED, delivery_id, agency, reason)
    except PlatformAuthError:
        raise
    except PlatformError as err:
        log.error("could not fetch %s: %s", delivery_id, err)
        return loader.IngestResult(source, FAILED, delivery_id, listed.get("agency"), str(err))
    _archive_spool(folder, rejected=False)
    return result


def _archive_spool(folder: Path | None, *, rejected: bool) -> None:
    """Move a handled spool folder aside (spool/processed, spool/rejected), keeping its files."""
    if folder is None or not folder.exists():
        return
    from crvs.feeds.inbox import archive

    archive(folder, rejected=rejected)
