"""Pseudonyms are HMAC-SHA256 under the secret key: checked against the RFC 2104 construction
written out here with plain SHA-256, not against the code's own call."""

import hashlib

import pytest

from crvs.feeds.pseudonym import INVALID_ID, Pseudonymiser

KEY = b"a-test-key-of-more-than-16-bytes"


def rfc2104_hmac_sha256(key: bytes, message: bytes) -> str:
    block = key.ljust(64, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in block) + message).digest()
    return hashlib.sha256(bytes(b ^ 0x5C for b in block) + inner).hexdigest()


def test_a_citizen_number_becomes_its_keyed_hmac():
    assert Pseudonymiser(KEY)("001190012345") == rfc2104_hmac_sha256(KEY, b"001190012345")


def test_surrounding_spaces_do_not_change_the_pseudonym():
    pseudonymise = Pseudonymiser(KEY)
    assert pseudonymise(" 001190012345 ") == pseudonymise("001190012345")


def test_another_key_gives_another_pseudonym_and_a_plain_hash_is_not_used():
    value = "001190012345"
    assert Pseudonymiser(KEY)(value) != Pseudonymiser(KEY + b"x")(value)
    assert Pseudonymiser(KEY)(value) != hashlib.sha256(value.encode()).hexdigest()


@pytest.mark.parametrize("value, expected", [("", None), (None, None), ("   ", None),
                                             ("12345", INVALID_ID), ("00119001234X", INVALID_ID),
                                             ("0011900123456", INVALID_ID)])
def test_empty_and_malformed_identifiers(value, expected):
    assert Pseudonymiser(KEY)(value) == expected


def test_a_short_key_is_refused_and_the_key_never_shows():
    with pytest.raises(ValueError):
        Pseudonymiser(b"short")
    assert KEY.decode() not in repr(Pseudonymiser(KEY))
