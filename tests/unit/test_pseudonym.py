"""Pseudonyms are HMAC-SHA256 under the secret key: checked against the RFC 2104 construction
written out here with plain SHA-256, not against the code's own call."""

import dataclasses
import hashlib
import hmac

import pytest

from crvs.feeds.contract import FORMATS
from crvs.feeds.pseudonym import INVALID_ID, Pseudonymiser

KEY = b"a-test-key-of-more-than-16-bytes"


def rfc2104_hmac_sha256(key: bytes, message: bytes) -> str:
    block = (key if len(key) <= 64 else hashlib.sha256(key).digest()).ljust(64, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in block) + message).digest()
    return hashlib.sha256(bytes(b ^ 0x5C for b in block) + inner).hexdigest()


@pytest.mark.parametrize("key", [KEY, b"k" * 64, b"a longer key " * 9])  # shorter, equal, longer than a block
def test_a_citizen_number_becomes_its_keyed_hmac(key):
    pseudonymise = Pseudonymiser(key)
    assert pseudonymise("001190012345") == rfc2104_hmac_sha256(key, b"001190012345")
    # The hash states are copied per value, never updated in place: the same value, the same pseudonym.
    assert pseudonymise("001190012345") == pseudonymise("001190012345") != pseudonymise("001190012346")
    assert hmac.new(key, b"001190012346", hashlib.sha256).hexdigest() == pseudonymise("001190012346")


def test_surrounding_spaces_do_not_change_the_pseudonym():
    pseudonymise = Pseudonymiser(KEY)
    assert pseudonymise(" 001190012345 ") == pseudonymise("001190012345")


def test_another_key_gives_another_pseudonym_and_a_plain_hash_is_not_used():
    value = "001190012345"
    assert Pseudonymiser(KEY)(value) != Pseudonymiser(KEY + b"x")(value)
    assert Pseudonymiser(KEY)(value) != hashlib.sha256(value.encode()).hexdigest()


@pytest.mark.parametrize(
    "value, expected",
    [
        ("", None),
        (None, None),
        ("   ", None),
        ("12345", INVALID_ID),
        ("00119001234X", INVALID_ID),
        ("0011900123456", INVALID_ID),
        ("٠٠١١٩٠٠١٢٣٤٥", INVALID_ID),  # Arabic-Indic digits
        ("001190012345\u00a0", INVALID_ID),
    ],
)  # no-break space: not trimmed
def test_empty_and_malformed_identifiers(value, expected):
    assert Pseudonymiser(KEY)(value) == expected


@pytest.mark.parametrize(
    "value, expected",
    [("", ""), ("  ", ""), ("12345", INVALID_ID), ("\t001190012345\r", rfc2104_hmac_sha256(KEY, b"001190012345"))],
)
def test_the_field_form_gives_an_empty_string_for_an_empty_field(value, expected):
    assert Pseudonymiser(KEY).field(value) == expected


def test_a_short_key_is_refused_and_the_key_never_shows():
    with pytest.raises(ValueError):
        Pseudonymiser(b"short")
    assert KEY.decode() not in repr(Pseudonymiser(KEY))


def test_citizen_numbers_have_the_digits_the_contract_declares():
    longer = dataclasses.replace(FORMATS, citizen_number_digits=13)
    for pseudonymise in (Pseudonymiser(KEY, longer), Pseudonymiser(KEY).for_formats(longer)):
        assert pseudonymise("0011900123456") == rfc2104_hmac_sha256(KEY, b"0011900123456")
        assert pseudonymise.field(" 0011900123456") == rfc2104_hmac_sha256(KEY, b"0011900123456")
        assert pseudonymise("001190012345") == pseudonymise.field("001190012345") == INVALID_ID
    assert Pseudonymiser(KEY).for_formats(FORMATS)("0011900123456") == INVALID_ID  # the default: 12
