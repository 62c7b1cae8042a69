"""The embedded server's durability: fsync on for a warehouse anyone keeps, off only for a server
thrown away at the end (CRVS_PG_THROWAWAY=1, the test session's)."""

from __future__ import annotations

import psycopg

from crvs import database, settings


def test_a_kept_server_waits_for_the_disk(monkeypatch):
    monkeypatch.delenv("CRVS_PG_THROWAWAY", raising=False)
    options = database.server_options(5999).split()
    assert "fsync=on" in options and "fsync=off" not in options
    assert "synchronous_commit=off" not in options and "full_page_writes=off" not in options
    monkeypatch.setenv("CRVS_PG_THROWAWAY", "yes")  # only "1" means throw-away
    assert "fsync=on" in database.server_options(5999).split()


def test_the_test_sessions_server_is_a_throwaway_one(postgres_server):
    assert settings.embedded_server_is_throwaway()
    with psycopg.connect(settings.server_admin_url()) as conn:
        shown = {name: conn.execute(f"show {name}").fetchone()[0] for name in ("fsync", "synchronous_commit")}
    assert shown == {"fsync": "off", "synchronous_commit": "off"}
