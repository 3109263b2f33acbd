import base64
import logging

import pytest

from jxjy.lib import crypto
from jxjy.lib.logging import RedactFilter, redact


def test_round_trip_and_no_plaintext():
    token = crypto.encrypt("11010519491231002X", "id_number")
    assert "11010519491231002X" not in token
    assert crypto.decrypt(token, "id_number") == "11010519491231002X"


def test_same_value_encrypts_differently_each_time():
    assert crypto.encrypt("13800138000", "mobile") != crypto.encrypt("13800138000", "mobile")


def test_ciphertext_is_bound_to_its_purpose():
    token = crypto.encrypt("13800138000", "mobile")
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(token, "id_number")


def test_tampered_ciphertext_is_refused():
    token = crypto.encrypt("13800138000", "mobile")
    version, payload = token.split(":")
    raw = bytearray(base64.b64decode(payload))
    raw[-1] ^= 1
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(version + ":" + base64.b64encode(bytes(raw)).decode(), "mobile")


def test_key_rotation_reads_old_ciphertexts(settings):
    old_token = crypto.encrypt("13800138000", "mobile")
    new_key = base64.b64encode(b"n" * 32).decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, *settings.FIELD_ENCRYPTION_KEYS]
    assert crypto.decrypt(old_token, "mobile") == "13800138000"
    new_token = crypto.encrypt("13800138000", "mobile")
    assert new_token.startswith("v2:")
    assert crypto.decrypt(new_token, "mobile") == "13800138000"


def test_blind_index_is_keyed(settings):
    first = crypto.blind_index("11010519491231002X", "id_number")
    settings.BLIND_INDEX_KEY = "another-key"
    assert crypto.blind_index("11010519491231002X", "id_number") != first


def test_blind_index_is_deterministic():
    assert crypto.blind_index("13800138000", "mobile") == crypto.blind_index("13800138000", "mobile")
    assert crypto.blind_index("13800138000", "mobile") != crypto.blind_index("13800138000", "id_number")


def test_redaction_of_logs():
    assert redact("id 11010519491231002X mobile 13800138000") == "id 110105********002X mobile 138****8000"
    record = logging.LogRecord("x", logging.INFO, "f", 1, "user %s\r\nFAKE ENTRY", ("13800138000",), None)
    RedactFilter().filter(record)
    assert record.getMessage() == "user 138****8000\\r\\nFAKE ENTRY"
