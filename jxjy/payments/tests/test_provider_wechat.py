"""WeChat Pay API v3 provider: request signing, reply and notification verification, AES-GCM, amounts, config.

Fixtures are built the way WeChat Pay builds them (resource encrypted with the API v3 key, headers signed with the
"platform" test key from `keys.py`); no database is used.
"""

import base64
import datetime
import io
import json
import re
import time
import urllib.error
from decimal import Decimal
from email.message import Message
from types import SimpleNamespace

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.core.exceptions import ImproperlyConfigured

from jxjy.lib import http as lib_http
from jxjy.payments.providers import wechat
from jxjy.payments.providers.base import GatewayError, GatewayTrade, VerificationError
from jxjy.payments.providers.wechat import WechatPayProvider, fen_to_yuan, yuan_to_fen

from . import keys

APP_ID = "wxd678efh567hg6787"
MCH_ID = "1230000109"
MCH_SERIAL = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
API_V3_KEY = "0123456789abcdefghijklmnopqrstuv"
PLATFORM_SERIAL = "PUB_KEY_ID_0112300001092026010100000000000001"
API_BASE = "https://api.mch.weixin.qq.com"


@pytest.fixture
def wechat_settings(settings):
    settings.WECHAT_APP_ID = APP_ID
    settings.WECHAT_MCH_ID = MCH_ID
    settings.WECHAT_MCH_PRIVATE_KEY = keys.private_pem("wechat-merchant")
    settings.WECHAT_MCH_SERIAL = MCH_SERIAL
    settings.WECHAT_API_V3_KEY = API_V3_KEY
    settings.WECHAT_PLATFORM_PUBLIC_KEY = keys.public_pem("wechat-platform")
    settings.WECHAT_PLATFORM_SERIAL = PLATFORM_SERIAL
    settings.WECHAT_API_BASE = API_BASE
    return settings


def make_payment(**overrides):
    values = {
        "number": "P202601010001",
        "amount": Decimal("128.00"),
        "expires_at": datetime.datetime(2026, 1, 1, 4, 30, tzinfo=datetime.UTC),
    }
    values.update(overrides)
    return SimpleNamespace(**values)


def signed_headers(
    body: bytes,
    *,
    timestamp=None,
    nonce="c5ac7061fccab6bf3e254dcf98995b8c",
    serial=PLATFORM_SERIAL,
    key="wechat-platform",
) -> dict:
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = keys.sign(key, f"{timestamp}\n{nonce}\n".encode() + body + b"\n")
    return {
        "wechatpay-timestamp": timestamp,
        "wechatpay-nonce": nonce,
        "wechatpay-signature": signature,
        "wechatpay-serial": serial,
        "content-type": "application/json",
    }


def signed_reply(status: int, data, **header_options) -> tuple[int, dict, bytes]:
    body = data if isinstance(data, bytes) else json.dumps(data, ensure_ascii=False).encode()
    return status, signed_headers(body, **header_options), body


class FakeHttp:
    """Stands in for WechatPayProvider._http: records requests (with their real Authorization) and answers."""

    def __init__(self, *replies):
        self.replies = list(replies)
        self.calls = []

    def __call__(self, method, url, headers, body):
        self.calls.append(SimpleNamespace(method=method, url=url, headers=headers, body=body))
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return reply

    def json(self, index=0):
        return json.loads(self.calls[index].body.decode("utf-8"))


def provider_with(*replies):
    provider = WechatPayProvider()
    http = FakeHttp(*replies)
    provider._http = http
    return provider, http


def transaction(**fields):
    data = {
        "appid": APP_ID,
        "mchid": MCH_ID,
        "out_trade_no": "P202601010001",
        "transaction_id": "4200000001202601010000000001",
        "trade_type": "NATIVE",
        "trade_state": "SUCCESS",
        "trade_state_desc": "支付成功",
        "bank_type": "OTHERS",
        "attach": "",
        "success_time": "2026-01-01T12:00:09+08:00",
        "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
        "amount": {"total": 12800, "payer_total": 12800, "currency": "CNY", "payer_currency": "CNY"},
    }
    data.update(fields)
    return data


def encrypt_resource(plain: dict, *, key=API_V3_KEY, nonce="fdasflkja484", associated_data="transaction") -> dict:
    ciphertext = AESGCM(key.encode()).encrypt(nonce.encode(), json.dumps(plain).encode(), associated_data.encode())
    return {
        "original_type": "transaction",
        "algorithm": "AEAD_AES_256_GCM",
        "ciphertext": base64.b64encode(ciphertext).decode(),
        "associated_data": associated_data,
        "nonce": nonce,
    }


def notification(resource: dict, **header_options) -> tuple[bytes, dict]:
    envelope = {
        "id": "EV-2026010112000900001",
        "create_time": "2026-01-01T12:00:10+08:00",
        "resource_type": "encrypt-resource",
        "event_type": "TRANSACTION.SUCCESS",
        "summary": "支付成功",
        "resource": resource,
    }
    body = json.dumps(envelope, ensure_ascii=False).encode()
    return body, signed_headers(body, **header_options)


def parse_authorization(value: str) -> dict:
    schema, _, rest = value.partition(" ")
    assert schema == "WECHATPAY2-SHA256-RSA2048"
    fields = dict(re.findall(r'(\w+)="([^"]*)"', rest))
    assert rest == ",".join(f'{k}="{v}"' for k, v in fields.items())
    return fields


def assert_signed_by_merchant(call, path: str):
    fields = parse_authorization(call.headers["Authorization"])
    assert set(fields) == {"mchid", "nonce_str", "signature", "timestamp", "serial_no"}
    assert fields["mchid"] == MCH_ID
    assert fields["serial_no"] == MCH_SERIAL
    assert re.fullmatch(r"[0-9A-Za-z]{32}", fields["nonce_str"])
    assert abs(int(fields["timestamp"]) - time.time()) < 60
    body = call.body.decode("utf-8") if call.body else ""
    message = f"{call.method}\n{path}\n{fields['timestamp']}\n{fields['nonce_str']}\n{body}\n"
    assert keys.verify("wechat-merchant", message, fields["signature"])
    assert not keys.verify("wechat-platform", message, fields["signature"])
    return fields


# --- amounts -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("yuan", "fen"),
    [(Decimal("0.01"), 1), (Decimal("0.10"), 10), (Decimal("1"), 100), (Decimal("128.00"), 12800), ("99.99", 9999)],
)
def test_yuan_to_fen_is_exact(yuan, fen):
    assert yuan_to_fen(yuan) == fen
    assert isinstance(yuan_to_fen(yuan), int)


@pytest.mark.parametrize("yuan", [Decimal("0.001"), Decimal("1.005"), Decimal("0"), Decimal("-0.01"), 0.01, "NaN"])
def test_yuan_to_fen_refuses_inexact_or_non_positive(yuan):
    with pytest.raises(ValueError):
        yuan_to_fen(yuan)


def test_fen_to_yuan_has_two_places():
    assert fen_to_yuan(1) == Decimal("0.01")
    assert str(fen_to_yuan(1)) == "0.01"
    assert str(fen_to_yuan(12800)) == "128.00"
    for bad in (True, 1.0, "1", None):
        with pytest.raises(ValueError):
            fen_to_yuan(bad)


# --- request signing and start (Native) ----------------------------------------------------------


def test_start_posts_signed_native_order_in_fen_and_returns_code_url(wechat_settings):
    code_url = "weixin://wxpay/bizpayurl?pr=p4lpSuKzz"
    provider, http = provider_with(signed_reply(200, {"code_url": code_url}))
    result = provider.start(
        make_payment(amount=Decimal("0.01")),
        subject="机关工勤继续教育 2026 年度课程",
        return_url="https://jxjy.example.cn/pay/return/",
        notify_url="https://jxjy.example.cn/pay/notify/wechat/",
    )

    assert result.qr_code_text == code_url
    assert result.redirect_url is None
    call = http.calls[0]
    assert call.method == "POST"
    assert call.url == API_BASE + "/v3/pay/transactions/native"
    assert call.headers["Content-Type"] == "application/json"
    assert call.headers["Accept"] == "application/json"
    assert call.headers["User-Agent"]
    assert http.json() == {
        "appid": APP_ID,
        "mchid": MCH_ID,
        "description": "机关工勤继续教育 2026 年度课程",
        "out_trade_no": "P202601010001",
        "time_expire": "2026-01-01T12:30:00+08:00",
        "notify_url": "https://jxjy.example.cn/pay/notify/wechat/",
        "amount": {"total": 1, "currency": "CNY"},
    }
    assert_signed_by_merchant(call, "/v3/pay/transactions/native")


def test_request_signature_message_matches_the_documented_layout():
    message = wechat.request_message("GET", "/v3/certificates", "1554208460", "593BEC0C930BF1AFEB40B4A08C8FB242", b"")
    assert message == b"GET\n/v3/certificates\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n\n"
    assert wechat.reply_message("1554209980", "c5ac7061fccab6bf3e254dcf98995b8c", b'{"a":1}') == (
        b'1554209980\nc5ac7061fccab6bf3e254dcf98995b8c\n{"a":1}\n'
    )


def test_description_is_cut_to_127_utf8_bytes_on_a_character_boundary(wechat_settings):
    provider, http = provider_with(signed_reply(200, {"code_url": "weixin://x"}))
    provider.start(make_payment(), subject="继" * 50, return_url="", notify_url="https://n.example.cn/")
    description = http.json()["description"]
    assert description == "继" * 42
    assert len(description.encode()) == 126


def test_start_refuses_three_place_amount_without_calling_the_gateway(wechat_settings):
    provider, http = provider_with()
    with pytest.raises(ValueError):
        provider.start(make_payment(amount=Decimal("0.015")), subject="课程", return_url="", notify_url="")
    assert http.calls == []


def test_start_reply_with_bad_signature_is_refused(wechat_settings):
    provider, _http = provider_with(signed_reply(200, {"code_url": "weixin://x"}, key="stranger"))
    with pytest.raises(VerificationError):
        provider.start(make_payment(), subject="课程", return_url="", notify_url="https://n.example.cn/")


def test_start_refused_by_wechat_is_a_gateway_error(wechat_settings):
    error = {"code": "PARAM_ERROR", "message": "参数错误"}
    provider, _http = provider_with(signed_reply(400, error))
    with pytest.raises(GatewayError, match="PARAM_ERROR"):
        provider.start(make_payment(), subject="课程", return_url="", notify_url="https://n.example.cn/")


# --- notifications -------------------------------------------------------------------------------


def test_notification_built_like_wechat_parses(wechat_settings):
    body, headers = notification(encrypt_resource(transaction()))
    trade = WechatPayProvider().parse_notification(body, headers)
    assert trade.status == GatewayTrade.SUCCESS
    assert trade.amount == Decimal("128.00")
    assert trade.out_trade_no == "P202601010001"
    assert trade.trade_no == "4200000001202601010000000001"
    assert trade.app_id == APP_ID
    assert trade.merchant_id == MCH_ID
    assert trade.raw == transaction()


def test_notification_header_names_in_any_case_and_empty_associated_data(wechat_settings):
    body, headers = notification(encrypt_resource(transaction(), associated_data=""))
    headers = {name.title(): value for name, value in headers.items()}
    assert WechatPayProvider().parse_notification(body, headers).status == GatewayTrade.SUCCESS


def test_notification_of_one_fen(wechat_settings):
    paid = transaction(amount={"total": 1, "payer_total": 1, "currency": "CNY", "payer_currency": "CNY"})
    body, headers = notification(encrypt_resource(paid))
    amount = WechatPayProvider().parse_notification(body, headers).amount
    assert amount == Decimal("0.01")
    assert str(amount) == "0.01"


@pytest.mark.parametrize(
    ("trade_state", "status"),
    [
        ("SUCCESS", GatewayTrade.SUCCESS),
        ("NOTPAY", GatewayTrade.PENDING),
        ("USERPAYING", GatewayTrade.PENDING),
        ("CLOSED", GatewayTrade.CLOSED),
        ("REVOKED", GatewayTrade.CLOSED),
        ("PAYERROR", GatewayTrade.FAILED),
    ],
)
def test_notification_trade_state_mapping(wechat_settings, trade_state, status):
    body, headers = notification(encrypt_resource(transaction(trade_state=trade_state)))
    assert WechatPayProvider().parse_notification(body, headers).status == status


@pytest.fixture
def no_parsing(monkeypatch):
    """Fails the test if a refused notification got as far as being read as a trade."""

    def parsed(self, data):
        raise AssertionError("a notification that failed verification was parsed")

    monkeypatch.setattr(WechatPayProvider, "_trade", parsed)


@pytest.mark.parametrize(
    "header", ["wechatpay-signature", "wechatpay-timestamp", "wechatpay-nonce", "wechatpay-serial"]
)
def test_notification_missing_a_signature_header_is_refused(wechat_settings, no_parsing, header):
    body, headers = notification(encrypt_resource(transaction()))
    del headers[header]
    with pytest.raises(VerificationError):
        WechatPayProvider().parse_notification(body, headers)


def test_notification_with_unknown_serial_is_refused(wechat_settings, no_parsing):
    body, headers = notification(encrypt_resource(transaction()), serial="PUB_KEY_ID_0000000000000000000000000099")
    with pytest.raises(VerificationError):
        WechatPayProvider().parse_notification(body, headers)


@pytest.mark.parametrize("age", [360, -360])
def test_notification_six_minutes_off_is_refused(wechat_settings, no_parsing, age):
    body, headers = notification(encrypt_resource(transaction()), timestamp=int(time.time()) - age)
    with pytest.raises(VerificationError):
        WechatPayProvider().parse_notification(body, headers)


def test_notification_four_minutes_old_is_accepted(wechat_settings):
    body, headers = notification(encrypt_resource(transaction()), timestamp=int(time.time()) - 240)
    assert WechatPayProvider().parse_notification(body, headers).status == GatewayTrade.SUCCESS


@pytest.mark.parametrize("timestamp", ["", "abc", "1e9", "-1"])
def test_notification_with_malformed_timestamp_is_refused(wechat_settings, no_parsing, timestamp):
    body, headers = notification(encrypt_resource(transaction()))
    headers["wechatpay-timestamp"] = timestamp
    with pytest.raises(VerificationError):
        WechatPayProvider().parse_notification(body, headers)


def test_notification_signed_by_another_key_is_refused(wechat_settings, no_parsing):
    body, headers = notification(encrypt_resource(transaction()), key="stranger")
    with pytest.raises(VerificationError):
        WechatPayProvider().parse_notification(body, headers)


def test_notification_body_altered_after_signing_is_refused(wechat_settings, no_parsing):
    body, headers = notification(encrypt_resource(transaction()))
    with pytest.raises(VerificationError):
        WechatPayProvider().parse_notification(body.replace(b"TRANSACTION.SUCCESS", b"TRANSACTION.SUCCESS "), headers)


def test_notification_signature_test_probe_is_refused(wechat_settings, no_parsing):
    body, headers = notification(encrypt_resource(transaction()))
    headers["wechatpay-signature"] = "WECHATPAY/SIGNTEST/" + headers["wechatpay-signature"]
    with pytest.raises(VerificationError):
        WechatPayProvider().parse_notification(body, headers)


def _flip_ciphertext(resource):
    raw = bytearray(base64.b64decode(resource["ciphertext"]))
    raw[5] ^= 0x01
    return {**resource, "ciphertext": base64.b64encode(bytes(raw)).decode()}


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(_flip_ciphertext, id="ciphertext"),
        pytest.param(lambda r: {**r, "ciphertext": r["ciphertext"][:-8] + "AAAAAA=="}, id="ciphertext-tag"),
        pytest.param(lambda r: {**r, "associated_data": "transactioN"}, id="associated_data"),
        pytest.param(lambda r: {**r, "associated_data": ""}, id="associated_data-empty"),
        pytest.param(lambda r: {**r, "nonce": "fdasflkja485"}, id="nonce"),
        pytest.param(lambda r: {**r, "nonce": "short"}, id="nonce-length"),
        pytest.param(lambda r: {**r, "algorithm": "AEAD_AES_128_GCM"}, id="algorithm"),
        pytest.param(lambda r: {**r, "ciphertext": "%%%not base64%%%"}, id="ciphertext-not-base64"),
        pytest.param(lambda r: {k: v for k, v in r.items() if k != "nonce"}, id="nonce-missing"),
    ],
)
def test_notification_with_altered_resource_is_refused_even_when_signed(wechat_settings, no_parsing, tamper):
    # The envelope is properly signed by the platform key: only the AEAD check can catch these.
    body, headers = notification(tamper(encrypt_resource(transaction())))
    with pytest.raises(VerificationError):
        WechatPayProvider().parse_notification(body, headers)


def test_notification_encrypted_with_another_api_v3_key_is_refused(wechat_settings, no_parsing):
    body, headers = notification(encrypt_resource(transaction(), key="vutsrqponmlkjihgfedcba9876543210"))
    with pytest.raises(VerificationError):
        WechatPayProvider().parse_notification(body, headers)


@pytest.mark.parametrize("body", [b"", b"not json", b"[]", b'{"resource": "x"}', b'{"id": "EV-1"}'])
def test_signed_notification_without_usable_resource_is_refused(wechat_settings, body):
    with pytest.raises(VerificationError):
        WechatPayProvider().parse_notification(body, signed_headers(body))


def test_notification_with_other_signature_type_is_refused(wechat_settings, no_parsing):
    body, headers = notification(encrypt_resource(transaction()))
    headers["wechatpay-signature-type"] = "WECHATPAY2-SM2-WITH-SM3"
    with pytest.raises(VerificationError):
        WechatPayProvider().parse_notification(body, headers)
    headers["wechatpay-signature-type"] = "WECHATPAY2-SHA256-RSA2048"
    with pytest.raises(AssertionError, match="was parsed"):
        WechatPayProvider().parse_notification(body, headers)


def test_refund_notification_is_not_read_as_a_payment(wechat_settings, no_parsing):
    refund = {
        "mchid": MCH_ID,
        "out_trade_no": "P202601010001",
        "transaction_id": "4200000001202601010000000001",
        "out_refund_no": "R202601020001",
        "refund_id": "50000000382019052709732678859",
        "refund_status": "SUCCESS",
        "amount": {"total": 12800, "refund": 5000, "payer_total": 12800, "payer_refund": 5000},
    }
    body, headers = notification(encrypt_resource(refund, associated_data="refund"))
    with pytest.raises(VerificationError):
        WechatPayProvider().parse_notification(body, headers)


def test_notification_with_unreadable_amount_is_refused(wechat_settings):
    body, headers = notification(encrypt_resource(transaction(amount={"total": "12800"})))
    with pytest.raises(VerificationError):
        WechatPayProvider().parse_notification(body, headers)


def test_reply_accepted_is_204_empty_and_refused_is_400_json_fail():
    provider = WechatPayProvider()
    accepted = provider.reply(True)
    assert (accepted.status, accepted.body) == (204, b"")
    refused = provider.reply(False)
    assert refused.status == 400
    assert refused.content_type == "application/json"
    assert json.loads(refused.body) == {"code": "FAIL", "message": "失败"}
    assert json.loads(provider.reply(False, "验签失败").body) == {"code": "FAIL", "message": "验签失败"}


# --- query ---------------------------------------------------------------------------------------

QUERY_PATH = "/v3/pay/transactions/out-trade-no/P202601010001?mchid=" + MCH_ID


def test_query_signs_get_and_maps_verified_reply(wechat_settings):
    provider, http = provider_with(signed_reply(200, transaction(trade_state="NOTPAY", transaction_id="")))
    trade = provider.query(make_payment())

    call = http.calls[0]
    assert call.method == "GET"
    assert call.url == API_BASE + QUERY_PATH
    assert call.body is None
    assert "Content-Type" not in call.headers
    assert_signed_by_merchant(call, QUERY_PATH)
    assert trade.status == GatewayTrade.PENDING
    assert trade.trade_no == ""
    assert trade.amount == Decimal("128.00")
    assert (trade.app_id, trade.merchant_id) == (APP_ID, MCH_ID)


def test_query_escapes_the_order_number_in_the_path(wechat_settings):
    provider, http = provider_with(signed_reply(200, transaction()))
    provider.query(make_payment(number="P/1?x"))
    assert http.calls[0].url == API_BASE + "/v3/pay/transactions/out-trade-no/P%2F1%3Fx?mchid=" + MCH_ID


def test_query_reply_with_bad_signature_is_refused(wechat_settings):
    provider, _http = provider_with(signed_reply(200, transaction(), key="stranger"))
    with pytest.raises(VerificationError):
        provider.query(make_payment())


def test_query_reply_altered_after_signing_is_refused(wechat_settings):
    status, headers, body = signed_reply(200, transaction(trade_state="NOTPAY"))
    provider, _http = provider_with((status, headers, body.replace(b"NOTPAY", b"SUCCESS")))
    with pytest.raises(VerificationError):
        provider.query(make_payment())


def test_query_reply_with_unknown_serial_or_stale_timestamp_is_refused(wechat_settings):
    provider, _http = provider_with(
        signed_reply(200, transaction(), serial="SOMEONE_ELSE"),
        signed_reply(200, transaction(), timestamp=int(time.time()) - 3600),
    )
    for _ in range(2):
        with pytest.raises(VerificationError):
            provider.query(make_payment())


def test_query_unsigned_reply_is_refused(wechat_settings):
    body = json.dumps(transaction()).encode()
    provider, _http = provider_with((200, {"content-type": "application/json"}, body))
    with pytest.raises(VerificationError):
        provider.query(make_payment())


def test_query_404_is_not_found(wechat_settings):
    provider, _http = provider_with(signed_reply(404, {"code": "ORDER_NOT_EXIST", "message": "订单不存在"}))
    trade = provider.query(make_payment())
    assert trade.status == GatewayTrade.NOT_FOUND
    assert trade.out_trade_no == "P202601010001"
    assert trade.raw["code"] == "ORDER_NOT_EXIST"


def test_query_404_must_be_signed(wechat_settings):
    provider, _http = provider_with((404, {}, '{"code":"ORDER_NOT_EXIST","message":"订单不存在"}'.encode()))
    with pytest.raises(VerificationError):
        provider.query(make_payment())


def test_query_server_error_is_a_gateway_error(wechat_settings):
    provider, _http = provider_with((500, {}, b'{"code":"SYSTEM_ERROR","message":"system error"}'))
    with pytest.raises(GatewayError, match="SYSTEM_ERROR"):
        provider.query(make_payment())


def test_query_network_error_is_a_gateway_error(wechat_settings, monkeypatch):
    def refuse(request, timeout):
        assert request.full_url == API_BASE + QUERY_PATH
        raise urllib.error.URLError(ConnectionRefusedError("connection refused"))

    monkeypatch.setattr(lib_http, "urlopen", refuse)
    with pytest.raises(GatewayError, match="connection refused"):
        WechatPayProvider().query(make_payment())


def test_real_transport_passes_status_headers_and_body(wechat_settings, monkeypatch):
    status, reply_headers, body = signed_reply(200, transaction())
    seen = {}

    class Response(io.BytesIO):
        status = 200

        def __init__(self, data, headers):
            super().__init__(data)
            self.headers = Message()
            for name, value in headers.items():
                self.headers[name.title()] = value

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    def answer(request, timeout):
        seen["authorization"] = request.get_header("Authorization")
        seen["method"] = request.get_method()
        return Response(body, reply_headers)

    monkeypatch.setattr(lib_http, "urlopen", answer)
    assert WechatPayProvider().query(make_payment()).status == GatewayTrade.SUCCESS
    assert seen["method"] == "GET"
    assert seen["authorization"].startswith("WECHATPAY2-SHA256-RSA2048 ")


def test_real_transport_reads_error_replies(wechat_settings, monkeypatch):
    status, reply_headers, body = signed_reply(404, {"code": "ORDER_NOT_EXIST", "message": "订单不存在"})
    headers = Message()
    for name, value in reply_headers.items():
        headers[name.title()] = value

    def not_found(request, timeout):
        raise urllib.error.HTTPError(request.full_url, 404, "Not Found", headers, io.BytesIO(body))

    monkeypatch.setattr(lib_http, "urlopen", not_found)
    assert WechatPayProvider().query(make_payment()).status == GatewayTrade.NOT_FOUND


# --- refund --------------------------------------------------------------------------------------


def refund_reply(status="SUCCESS"):
    return {
        "refund_id": "50000000382019052709732678859",
        "out_refund_no": "R202601020001",
        "transaction_id": "4200000001202601010000000001",
        "out_trade_no": "P202601010001",
        "channel": "ORIGINAL",
        "user_received_account": "支付用户零钱",
        "create_time": "2026-01-02T10:00:00+08:00",
        "status": status,
        "amount": {"refund": 5000, "total": 12800, "payer_refund": 5000, "currency": "CNY"},
    }


def test_refund_posts_signed_request_in_fen(wechat_settings):
    provider, http = provider_with(signed_reply(200, refund_reply("SUCCESS")))
    result = provider.refund(make_payment(), refund_no="R202601020001", amount=Decimal("50.00"), reason="学员退课")

    call = http.calls[0]
    assert (call.method, call.url) == ("POST", API_BASE + "/v3/refund/domestic/refunds")
    assert http.json() == {
        "out_trade_no": "P202601010001",
        "out_refund_no": "R202601020001",
        "reason": "学员退课",
        "amount": {"refund": 5000, "total": 12800, "currency": "CNY"},
    }
    assert_signed_by_merchant(call, "/v3/refund/domestic/refunds")
    assert (result.succeeded, result.pending) == (True, False)
    assert result.refund_no == "R202601020001"
    assert result.gateway_refund_no == "50000000382019052709732678859"


@pytest.mark.parametrize(
    ("status", "succeeded", "pending"),
    [("SUCCESS", True, False), ("PROCESSING", True, True), ("CLOSED", False, False), ("ABNORMAL", False, False)],
)
def test_refund_status_mapping(wechat_settings, status, succeeded, pending):
    provider, _http = provider_with(signed_reply(200, refund_reply(status)))
    result = provider.refund(make_payment(), refund_no="R1", amount=Decimal("0.01"), reason="")
    assert (result.succeeded, result.pending) == (succeeded, pending)
    assert "reason" not in provider._http.json()
    assert provider._http.json()["amount"]["refund"] == 1


def test_refund_refused_with_verified_4xx_is_not_succeeded(wechat_settings):
    provider, _http = provider_with(signed_reply(403, {"code": "NOT_ENOUGH", "message": "基本账户余额不足"}))
    result = provider.refund(make_payment(), refund_no="R1", amount=Decimal("50.00"), reason="")
    assert (result.succeeded, result.pending) == (False, False)
    assert result.raw["code"] == "NOT_ENOUGH"


@pytest.mark.parametrize(
    "reply",
    [
        (500, {}, b'{"code":"SYSTEM_ERROR","message":"x"}'),
        (429, {}, b'{"code":"FREQUENCY_LIMITED","message":"x"}'),
    ],
)
def test_refund_server_error_or_rate_limit_is_a_gateway_error(wechat_settings, reply):
    provider, _http = provider_with(reply)
    with pytest.raises(GatewayError):
        provider.refund(make_payment(), refund_no="R1", amount=Decimal("50.00"), reason="")


def test_refund_unsigned_4xx_is_refused(wechat_settings):
    provider, _http = provider_with((400, {}, b'{"code":"PARAM_ERROR","message":"x"}'))
    with pytest.raises(VerificationError):
        provider.refund(make_payment(), refund_no="R1", amount=Decimal("50.00"), reason="")


def test_refund_three_place_amount_is_refused_before_sending(wechat_settings):
    provider, http = provider_with()
    with pytest.raises(ValueError):
        provider.refund(make_payment(), refund_no="R1", amount=Decimal("1.001"), reason="")
    assert http.calls == []


# --- configuration and secrets -------------------------------------------------------------------

ALL_SETTINGS = (
    "WECHAT_APP_ID",
    "WECHAT_MCH_ID",
    "WECHAT_MCH_PRIVATE_KEY",
    "WECHAT_MCH_SERIAL",
    "WECHAT_API_V3_KEY",
    "WECHAT_PLATFORM_PUBLIC_KEY",
    "WECHAT_PLATFORM_SERIAL",
)


def test_identity_comes_from_settings(wechat_settings):
    provider = WechatPayProvider()
    assert (provider.name, provider.verbose_name) == ("wechat", "微信支付")
    assert (provider.app_id, provider.merchant_id) == (APP_ID, MCH_ID)
    assert provider.is_configured()


def test_not_configured_names_missing_settings(settings):
    for name in (*ALL_SETTINGS, "WECHAT_API_BASE"):
        if hasattr(settings, name):
            delattr(settings, name)
    settings.WECHAT_MCH_ID = MCH_ID
    settings.WECHAT_API_V3_KEY = ""
    provider = WechatPayProvider()
    assert provider.is_configured() is False
    for call in (
        lambda: provider.start(make_payment(), subject="课程", return_url="", notify_url=""),
        lambda: provider.parse_notification(b"{}", {}),
        lambda: provider.query(make_payment()),
        lambda: provider.refund(make_payment(), refund_no="R1", amount=Decimal("1.00"), reason=""),
    ):
        with pytest.raises(ImproperlyConfigured) as info:
            call()
        message = str(info.value)
        for name in ALL_SETTINGS:
            assert (name in message) == (name != "WECHAT_MCH_ID"), name


def test_api_base_must_be_https_and_defaults_to_wechat(wechat_settings):
    wechat_settings.WECHAT_API_BASE = "http://api.mch.weixin.qq.com"
    with pytest.raises(ImproperlyConfigured, match="WECHAT_API_BASE"):
        WechatPayProvider().query(make_payment())
    del wechat_settings.WECHAT_API_BASE
    provider, http = provider_with(signed_reply(200, transaction()))
    provider.query(make_payment())
    assert http.calls[0].url == "https://api.mch.weixin.qq.com" + QUERY_PATH


def test_platform_certificate_pem_is_accepted_as_platform_key(wechat_settings):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509.oid import NameOID

    key = keys.private_key("wechat-platform")
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tenpay.com Root CA")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(0x3775B6A45ACA4C67A2F8E1B6A1D5E09E)
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    wechat_settings.WECHAT_PLATFORM_PUBLIC_KEY = certificate.public_bytes(serialization.Encoding.PEM).decode()
    body, headers = notification(encrypt_resource(transaction()))
    assert WechatPayProvider().parse_notification(body, headers).status == GatewayTrade.SUCCESS


def test_no_secret_text_in_exceptions_or_logs(wechat_settings, caplog, monkeypatch):
    caplog.set_level("DEBUG")
    private = keys.private_pem("wechat-merchant")
    body_text = keys.pem_body(private)
    fragments = {body_text[i : i + 16] for i in range(0, len(body_text) - 16, 8)}
    messages = []

    def collect(call, exc_type):
        with pytest.raises(exc_type) as info:
            call()
        exc = info.value
        messages.extend([str(exc), repr(exc), str(exc.__cause__ or ""), str(exc.__context__ or "")])

    body, headers = notification(_flip_ciphertext(encrypt_resource(transaction())))
    collect(lambda: WechatPayProvider().parse_notification(body, headers), VerificationError)
    body, headers = notification(encrypt_resource(transaction()), key="stranger")
    collect(lambda: WechatPayProvider().parse_notification(body, headers), VerificationError)
    provider, _http = provider_with((400, {}, b'{"code":"PARAM_ERROR","message":"' + API_V3_KEY.encode() + b'"}'))
    collect(lambda: provider.start(make_payment(), subject="课程", return_url="", notify_url=""), GatewayError)

    def unreachable(request, timeout):
        raise urllib.error.URLError(ConnectionRefusedError("refused"))

    monkeypatch.setattr(lib_http, "urlopen", unreachable)
    collect(lambda: WechatPayProvider().query(make_payment()), GatewayError)

    wechat_settings.WECHAT_API_V3_KEY = "too-short-" + API_V3_KEY[:8]
    collect(lambda: WechatPayProvider().query(make_payment()), ImproperlyConfigured)
    wechat_settings.WECHAT_API_V3_KEY = API_V3_KEY
    wechat_settings.WECHAT_MCH_PRIVATE_KEY = private.replace("A", "B", 40)
    collect(lambda: WechatPayProvider().query(make_payment()), ImproperlyConfigured)

    assert any("WECHAT_API_V3_KEY" in message for message in messages)
    assert any("WECHAT_MCH_PRIVATE_KEY" in message for message in messages)
    text = "\n".join(messages) + "\n" + caplog.text
    assert API_V3_KEY not in text
    assert API_V3_KEY[:8] not in text
    assert "BEGIN" not in text
    assert not [fragment for fragment in fragments if fragment in text]
