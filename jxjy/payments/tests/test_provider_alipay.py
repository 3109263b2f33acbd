"""Alipay provider: page.pay redirect signing, notification verification, query/refund replies, configuration.

Fixtures are built the way Alipay builds them, signed with test keys from `keys.py`; no database is used.
"""

import datetime
import io
import json
import re
import urllib.error
from decimal import Decimal
from types import SimpleNamespace
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from django.core.exceptions import ImproperlyConfigured

from jxjy.lib import http as lib_http
from jxjy.payments.providers import alipay
from jxjy.payments.providers.alipay import AlipayProvider
from jxjy.payments.providers.base import GatewayError, GatewayTrade, VerificationError

from . import keys

APP_ID = "2021000123456789"
SELLER_ID = "2088102123456789"
GATEWAY = "https://openapi.alipay.com/gateway.do"
BEIJING = datetime.timezone(datetime.timedelta(hours=8))


@pytest.fixture
def alipay_settings(settings):
    settings.ALIPAY_APP_ID = APP_ID
    settings.ALIPAY_PRIVATE_KEY = keys.private_pem("alipay-app")
    settings.ALIPAY_PUBLIC_KEY = keys.public_pem("alipay")
    settings.ALIPAY_SELLER_ID = SELLER_ID
    settings.ALIPAY_GATEWAY = GATEWAY
    return settings


def make_payment(**overrides):
    values = {
        "number": "P202601010001",
        "amount": Decimal("128.00"),
        "expires_at": datetime.datetime(2026, 1, 1, 4, 30, tzinfo=datetime.UTC),
    }
    values.update(overrides)
    return SimpleNamespace(**values)


class FakeGateway:
    """Stands in for AlipayProvider._post: records each call and answers with canned raw bytes."""

    def __init__(self, *replies):
        self.replies = list(replies)
        self.calls = []

    def __call__(self, url, body):
        self.calls.append((url, body))
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return reply.encode("utf-8") if isinstance(reply, str) else reply

    def params(self, index=0):
        url, body = self.calls[index]
        return dict(parse_qsl(body.decode("ascii"), keep_blank_values=True, strict_parsing=True))


def provider_with(*replies):
    provider = AlipayProvider()
    gateway = FakeGateway(*replies)
    provider._post = gateway
    return provider, gateway


def signed_reply(root: str, node_text: str, key: str = "alipay", sign_text: str | None = None) -> str:
    """A reply as Alipay writes it: the member's exact text signed, then `sign` as a sibling member."""
    signature = keys.sign(key, node_text if sign_text is None else sign_text)
    return '{"' + root + '":' + node_text + ',"sign":"' + signature + '"}'


def notification_params(**overrides):
    params = {
        "gmt_create": "2026-01-01 12:00:01",
        "charset": "utf-8",
        "gmt_payment": "2026-01-01 12:00:09",
        "notify_time": "2026-01-01 12:00:10",
        "subject": "继续教育 课程+A&B=1/2",
        "buyer_id": "2088002582656381",
        "body": "",
        "invoice_amount": "128.00",
        "version": "1.0",
        "notify_id": "2026010100222120009123456789",
        "fund_bill_list": '[{"amount":"128.00","fundChannel":"ALIPAYACCOUNT"}]',
        "notify_type": "trade_status_sync",
        "out_trade_no": "P202601010001",
        "total_amount": "128.00",
        "trade_status": "TRADE_SUCCESS",
        "trade_no": "2026010122001456380500000001",
        "auth_app_id": APP_ID,
        "receipt_amount": "128.00",
        "point_amount": "0.00",
        "buyer_pay_amount": "128.00",
        "app_id": APP_ID,
        "sign_type": "RSA2",
        "seller_id": SELLER_ID,
    }
    params.update(overrides)
    return params


def signed_notification(key="alipay", **overrides) -> tuple[dict, bytes]:
    params = notification_params(**overrides)
    params["sign"] = keys.sign(key, keys.alipay_sign_string(params, exclude=("sign", "sign_type")))
    return params, urlencode(params).encode("ascii")


# --- sign string ---------------------------------------------------------------------------------


def test_sign_content_sorts_skips_empty_and_keeps_raw_values():
    params = {"b": "2", "a": "x y&z=1", "sign": "S", "c": "", "biz_content": '{"k":"继续"}', "A": "upper"}
    assert alipay.sign_content(params) == 'A=upper&a=x y&z=1&b=2&biz_content={"k":"继续"}'
    assert alipay.sign_content(params) == keys.alipay_sign_string(params)
    assert alipay.sign_content(params, exclude=("sign", "b")) == keys.alipay_sign_string(params, exclude=("sign", "b"))


# --- start (alipay.trade.page.pay) ---------------------------------------------------------------


def test_start_redirects_to_gateway_with_params_signed_by_app_key(alipay_settings):
    before = datetime.datetime.now(BEIJING).replace(microsecond=0, tzinfo=None)
    result = AlipayProvider().start(
        make_payment(),
        subject="机关工勤继续教育 2026 年度课程",
        return_url="https://jxjy.example.cn/pay/return/",
        notify_url="https://jxjy.example.cn/pay/notify/alipay/",
    )
    after = datetime.datetime.now(BEIJING).replace(tzinfo=None)

    assert result.qr_code_text is None
    url = urlsplit(result.redirect_url)
    assert f"{url.scheme}://{url.netloc}{url.path}" == GATEWAY
    params = dict(parse_qsl(url.query, keep_blank_values=True, strict_parsing=True))
    assert len(params) == url.query.count("&") + 1  # nothing repeated
    assert params["app_id"] == APP_ID
    assert params["method"] == "alipay.trade.page.pay"
    assert params["format"] == "JSON"
    assert params["charset"] == "utf-8"
    assert params["sign_type"] == "RSA2"
    assert params["version"] == "1.0"
    assert params["notify_url"] == "https://jxjy.example.cn/pay/notify/alipay/"
    assert params["return_url"] == "https://jxjy.example.cn/pay/return/"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", params["timestamp"])
    assert before <= datetime.datetime.strptime(params["timestamp"], "%Y-%m-%d %H:%M:%S") <= after

    biz = json.loads(params["biz_content"])
    assert biz == {
        "out_trade_no": "P202601010001",
        "product_code": "FAST_INSTANT_TRADE_PAY",
        "total_amount": "128.00",
        "subject": "机关工勤继续教育 2026 年度课程",
        "time_expire": "2026-01-01 12:30:00",  # 04:30 UTC is 12:30 in Beijing
    }
    assert "继续教育" in params["biz_content"]  # UTF-8 text, not \u escapes

    string_to_sign = keys.alipay_sign_string(params)
    assert "sign_type=RSA2" in string_to_sign  # only `sign` is left out of a request's signature
    assert keys.verify("alipay-app", string_to_sign, params["sign"])
    assert not keys.verify("alipay", string_to_sign, params["sign"])


@pytest.mark.parametrize(
    ("amount", "text"), [(Decimal("0.01"), "0.01"), (Decimal("5"), "5.00"), (Decimal("99.9"), "99.90")]
)
def test_start_formats_amount_with_two_places(alipay_settings, amount, text):
    result = AlipayProvider().start(make_payment(amount=amount), subject="课程", return_url="", notify_url="")
    params = dict(parse_qsl(urlsplit(result.redirect_url).query))
    assert json.loads(params["biz_content"])["total_amount"] == text
    assert "return_url" not in params and "notify_url" not in params  # empty values are not sent


@pytest.mark.parametrize("amount", [Decimal("0.001"), Decimal("12.345"), Decimal("0"), Decimal("-1.00"), 1.5])
def test_start_refuses_amounts_it_cannot_send_exactly(alipay_settings, amount):
    with pytest.raises(ValueError):
        AlipayProvider().start(make_payment(amount=amount), subject="课程", return_url="", notify_url="")


def test_start_replaces_characters_alipay_refuses_in_subject(alipay_settings):
    result = AlipayProvider().start(make_payment(), subject="课程A/B=C&D", return_url="", notify_url="")
    params = dict(parse_qsl(urlsplit(result.redirect_url).query))
    assert json.loads(params["biz_content"])["subject"] == "课程A B C D"


def test_start_accepts_gateway_with_query_and_sandbox(alipay_settings):
    alipay_settings.ALIPAY_GATEWAY = "https://openapi-sandbox.dl.alipaydev.com/gateway.do?charset=utf-8"
    result = AlipayProvider().start(make_payment(), subject="课程", return_url="", notify_url="")
    assert result.redirect_url.startswith("https://openapi-sandbox.dl.alipaydev.com/gateway.do?charset=utf-8&")


def test_start_without_expiry_sends_no_time_expire(alipay_settings):
    result = AlipayProvider().start(make_payment(expires_at=None), subject="课程", return_url="", notify_url="")
    params = dict(parse_qsl(urlsplit(result.redirect_url).query))
    assert "time_expire" not in json.loads(params["biz_content"])


# --- notifications -------------------------------------------------------------------------------


def test_notification_signed_by_alipay_parses(alipay_settings):
    params, body = signed_notification()
    trade = AlipayProvider().parse_notification(body, {"content-type": "application/x-www-form-urlencoded"})
    assert trade == GatewayTrade(
        out_trade_no="P202601010001",
        trade_no="2026010122001456380500000001",
        amount=Decimal("128.00"),
        status=GatewayTrade.SUCCESS,
        app_id=APP_ID,
        merchant_id=SELLER_ID,
        raw=params,
    )
    assert trade.raw["subject"] == "继续教育 课程+A&B=1/2"  # URL-decoded before verifying


@pytest.mark.parametrize(
    ("trade_status", "status"),
    [
        ("TRADE_SUCCESS", GatewayTrade.SUCCESS),
        ("TRADE_FINISHED", GatewayTrade.SUCCESS),
        ("WAIT_BUYER_PAY", GatewayTrade.PENDING),
        ("TRADE_CLOSED", GatewayTrade.CLOSED),
    ],
)
def test_notification_trade_status_mapping(alipay_settings, trade_status, status):
    _params, body = signed_notification(trade_status=trade_status)
    assert AlipayProvider().parse_notification(body, {}).status == status


def test_notification_amount_is_exact_decimal(alipay_settings):
    _params, body = signed_notification(total_amount="0.01")
    amount = AlipayProvider().parse_notification(body, {}).amount
    assert amount == Decimal("0.01")
    assert str(amount) == "0.01"


def test_notification_signed_by_another_key_is_refused(alipay_settings):
    _params, body = signed_notification(key="stranger")
    with pytest.raises(VerificationError):
        AlipayProvider().parse_notification(body, {})


def test_notification_signed_by_our_own_app_key_is_refused(alipay_settings):
    _params, body = signed_notification(key="alipay-app")
    with pytest.raises(VerificationError):
        AlipayProvider().parse_notification(body, {})


@pytest.mark.parametrize("sign", [None, "", "not base64 at all!", "QUJD"])
def test_notification_missing_empty_or_garbage_sign_is_refused(alipay_settings, sign):
    params, _body = signed_notification()
    if sign is None:
        del params["sign"]
    else:
        params["sign"] = sign
    with pytest.raises(VerificationError):
        AlipayProvider().parse_notification(urlencode(params).encode(), {})


@pytest.mark.parametrize(
    ("field", "value"),
    [("total_amount", "0.01"), ("trade_status", "TRADE_SUCCESS "), ("out_trade_no", "P202601010002"), ("x", "1")],
)
def test_notification_altered_after_signing_is_refused(alipay_settings, field, value):
    params, _body = signed_notification(trade_status="WAIT_BUYER_PAY")
    params[field] = value
    with pytest.raises(VerificationError):
        AlipayProvider().parse_notification(urlencode(params).encode(), {})


def test_notification_with_repeated_parameter_is_refused(alipay_settings):
    _params, body = signed_notification()
    with pytest.raises(VerificationError):
        AlipayProvider().parse_notification(b"total_amount=0.01&" + body, {})  # the signed value comes last


def test_notification_with_other_sign_type_is_refused(alipay_settings):
    params, _body = signed_notification()
    params["sign_type"] = "RSA"
    with pytest.raises(VerificationError):
        AlipayProvider().parse_notification(urlencode(params).encode(), {})


def test_notification_sign_type_is_not_part_of_the_signed_string(alipay_settings):
    params = notification_params()
    params["sign"] = keys.sign("alipay", keys.alipay_sign_string(params, exclude=("sign",)))
    with pytest.raises(VerificationError):
        AlipayProvider().parse_notification(urlencode(params).encode(), {})


def test_notification_that_is_not_form_data_is_refused(alipay_settings):
    with pytest.raises(VerificationError):
        AlipayProvider().parse_notification(b"\xff\xfe", {})
    with pytest.raises(VerificationError):
        AlipayProvider().parse_notification(b"", {})


def test_reply_bytes_are_exactly_success_or_failure():
    provider = AlipayProvider()
    accepted = provider.reply(True)
    assert (accepted.status, accepted.body, accepted.content_type) == (200, b"success", "text/plain")
    refused = provider.reply(False, "签名错误")
    assert (refused.status, refused.body, refused.content_type) == (200, b"failure", "text/plain")


# --- query ---------------------------------------------------------------------------------------

QUERY_NODE = (
    '{"code":"10000","msg":"Success","buyer_logon_id":"158****1562","buyer_pay_amount":"128.00",'
    '"out_trade_no":"P202601010001","point_amount":"0.00","receipt_amount":"128.00",'
    '"send_pay_date":"2026-01-01 12:00:09","total_amount":"128.00",'
    '"trade_no":"2026010122001456380500000001","trade_status":"TRADE_SUCCESS"}'
)


def test_query_posts_signed_request_and_verifies_reply(alipay_settings):
    provider, gateway = provider_with(signed_reply("alipay_trade_query_response", QUERY_NODE))
    trade = provider.query(make_payment())

    assert trade.status == GatewayTrade.SUCCESS
    assert trade.amount == Decimal("128.00")
    assert trade.out_trade_no == "P202601010001"
    assert trade.trade_no == "2026010122001456380500000001"
    assert trade.app_id == APP_ID
    assert trade.merchant_id == SELLER_ID
    assert trade.raw["buyer_logon_id"] == "158****1562"

    url, _body = gateway.calls[0]
    assert url == GATEWAY
    params = gateway.params()
    assert params["method"] == "alipay.trade.query"
    assert params["app_id"] == APP_ID
    assert json.loads(params["biz_content"]) == {"out_trade_no": "P202601010001"}
    assert keys.verify("alipay-app", keys.alipay_sign_string(params), params["sign"])


def test_query_verifies_the_exact_reply_text_not_a_reserialisation(alipay_settings):
    # Spaces, \u escapes, an escaped slash and a raw Chinese character: json.dumps(json.loads(...)) differs.
    node = (
        '{ "code" : "10000", "msg": "Success", "subject": "\\u7ee7\\u7eed\\u6559\\u80b2 课程",'
        '\n  "out_trade_no": "P202601010001", "total_amount": "0.01", "buyer_logon_id": "a\\/b",'
        ' "trade_no": "2026010122001456380500000002", "trade_status": "WAIT_BUYER_PAY" }'
    )
    parsed = json.loads(node)
    assert json.dumps(parsed, separators=(",", ":")) != node
    assert json.dumps(parsed, ensure_ascii=False) != node
    # `sign` first, whitespace around everything: only the member's own text is signed.
    reply = '{\n  "sign" : "' + keys.sign("alipay", node) + '",\n  "alipay_trade_query_response" :  ' + node + "\n}\n"

    provider, _gateway = provider_with(reply)
    trade = provider.query(make_payment())
    assert trade.status == GatewayTrade.PENDING
    assert trade.amount == Decimal("0.01")
    assert trade.raw["subject"] == "继续教育 课程"


def test_query_reply_signed_over_a_reserialisation_is_refused(alipay_settings):
    node = '{ "code": "10000", "msg": "Success", "out_trade_no": "P202601010001", "total_amount": "128.00",' + (
        ' "trade_no": "1", "trade_status": "TRADE_SUCCESS" }'
    )
    compact = json.dumps(json.loads(node), separators=(",", ":"))
    provider, _gateway = provider_with(signed_reply("alipay_trade_query_response", node, sign_text=compact))
    with pytest.raises(VerificationError):
        provider.query(make_payment())


def test_query_reply_with_bad_signature_is_refused(alipay_settings):
    provider, _gateway = provider_with(signed_reply("alipay_trade_query_response", QUERY_NODE, key="stranger"))
    with pytest.raises(VerificationError):
        provider.query(make_payment())


def test_query_reply_altered_after_signing_is_refused(alipay_settings):
    reply = signed_reply("alipay_trade_query_response", QUERY_NODE).replace('"128.00"', '"1.00"')
    provider, _gateway = provider_with(reply)
    with pytest.raises(VerificationError):
        provider.query(make_payment())


def test_query_reply_with_two_response_members_is_refused(alipay_settings):
    forged = QUERY_NODE.replace("TRADE_SUCCESS", "TRADE_CLOSED")
    reply = signed_reply("alipay_trade_query_response", QUERY_NODE)[:-1] + ',"alipay_trade_query_response":' + forged
    provider, _gateway = provider_with(reply + "}")
    with pytest.raises(GatewayError):
        provider.query(make_payment())


def test_unsigned_success_reply_is_refused(alipay_settings):
    provider, _gateway = provider_with('{"alipay_trade_query_response":' + QUERY_NODE + "}")
    with pytest.raises(VerificationError):
        provider.query(make_payment())


def test_query_trade_not_exist_is_not_found(alipay_settings):
    node = (
        '{"code":"40004","msg":"Business Failed","sub_code":"ACQ.TRADE_NOT_EXIST",'
        '"sub_msg":"交易不存在","buyer_pay_amount":"0.00","invoice_amount":"0.00"}'
    )
    provider, _gateway = provider_with(signed_reply("alipay_trade_query_response", node))
    trade = provider.query(make_payment())
    assert trade.status == GatewayTrade.NOT_FOUND
    assert trade.out_trade_no == "P202601010001"
    assert trade.trade_no == ""


def test_query_not_found_must_be_signed(alipay_settings):
    node = '{"code":"40004","msg":"Business Failed","sub_code":"ACQ.TRADE_NOT_EXIST","sub_msg":"交易不存在"}'
    provider, _gateway = provider_with(signed_reply("alipay_trade_query_response", node, key="stranger"))
    with pytest.raises(VerificationError):
        provider.query(make_payment())


def test_query_unsigned_error_reply_is_a_gateway_error(alipay_settings):
    node = '{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.invalid-app-id","sub_msg":"无效的AppID参数"}'
    provider, _gateway = provider_with('{"alipay_trade_query_response":' + node + "}")
    with pytest.raises(GatewayError, match="40002"):
        provider.query(make_payment())


def test_query_error_response_root_is_a_gateway_error(alipay_settings):
    provider, _gateway = provider_with('{"error_response":{"code":"40002","msg":"Invalid Arguments"}}')
    with pytest.raises(GatewayError):
        provider.query(make_payment())


def test_query_other_business_failure_is_a_gateway_error(alipay_settings):
    node = '{"code":"20000","msg":"Service Currently Unavailable","sub_code":"aop.unknow-error"}'
    provider, _gateway = provider_with(signed_reply("alipay_trade_query_response", node))
    with pytest.raises(GatewayError):
        provider.query(make_payment())


@pytest.mark.parametrize("raw", ["", "<html>502 Bad Gateway</html>", "[]", '{"a":1} trailing', b"\xff\xfe"])
def test_query_unreadable_reply_is_a_gateway_error(alipay_settings, raw):
    provider, _gateway = provider_with(raw)
    with pytest.raises(GatewayError):
        provider.query(make_payment())


def test_query_network_error_is_a_gateway_error(alipay_settings, monkeypatch):
    def refuse(request, timeout):
        assert request.full_url == GATEWAY
        assert request.get_method() == "POST"
        assert timeout == alipay.TIMEOUT_SECONDS
        raise urllib.error.URLError(TimeoutError("timed out"))

    monkeypatch.setattr(lib_http, "urlopen", refuse)
    with pytest.raises(GatewayError, match="timed out"):
        AlipayProvider().query(make_payment())


def test_query_http_error_status_is_a_gateway_error(alipay_settings, monkeypatch):
    def bad_gateway(request, timeout):
        raise urllib.error.HTTPError(GATEWAY, 502, "Bad Gateway", {}, io.BytesIO(b"<html/>"))

    monkeypatch.setattr(lib_http, "urlopen", bad_gateway)
    with pytest.raises(GatewayError, match="502"):
        AlipayProvider().query(make_payment())


def test_real_transport_returns_reply_bytes(alipay_settings, monkeypatch):
    reply = signed_reply("alipay_trade_query_response", QUERY_NODE).encode()
    seen = {}

    class Response(io.BytesIO):
        status = 200
        headers = {}

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    def answer(request, timeout):
        seen["body"] = request.data
        seen["content_type"] = request.get_header("Content-type")
        return Response(reply)

    monkeypatch.setattr(lib_http, "urlopen", answer)
    assert AlipayProvider().query(make_payment()).status == GatewayTrade.SUCCESS
    assert seen["content_type"] == "application/x-www-form-urlencoded; charset=utf-8"
    assert b"method=alipay.trade.query" in seen["body"]


# --- refund --------------------------------------------------------------------------------------


def refund_node(**fields):
    node = {
        "code": "10000",
        "msg": "Success",
        "buyer_logon_id": "158****1562",
        "fund_change": "Y",
        "out_trade_no": "P202601010001",
        "refund_fee": "50.00",
        "trade_no": "2026010122001456380500000001",
    }
    node.update(fields)
    return json.dumps(node, ensure_ascii=False, separators=(",", ":"))


def test_refund_sends_signed_request_with_refund_params(alipay_settings):
    provider, gateway = provider_with(signed_reply("alipay_trade_refund_response", refund_node()))
    result = provider.refund(make_payment(), refund_no="R202601020001", amount=Decimal("50.00"), reason="学员退课")

    params = gateway.params()
    assert params["method"] == "alipay.trade.refund"
    assert params["app_id"] == APP_ID
    assert json.loads(params["biz_content"]) == {
        "out_trade_no": "P202601010001",
        "refund_amount": "50.00",
        "out_request_no": "R202601020001",
        "refund_reason": "学员退课",
    }
    assert keys.verify("alipay-app", keys.alipay_sign_string(params), params["sign"])
    assert result.succeeded is True
    assert result.pending is False
    assert result.refund_no == "R202601020001"
    assert result.gateway_refund_no == "2026010122001456380500000001"
    assert result.raw["refund_fee"] == "50.00"


def test_refund_accepted_without_fund_change_is_pending(alipay_settings):
    provider, _gateway = provider_with(signed_reply("alipay_trade_refund_response", refund_node(fund_change="N")))
    result = provider.refund(make_payment(), refund_no="R1", amount=Decimal("50.00"), reason="")
    assert (result.succeeded, result.pending) == (True, True)


def test_refund_refused_by_alipay_is_not_succeeded(alipay_settings):
    node = '{"code":"40004","msg":"Business Failed","sub_code":"ACQ.TRADE_STATUS_ERROR","sub_msg":"交易状态不合法"}'
    provider, _gateway = provider_with(signed_reply("alipay_trade_refund_response", node))
    result = provider.refund(make_payment(), refund_no="R1", amount=Decimal("50.00"), reason="")
    assert (result.succeeded, result.pending, result.gateway_refund_no) == (False, False, "")
    assert result.raw["sub_code"] == "ACQ.TRADE_STATUS_ERROR"


def test_refund_system_error_is_a_gateway_error(alipay_settings):
    node = '{"code":"40004","msg":"Business Failed","sub_code":"ACQ.SYSTEM_ERROR","sub_msg":"系统错误"}'
    provider, _gateway = provider_with(signed_reply("alipay_trade_refund_response", node))
    with pytest.raises(GatewayError):
        provider.refund(make_payment(), refund_no="R1", amount=Decimal("50.00"), reason="")


def test_refund_reply_with_bad_signature_is_refused(alipay_settings):
    provider, _gateway = provider_with(signed_reply("alipay_trade_refund_response", refund_node(), key="stranger"))
    with pytest.raises(VerificationError):
        provider.refund(make_payment(), refund_no="R1", amount=Decimal("50.00"), reason="")


def test_refund_amount_with_three_places_is_refused_before_sending(alipay_settings):
    provider, gateway = provider_with()
    with pytest.raises(ValueError):
        provider.refund(make_payment(), refund_no="R1", amount=Decimal("0.005"), reason="")
    assert gateway.calls == []


# --- configuration and secrets -------------------------------------------------------------------


def test_identity_comes_from_settings(alipay_settings):
    provider = AlipayProvider()
    assert (provider.name, provider.verbose_name) == ("alipay", "支付宝")
    assert (provider.app_id, provider.merchant_id) == (APP_ID, SELLER_ID)
    assert provider.is_configured()


def test_not_configured_names_missing_settings(settings):
    for name in ("ALIPAY_APP_ID", "ALIPAY_PRIVATE_KEY", "ALIPAY_PUBLIC_KEY", "ALIPAY_SELLER_ID", "ALIPAY_GATEWAY"):
        if hasattr(settings, name):
            delattr(settings, name)
    settings.ALIPAY_PUBLIC_KEY = ""
    provider = AlipayProvider()
    assert provider.is_configured() is False
    assert provider.app_id == ""
    for call in (
        lambda: provider.start(make_payment(), subject="课程", return_url="", notify_url=""),
        lambda: provider.parse_notification(b"a=1", {}),
        lambda: provider.query(make_payment()),
        lambda: provider.refund(make_payment(), refund_no="R1", amount=Decimal("1.00"), reason=""),
    ):
        with pytest.raises(ImproperlyConfigured) as info:
            call()
        message = str(info.value)
        assert "ALIPAY_APP_ID" in message
        assert "ALIPAY_PRIVATE_KEY" in message
        assert "ALIPAY_PUBLIC_KEY" in message
        assert "ALIPAY_SELLER_ID" not in message  # optional


def test_seller_id_is_optional(alipay_settings):
    alipay_settings.ALIPAY_SELLER_ID = ""
    provider = AlipayProvider()
    assert provider.is_configured()
    assert provider.merchant_id == ""


def test_gateway_must_be_https(alipay_settings):
    alipay_settings.ALIPAY_GATEWAY = "http://openapi.alipay.com/gateway.do"
    with pytest.raises(ImproperlyConfigured, match="ALIPAY_GATEWAY"):
        AlipayProvider().start(make_payment(), subject="课程", return_url="", notify_url="")


def test_default_gateway(alipay_settings):
    del alipay_settings.ALIPAY_GATEWAY
    result = AlipayProvider().start(make_payment(), subject="课程", return_url="", notify_url="")
    assert result.redirect_url.startswith("https://openapi.alipay.com/gateway.do?")


def test_keys_in_alipay_tool_formats_are_accepted(alipay_settings):
    # Alipay's key tool prints bare base64 (PKCS#8 private key, SubjectPublicKeyInfo public key); PKCS#1 PEM too.
    alipay_settings.ALIPAY_PRIVATE_KEY = keys.pem_body(keys.private_pem("alipay-app"))
    alipay_settings.ALIPAY_PUBLIC_KEY = keys.pem_body(keys.public_pem("alipay"))
    result = AlipayProvider().start(make_payment(), subject="课程", return_url="", notify_url="")
    params = dict(parse_qsl(urlsplit(result.redirect_url).query))
    assert keys.verify("alipay-app", keys.alipay_sign_string(params), params["sign"])
    _params, body = signed_notification()
    assert AlipayProvider().parse_notification(body, {}).status == GatewayTrade.SUCCESS

    alipay_settings.ALIPAY_PRIVATE_KEY = keys.private_pem("alipay-app", "pkcs1").replace("\n", "\\n")
    result = AlipayProvider().start(make_payment(), subject="课程", return_url="", notify_url="")
    params = dict(parse_qsl(urlsplit(result.redirect_url).query))
    assert keys.verify("alipay-app", keys.alipay_sign_string(params), params["sign"])


def _secret_fragments(*pems):
    """Every 16-character slice of each key's base64 body: none of them may show up anywhere."""
    fragments = set()
    for pem in pems:
        body = keys.pem_body(pem)
        fragments.update(body[i : i + 16] for i in range(0, len(body) - 16, 8))
    return fragments


def test_no_key_text_in_exceptions_or_logs(alipay_settings, caplog, monkeypatch):
    caplog.set_level("DEBUG")
    private = keys.private_pem("alipay-app")
    broken = private.replace("A", "B", 40)
    fragments = _secret_fragments(private, broken)
    messages = []

    def collect(call, exc_type):
        with pytest.raises(exc_type) as info:
            call()
        exc = info.value
        messages.extend([str(exc), repr(exc), str(exc.__cause__ or ""), str(exc.__context__ or "")])

    provider, _gateway = provider_with(signed_reply("alipay_trade_query_response", QUERY_NODE, key="stranger"))
    collect(lambda: provider.query(make_payment()), VerificationError)

    def unreachable(request, timeout):
        raise urllib.error.URLError(ConnectionRefusedError("refused"))

    monkeypatch.setattr(lib_http, "urlopen", unreachable)
    collect(
        lambda: AlipayProvider().refund(make_payment(), refund_no="R1", amount=Decimal("1.00"), reason=""), GatewayError
    )
    _params, body = signed_notification(key="stranger")
    collect(lambda: provider.parse_notification(body, {}), VerificationError)

    alipay_settings.ALIPAY_PRIVATE_KEY = broken
    collect(
        lambda: AlipayProvider().start(make_payment(), subject="课", return_url="", notify_url=""), ImproperlyConfigured
    )
    alipay_settings.ALIPAY_PRIVATE_KEY = keys.public_pem("alipay")  # a public key where a private one belongs
    collect(
        lambda: AlipayProvider().start(make_payment(), subject="课", return_url="", notify_url=""), ImproperlyConfigured
    )
    alipay_settings.ALIPAY_PUBLIC_KEY = (
        "-----BEGIN PUBLIC KEY-----\nc2VjcmV0LWxvb2tpbmctdGV4dA==\n-----END PUBLIC KEY-----"
    )
    alipay_settings.ALIPAY_PRIVATE_KEY = private
    collect(lambda: AlipayProvider().parse_notification(body, {}), ImproperlyConfigured)

    assert any("ALIPAY_PRIVATE_KEY" in message for message in messages)
    assert any("ALIPAY_PUBLIC_KEY" in message for message in messages)
    text = "\n".join(messages) + "\n" + caplog.text
    assert "BEGIN" not in text
    assert "c2VjcmV0LWxvb2tpbmctdGV4dA" not in text
    assert not [fragment for fragment in fragments if fragment in text]
