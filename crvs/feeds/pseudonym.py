"""Keyed pseudonyms for personal identifiers (HMAC-SHA256, ENISA-style).

A plain hash would not do: a 12-digit citizen number has a 3-digit province prefix, a sex/century
digit and a 2-digit birth year, which leaves about a million candidates per known prefix. The key
comes from crvs.settings.pseudonym_key() and is never logged or stored in the warehouse.
"""

from __future__ import annotations

import hashlib
import hmac
import re

CITIZEN_ID = re.compile(r"\d{12}")
PSEUDONYM = re.compile(r"[0-9a-f]{64}")
# Written in place of a malformed identifier, so the row is quarantined without storing the value.
INVALID_ID = "!invalid"


class Pseudonymiser:
    def __init__(self, key: bytes):
        if len(key) < 16:
            raise ValueError("the pseudonym key must be at least 16 bytes")
        self._mac = hmac.new(key, digestmod=hashlib.sha256)

    def __call__(self, value: str | None) -> str | None:
        """The pseudonym of a citizen number; None for an empty field, INVALID_ID if malformed."""
        if value is None:
            return None
        value = value.strip()
        if not value:
            return None
        if not CITIZEN_ID.fullmatch(value):
            return INVALID_ID
        mac = self._mac.copy()
        mac.update(value.encode("ascii"))
        return mac.hexdigest()

    def __repr__(self) -> str:  # never show the key
        return "Pseudonymiser(<key hidden>)"
