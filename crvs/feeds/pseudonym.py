"""Keyed pseudonyms for personal identifiers (HMAC-SHA256, ENISA-style).

A plain hash would not do: a 12-digit citizen number has a 3-digit province prefix, a sex/century
digit and a 2-digit birth year, which leaves about a million candidates per known prefix. The key
comes from crvs.settings.pseudonym_key() and is never logged or stored in the warehouse.

Two implementations of the same function, tested to agree: `Pseudonymiser` (Python, per value) and
`sql_pseudonym` (SQL builtins only, set-based in the loader: the embedded PostgreSQL has no
pgcrypto). HMAC-SHA256 is sha256(k_opad || sha256(k_ipad || message)) (RFC 2104); the key pads are
computed here and reach the server only as bound parameters, never in SQL text or logs.
"""

from __future__ import annotations

import hashlib
import hmac
import re

# ASCII digits only (Python's \d would also match other scripts' digits).
CITIZEN_ID = re.compile(r"[0-9]{12}")
PSEUDONYM = re.compile(r"[0-9a-f]{64}")
# Written in place of a malformed identifier, so the row is quarantined without storing the value.
INVALID_ID = "!invalid"
# What str.strip() removes around an identifier, for the SQL side (ASCII whitespace).
_SPACES = " \t\n\r\f\v"
BLOCK_SIZE = 64  # SHA-256's block size in bytes


def hmac_pads(key: bytes) -> dict[str, bytes]:
    """The inner and outer key pads of HMAC-SHA256, as the bound parameters of `sql_pseudonym`."""
    if len(key) < 16:
        raise ValueError("the pseudonym key must be at least 16 bytes")
    if len(key) > BLOCK_SIZE:
        key = hashlib.sha256(key).digest()
    block = key.ljust(BLOCK_SIZE, b"\0")
    return {"hmac_ipad": bytes(b ^ 0x36 for b in block), "hmac_opad": bytes(b ^ 0x5C for b in block)}


def sql_pseudonym(value_sql: str) -> str:
    """SQL expression: the pseudonym of `value_sql` (text), as Pseudonymiser.__call__ gives it.

    Needs the parameters %(hmac_ipad)s and %(hmac_opad)s from hmac_pads(). `value_sql` is evaluated
    several times: pass a column, not an expensive expression.
    """
    spaces = "E'" + _SPACES.encode("unicode_escape").decode() + "'"

    def digits(v: str) -> str:  # twelve ASCII digits, without a regular expression (cheaper per row)
        return f"length({v}) = 12 and ltrim({v}, '0123456789') = ''"

    def mac(v: str) -> str:
        return f"encode(sha256(%(hmac_opad)s::bytea || sha256(%(hmac_ipad)s::bytea || convert_to({v}, 'UTF8'))), 'hex')"

    trimmed = f"btrim({value_sql}, {spaces})"
    # The usual case first: a clean citizen number, nothing to trim.
    return (f"case when {digits(value_sql)} then {mac(value_sql)}"
            f" when {value_sql} is null or {trimmed} = '' then null"
            f" when {digits(trimmed)} then {mac(trimmed)}"
            f" else '{INVALID_ID}' end")


class Pseudonymiser:
    def __init__(self, key: bytes):
        if len(key) < 16:
            raise ValueError("the pseudonym key must be at least 16 bytes")
        self._mac = hmac.new(key, digestmod=hashlib.sha256)

    def __call__(self, value: str | None) -> str | None:
        """The pseudonym of a citizen number; None for an empty field, INVALID_ID if malformed."""
        if value is None:
            return None
        value = value.strip(_SPACES)
        if not value:
            return None
        if not CITIZEN_ID.fullmatch(value):
            return INVALID_ID
        mac = self._mac.copy()
        mac.update(value.encode("ascii"))
        return mac.hexdigest()

    def __repr__(self) -> str:  # never show the key
        return "Pseudonymiser(<key hidden>)"
