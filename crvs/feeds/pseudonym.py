"""Keyed pseudonyms for personal identifiers (HMAC-SHA256, ENISA-style).

A plain hash would not do: a 12-digit citizen number (its digits: crvs.feeds.contract.Formats) has
a 3-digit province prefix, a sex/century digit and a 2-digit birth year, which leaves about a
million candidates per known prefix. The key comes from crvs.settings.pseudonym_key() and is
never logged or stored in the warehouse.

The loader calls this in its own process, before a row is sent to the database server: the server
never sees an identifier, only its pseudonym (or INVALID_ID). HMAC-SHA256 is
sha256(k_opad || sha256(k_ipad || message)) (RFC 2104): the two pads are hashed once, here, and
each value then costs two copies of those hash states, not a new HMAC object.
"""

from __future__ import annotations

import copy
import hashlib

from crvs.feeds.contract import FORMATS, Formats

# Written in place of a malformed identifier, so the row is quarantined without storing the value.
INVALID_ID = "!invalid"
# What str.strip() removes around an identifier (ASCII whitespace only: a no-break space makes the
# value malformed).
_SPACES = " \t\n\r\f\v"
BLOCK_SIZE = 64  # SHA-256's block size in bytes


class Pseudonymiser:
    """Pseudonyms of the citizen numbers of `formats` (the contract's Formats; FORMATS unless a
    dataset declares others: `for_formats`)."""

    def __init__(self, key: bytes, formats: Formats = FORMATS):
        if len(key) < 16:
            raise ValueError("the pseudonym key must be at least 16 bytes")
        if len(key) > BLOCK_SIZE:
            key = hashlib.sha256(key).digest()
        block = key.ljust(BLOCK_SIZE, b"\0")
        self._blocks = (bytes(b ^ 0x36 for b in block), bytes(b ^ 0x5C for b in block))
        self._inner = hashlib.sha256(self._blocks[0])
        self._outer = hashlib.sha256(self._blocks[1])
        self._formats = formats
        self._digits = formats.citizen_number_digits

    def for_formats(self, formats: Formats) -> Pseudonymiser:
        """The same key's pseudonymiser for citizen numbers of `formats` (a dataset's)."""
        if formats == self._formats:
            return self
        other = copy.copy(self)
        other._formats, other._digits = formats, formats.citizen_number_digits
        return other

    def __call__(self, value: str | None) -> str | None:
        """The pseudonym of a citizen number; None for an empty field, INVALID_ID if malformed."""
        if value is None:
            return None
        return self.field(value) or None

    def field(self, value: str) -> str:
        """As __call__, for a CSV field: "" for an empty one (the loader's hot path: inlined)."""
        if not (len(value) == self._digits and value.isascii() and value.isdigit()):
            value = value.strip(_SPACES)
            if not value:
                return ""
            if not self._formats.citizen_number(value):
                return INVALID_ID
        inner = self._inner.copy()
        inner.update(value.encode("ascii"))
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()

    def key_blocks(self) -> tuple[bytes, bytes]:
        """The key's inner and outer HMAC blocks, for the loader's C fast path (which computes the
        same pseudonyms); never to be logged or stored."""
        return self._blocks

    def __repr__(self) -> str:  # never show the key
        return "Pseudonymiser(<key hidden>)"
