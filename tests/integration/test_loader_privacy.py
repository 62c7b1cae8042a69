"""No personal identifier and no name ever reaches the database server.

The loader talks to the real embedded PostgreSQL through a TCP relay on 127.0.0.1 that keeps a
copy of every byte the client sends (SQL text, parameters, the COPY stream). A delivery whose
identifiers and names are unique marker strings is loaded; none of them may be in what was sent,
nor in any table of any schema afterwards (quarantine included). A canary that must be sent (a
record id) proves the relay saw the traffic in clear.
"""

from __future__ import annotations

import logging
import socket
import threading

import psycopg
import pytest

from crvs import settings
from crvs.feeds import loader
from crvs.feeds.pseudonym import INVALID_ID, Pseudonymiser
from tests.integration.test_ingest import birth, births_delivery, edit_manifest, fetch

CHILD_ID, MOTHER_ID, OTHER_ID, STRAY_ID = "555000111222", "555000333444", "555000555666", "555000777888"
BAD_ID = "ZQX-BAD-ID-7"
CHILD_NAME, MOTHER_NAME = "Zebulon Markername-Child", 'Quxley "Jr", Markername-Mother\nsecond line'
STRAY_NAME = "Wobble Markername-Stray"
CANARY = "REC-CANARY-1"
SECRETS = (CHILD_ID, MOTHER_ID, OTHER_ID, STRAY_ID, BAD_ID, "Markername", "Zebulon", "Quxley", "Wobble")


class RecordingRelay:
    """Forwards 127.0.0.1:<port> to the server and keeps every byte the clients send."""

    def __init__(self, host: str, port: int):
        self.upstream = (host, port)
        self.sent = bytearray()
        self._lock = threading.Lock()
        self.sockets: list[socket.socket] = []  # both ends of every connection relayed
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:  # closed
                return
            server = socket.create_connection(self.upstream)
            self.sockets += [client, server]
            threading.Thread(target=self._pipe, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client, False), daemon=True).start()

    def _pipe(self, source: socket.socket, target: socket.socket, record: bool) -> None:
        try:
            while data := source.recv(1 << 16):
                if record:
                    with self._lock:
                        self.sent += data
                target.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, target):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        self._listener.close()

    def cut(self) -> None:
        """Close every connection and take no new one: to its clients, the database is gone."""
        self.close()
        for s in self.sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


@pytest.fixture
def relay(warehouse, monkeypatch):
    info = psycopg.conninfo.conninfo_to_dict(warehouse)
    recording = RecordingRelay(info["host"], int(info["port"]))
    # Plain TCP, no TLS, so the relay reads what is sent; the loader sees an ordinary server URL.
    monkeypatch.setenv(
        "CRVS_WAREHOUSE_URL", psycopg.conninfo.make_conninfo(warehouse, port=str(recording.port), sslmode="disable")
    )
    yield recording
    recording.close()


def _every_table_as_text(db) -> str:
    tables = fetch(
        db,
        "select table_schema, table_name from information_schema.tables"
        " where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema')",
    )
    assert {("raw", "moj_births"), ("quarantine", "rows"), ("quarantine", "rejected_deliveries")} <= set(tables)
    return "\n".join(
        text for schema, table in tables for (text,) in fetch(db, f'select t::text from "{schema}"."{table}" t')
    )


def test_no_identifier_or_name_reaches_the_server_on_any_path(relay, db, tmp_path):
    rows = [
        birth(
            record_id=CANARY,
            child_id=CHILD_ID,
            child_name=CHILD_NAME,  # loaded; the quoted name
            mother_id=f" {MOTHER_ID} ",
            mother_name=MOTHER_NAME,
        ),  # takes the csv-module path
        birth(record_id="R-2", child_id=OTHER_ID, mother_id=MOTHER_ID, sex="X"),  # quarantined by a rule
        birth(record_id="R-3", child_id=BAD_ID, mother_id=MOTHER_ID),  # malformed identifier
    ]
    folder = births_delivery(tmp_path, rows)
    with open(folder / "births.csv", "a", encoding="utf-8", newline="") as f:
        f.write(f"R-4,1,ACTIVE,{STRAY_ID},{STRAY_NAME}\r\n")  # wrong field count
    edit_manifest(folder, lambda m: m["files"][0].update(rows=4, sha256=loader.file_sha256(folder / "births.csv")))
    # A second delivery rejected after its rows were sent (the manifest's count is wrong).
    rejected = births_delivery(
        tmp_path, [birth(record_id="R-5", child_id=STRAY_ID, child_name=STRAY_NAME)], delivery_id="MOJ-2025Q3-0009"
    )
    edit_manifest(rejected, lambda m: m["files"][0].update(rows=2))

    results = [loader.ingest_path(folder), loader.ingest_path(rejected)]

    assert [(r.outcome, r.rows_loaded, r.rows_quarantined) for r in results] == [
        (loader.LOADED, 1, 3),
        (loader.REJECTED, 0, 0),
    ], results
    sent = relay.sent.decode("utf-8", errors="replace")
    table_text = _every_table_as_text(db)
    assert CANARY in sent and CANARY in table_text  # the relay saw the traffic, the dump holds the rows
    pseudonymise = Pseudonymiser(settings.pseudonym_key())
    assert pseudonymise(CHILD_ID) in sent and pseudonymise(MOTHER_ID) in table_text
    for secret in SECRETS:
        assert secret not in sent, f"{secret!r} was sent to the database server"
        assert secret not in table_text, f"{secret!r} is stored in the warehouse"
    assert fetch(db, "select source_row, column_name, rule, record->>'child_pid' from quarantine.rows order by 1") == [
        (2, "sex", "not_in_code_list", pseudonymise(OTHER_ID)),
        (3, "child_id", "malformed_identifier", INVALID_ID),
        (4, "*", "wrong_field_count", None),
    ]
    assert fetch(db, "select encode(child_pid, 'hex'), encode(mother_pid, 'hex') from raw.moj_births") == [
        (pseudonymise(CHILD_ID), pseudonymise(MOTHER_ID))
    ]


def test_rows_handed_over_as_lists_send_no_identifier_or_name_either(relay, db, tmp_path):
    folder = births_delivery(
        tmp_path,
        [
            birth(
                record_id=CANARY, child_id=CHILD_ID, child_name=CHILD_NAME, mother_id=MOTHER_ID, mother_name=MOTHER_NAME
            )
        ],
    )
    manifest = loader.read_manifest(folder)
    file_rows = loader.csv_rows(folder / "births.csv")
    rows = loader.RowSource(file_rows.file_name, file_rows.header, list(file_rows.rows))
    assert CHILD_ID in rows.rows[0] and CHILD_NAME in rows.rows[0]  # the loader is handed them

    result = loader.load_delivery(manifest, [(manifest.files[0], rows)], "platform")

    assert (result.outcome, result.rows_loaded) == (loader.LOADED, 1)
    sent = relay.sent.decode("utf-8", errors="replace")
    assert CANARY in sent
    for secret in SECRETS:
        assert secret not in sent, secret


def test_the_fast_path_sends_no_identifier_or_name_either(relay, db, tmp_path, caplog):
    """A plain file (no quotes) goes the C fast path: rows in COPY's binary format straight into
    raw.*, the others handed back, a repeated key moved to quarantine afterwards."""
    plain_mother = "Plainmarker Mother"
    rows = [
        birth(
            record_id=CANARY,
            child_id=CHILD_ID,
            child_name="Plainmarker Child",
            mother_id=MOTHER_ID,
            mother_name=plain_mother,
        ),  # fast
        birth(record_id="R-2", child_id=OTHER_ID, mother_id=f" {MOTHER_ID} ", sex="X"),  # handed back
        birth(record_id="R-3", child_id=BAD_ID, mother_id=MOTHER_ID),  # handed back, malformed
        birth(record_id=CANARY, child_id=STRAY_ID, child_name=STRAY_NAME),  # fast, then moved
    ]
    folder = births_delivery(tmp_path, rows)
    assert b'"' not in (folder / "births.csv").read_bytes()

    with caplog.at_level(logging.INFO, logger="crvs.feeds.loader"):
        result = loader.ingest_path(folder)

    assert (result.outcome, result.rows_loaded, result.rows_quarantined) == (loader.LOADED, 1, 3)
    assert any("fast path:" in m and "2 rows handed back" in m for m in caplog.messages)
    pseudonymise = Pseudonymiser(settings.pseudonym_key())
    assert bytes.fromhex(pseudonymise(CHILD_ID)) in relay.sent  # the binary COPY went through the relay
    table_text = _every_table_as_text(db)
    for secret in (CHILD_ID, MOTHER_ID, OTHER_ID, STRAY_ID, BAD_ID, "Plainmarker", STRAY_NAME):
        assert secret.encode() not in relay.sent, f"{secret!r} was sent to the database server"
        assert secret not in table_text, f"{secret!r} is stored in the warehouse"
    assert fetch(db, "select source_row, rule, record->>'child_pid' from quarantine.rows order by 1") == [
        (2, "not_in_code_list", pseudonymise(OTHER_ID)),
        (3, "malformed_identifier", INVALID_ID),
        (4, "duplicate_key", pseudonymise(STRAY_ID)),
    ]
