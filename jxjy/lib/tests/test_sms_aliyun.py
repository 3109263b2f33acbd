"""Tests for the Aliyun Dysmsapi back end: signature, request body, error handling, configuration."""

import base64
import datetime
import hashlib
import hmac
import io
import logging
import urllib.error
import uuid
from urllib.parse import parse_qsl

import pytest
from django.core.exceptions import ImproperlyConfigured

from jxjy.lib import http as lib_http
from jxjy.lib.sms import SmsMessage, aliyun
from jxjy.lib.sms.aliyun import SmsBackend, percent_encode, sign, string_to_sign
from jxjy.lib.sms.base import SmsError

SECRET = "s3cr3t-Key/+=value"
MOBILE = "13812345678"
CODE = "482915"

# Documented example of Aliyun SMS "signature mechanism" (help.aliyun.com/document_detail/56189.html):
# a GET SendSms request, AccessKeyId testId, AccessKeySecret testSecret.
DOC_SENDSMS_PARAMS = {
    "AccessKeyId": "testId",
    "Action": "SendSms",
    "Format": "XML",
    "OutId": "123",
    "PhoneNumbers": "15300000001",
    "RegionId": "cn-hangzhou",
    "SignName": "阿里云短信测试专用",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
    "SignatureVersion": "1.0",
    "TemplateCode": "SMS_71390007",
    "TemplateParam": '{"customer":"test"}',
    "Timestamp": "2017-07-12T02:42:19Z",
    "Version": "2017-05-25",
}
DOC_SENDSMS_STRING_TO_SIGN = (
    "GET&%2F&AccessKeyId%3DtestId%26Action%3DSendSms%26Format%3DXML%26OutId%3D123"
    "%26PhoneNumbers%3D15300000001%26RegionId%3Dcn-hangzhou"
    "%26SignName%3D%25E9%2598%25BF%25E9%2587%258C%25E4%25BA%2591%25E7%259F%25AD%25E4%25BF%25A1"
    "%25E6%25B5%258B%25E8%25AF%2595%25E4%25B8%2593%25E7%2594%25A8"
    "%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D45e25e9b-0a6f-4070-8c85-2956eda1b466"
    "%26SignatureVersion%3D1.0%26TemplateCode%3DSMS_71390007"
    "%26TemplateParam%3D%257B%2522customer%2522%253A%2522test%2522%257D"
    "%26Timestamp%3D2017-07-12T02%253A42%253A19Z%26Version%3D2017-05-25"
)
DOC_SENDSMS_SIGNATURE = "zJDF+Lrzhj/ThnlvIToysFRq6t4="

# Documented example of the generic Aliyun RPC signature mechanism (DescribeRegions, GET).
DOC_RPC_PARAMS = {
    "AccessKeyId": "testid",
    "Action": "DescribeRegions",
    "Format": "XML",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
    "SignatureVersion": "1.0",
    "Timestamp": "2016-02-23T12:46:24Z",
    "Version": "2014-05-26",
}
DOC_RPC_SIGNATURE = "OLeaidS1JvxuMvnyHOwuJ+uX5qY="


# --- an independent reference implementation, written from the definition -----------------------

_UNRESERVED = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~"


def reference_encode(value: str) -> str:
    return "".join(chr(b) if b in _UNRESERVED else f"%{b:02X}" for b in value.encode("utf-8"))


def reference_sign(params: dict, secret: str, method: str) -> str:
    query = "&".join(
        reference_encode(k) + "=" + reference_encode(params[k]) for k in sorted(params) if k != "Signature"
    )
    to_sign = method + "&" + reference_encode("/") + "&" + reference_encode(query)
    mac = hmac.new((secret + "&").encode("utf-8"), to_sign.encode("utf-8"), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode("ascii")


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture
def aliyun_settings(settings):
    settings.ALIYUN_SMS_ACCESS_KEY_ID = "LTAI-test-id"
    settings.ALIYUN_SMS_ACCESS_KEY_SECRET = SECRET
    settings.ALIYUN_SMS_SIGN_NAME = "继续教育 平台"
    settings.ALIYUN_SMS_ENDPOINT = "https://dysmsapi.aliyuncs.com/"
    settings.ALIYUN_SMS_TEMPLATES = {"code": "SMS_100001", "notice": "SMS_100002"}
    return settings


class Recorder:
    """Stands in for SmsBackend._post: records each call and answers with a canned reply."""

    def __init__(self, reply):
        self.reply = reply
        self.calls = []

    def __call__(self, url, body):
        self.calls.append((url, body))
        return self.reply


def make_backend(reply):
    backend = SmsBackend()
    recorder = Recorder(reply)
    backend._post = recorder
    return backend, recorder


def code_message(**overrides):
    values = {"mobile": MOBILE, "template": "code", "params": {"code": CODE}, "text": f"验证码 {CODE}"}
    values.update(overrides)
    return SmsMessage(**values)


# --- signature -----------------------------------------------------------------------------------


def test_documented_sendsms_example_string_to_sign_and_signature():
    assert string_to_sign(DOC_SENDSMS_PARAMS, "GET") == DOC_SENDSMS_STRING_TO_SIGN
    assert sign(DOC_SENDSMS_PARAMS, "testSecret", method="GET") == DOC_SENDSMS_SIGNATURE


def test_documented_rpc_example_signature():
    assert sign(DOC_RPC_PARAMS, "testsecret", method="GET") == DOC_RPC_SIGNATURE


def test_default_method_is_post():
    assert string_to_sign(DOC_RPC_PARAMS).startswith("POST&%2F&")
    assert sign(DOC_RPC_PARAMS, "testsecret") == reference_sign(DOC_RPC_PARAMS, "testsecret", "POST")
    assert sign(DOC_RPC_PARAMS, "testsecret") != DOC_RPC_SIGNATURE


def test_existing_signature_parameter_is_ignored():
    with_signature = dict(DOC_SENDSMS_PARAMS, Signature="stale")
    assert sign(with_signature, "testSecret", method="GET") == DOC_SENDSMS_SIGNATURE


@pytest.mark.parametrize(
    ("raw", "encoded"),
    [
        ("a b", "a%20b"),
        ("*", "%2A"),
        ("~", "~"),
        ("+", "%2B"),
        ("-_.", "-_."),
        ("/:=&?", "%2F%3A%3D%26%3F"),
        ('{"code":"1"}', "%7B%22code%22%3A%221%22%7D"),
        ("阿里", "%E9%98%BF%E9%87%8C"),
        ("%7E", "%257E"),
    ],
)
def test_percent_encode_follows_aliyun_rules(raw, encoded):
    assert percent_encode(raw) == encoded
    assert reference_encode(raw) == encoded


def test_signature_matches_independent_computation_on_edge_cases():
    params = {
        "AccessKeyId": "id~with*star",
        "SignName": "继续 教育*平台~",
        "TemplateParam": '{"name":"张 三","note":"a+b*c~d"}',
        "PhoneNumbers": "13800000000",
        "Timestamp": "2026-01-02T03:04:05Z",
        "Zeta": "",
        "alpha": "lower case sorts after upper case",
    }
    for method in ("POST", "GET"):
        assert sign(params, "se cr*et~+", method=method) == reference_sign(params, "se cr*et~+", method)
    assert "%2520" in string_to_sign(params)  # a space is %20 in the query, then encoded once more
    assert "%252A" in string_to_sign(params)
    assert "+" not in string_to_sign(params)


# --- sending -------------------------------------------------------------------------------------


def test_send_posts_expected_signed_form(aliyun_settings):
    backend, recorder = make_backend({"Code": "OK", "Message": "OK", "RequestId": "R-1", "BizId": "B-1"})
    before = datetime.datetime.now(datetime.UTC).replace(microsecond=0)

    backend.send(code_message())

    after = datetime.datetime.now(datetime.UTC)
    assert len(recorder.calls) == 1
    url, body = recorder.calls[0]
    assert url == "https://dysmsapi.aliyuncs.com/"
    assert isinstance(body, bytes)
    text = body.decode("ascii")
    assert "+" not in text  # spaces are %20 and a "+" would be %2B
    fields = dict(parse_qsl(text, keep_blank_values=True, strict_parsing=True))
    assert len(fields) == text.count("&") + 1  # no parameter repeated

    signature = fields.pop("Signature")
    assert set(fields) == {
        "AccessKeyId",
        "Action",
        "Format",
        "PhoneNumbers",
        "RegionId",
        "SignName",
        "SignatureMethod",
        "SignatureNonce",
        "SignatureVersion",
        "TemplateCode",
        "TemplateParam",
        "Timestamp",
        "Version",
    }
    assert fields["AccessKeyId"] == "LTAI-test-id"
    assert fields["Action"] == "SendSms"
    assert fields["Format"] == "JSON"
    assert fields["PhoneNumbers"] == MOBILE
    assert fields["RegionId"] == "cn-hangzhou"
    assert fields["SignName"] == "继续教育 平台"
    assert fields["SignatureMethod"] == "HMAC-SHA1"
    assert fields["SignatureVersion"] == "1.0"
    assert fields["TemplateCode"] == "SMS_100001"
    assert fields["TemplateParam"] == '{"code":"482915"}'
    assert fields["Version"] == "2017-05-25"
    assert uuid.UUID(fields["SignatureNonce"]).version == 4
    stamp = datetime.datetime.strptime(fields["Timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.UTC)
    assert before <= stamp <= after

    assert signature == reference_sign(fields, SECRET, "POST")
    assert SECRET not in text


def test_send_notice_template_keeps_chinese_params_unescaped(aliyun_settings):
    backend, recorder = make_backend({"Code": "OK"})
    backend.send(code_message(template="notice", params={"course": "安全 生产", "hours": "8"}))
    fields = dict(parse_qsl(recorder.calls[0][1].decode("ascii"), strict_parsing=True))
    assert fields["TemplateCode"] == "SMS_100002"
    assert fields["TemplateParam"] == '{"course":"安全 生产","hours":"8"}'
    signature = fields.pop("Signature")
    assert signature == reference_sign(fields, SECRET, "POST")


def test_each_send_uses_a_fresh_nonce(aliyun_settings):
    backend, recorder = make_backend({"Code": "OK"})
    backend.send(code_message())
    backend.send(code_message())
    nonces = {dict(parse_qsl(body.decode("ascii")))["SignatureNonce"] for _, body in recorder.calls}
    assert len(nonces) == 2


def test_custom_endpoint_is_used(aliyun_settings):
    aliyun_settings.ALIYUN_SMS_ENDPOINT = "https://dysmsapi.ap-southeast-1.aliyuncs.com/"
    backend, recorder = make_backend({"Code": "OK"})
    backend.send(code_message())
    assert recorder.calls[0][0] == "https://dysmsapi.ap-southeast-1.aliyuncs.com/"


# --- errors --------------------------------------------------------------------------------------


def test_non_ok_reply_raises_without_leaking_personal_data(aliyun_settings, caplog):
    # Aliyun's Message can echo the string to sign, which contains the phone number and the code.
    reply = {
        "Code": "isv.BUSINESS_LIMIT_CONTROL",
        "Message": f"limit for {MOBILE} code {CODE}",
        "RequestId": "F655A8D5-B967-440B-8683-DAD6FF8DE990",
    }
    backend, _ = make_backend(reply)
    caplog.set_level(logging.DEBUG, logger=aliyun.__name__)

    with pytest.raises(SmsError) as excinfo:
        backend.send(code_message())

    text = str(excinfo.value)
    assert "isv.BUSINESS_LIMIT_CONTROL" in text
    for secret_value in (MOBILE, CODE, SECRET):
        assert secret_value not in text
        assert secret_value not in caplog.text
    assert "isv.BUSINESS_LIMIT_CONTROL" in caplog.text


@pytest.mark.parametrize("reply", [{}, {"Code": "ok"}, {"Code": None}, {"Message": "OK"}])
def test_reply_without_ok_code_is_a_failure(aliyun_settings, reply):
    backend, _ = make_backend(reply)
    with pytest.raises(SmsError):
        backend.send(code_message())


def test_unsafe_error_code_is_not_echoed(aliyun_settings):
    backend, _ = make_backend({"Code": f"bad {MOBILE}\ninjected"})
    with pytest.raises(SmsError) as excinfo:
        backend.send(code_message())
    assert MOBILE not in str(excinfo.value)
    assert "\n" not in str(excinfo.value)


def test_success_log_carries_no_personal_data(aliyun_settings, caplog):
    backend, _ = make_backend({"Code": "OK", "RequestId": "R-9", "BizId": "900619746936498440^0"})
    caplog.set_level(logging.DEBUG, logger=aliyun.__name__)
    backend.send(code_message())
    assert "R-9" in caplog.text
    assert "900619746936498440^0" in caplog.text
    for secret_value in (MOBILE, CODE, SECRET):
        assert secret_value not in caplog.text


# --- configuration -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["ALIYUN_SMS_ACCESS_KEY_ID", "ALIYUN_SMS_ACCESS_KEY_SECRET", "ALIYUN_SMS_SIGN_NAME", "ALIYUN_SMS_ENDPOINT"],
)
@pytest.mark.parametrize("value", ["", "   ", None])
def test_missing_setting_raises_improperly_configured(aliyun_settings, name, value):
    setattr(aliyun_settings, name, value)
    backend, recorder = make_backend({"Code": "OK"})
    with pytest.raises(ImproperlyConfigured) as excinfo:
        backend.send(code_message())
    assert name in str(excinfo.value)
    assert "缺少" in str(excinfo.value)
    assert recorder.calls == []


def test_deleted_setting_raises_improperly_configured(aliyun_settings):
    del aliyun_settings.ALIYUN_SMS_ACCESS_KEY_SECRET
    backend, recorder = make_backend({"Code": "OK"})
    with pytest.raises(ImproperlyConfigured):
        backend.send(code_message())
    assert recorder.calls == []


@pytest.mark.parametrize("templates", [{}, {"code": ""}, {"notice": "SMS_2"}, None])
def test_missing_template_code_raises_improperly_configured(aliyun_settings, templates):
    aliyun_settings.ALIYUN_SMS_TEMPLATES = templates
    backend, recorder = make_backend({"Code": "OK"})
    with pytest.raises(ImproperlyConfigured) as excinfo:
        backend.send(code_message())
    assert "模板" in str(excinfo.value)
    assert recorder.calls == []


def test_plain_http_endpoint_is_refused(aliyun_settings):
    aliyun_settings.ALIYUN_SMS_ENDPOINT = "http://dysmsapi.aliyuncs.com/"
    backend, recorder = make_backend({"Code": "OK"})
    with pytest.raises(ImproperlyConfigured):
        backend.send(code_message())
    assert recorder.calls == []


def test_secret_is_not_in_configuration_errors(aliyun_settings):
    aliyun_settings.ALIYUN_SMS_SIGN_NAME = ""
    with pytest.raises(ImproperlyConfigured) as excinfo:
        SmsBackend().send(code_message())
    assert SECRET not in str(excinfo.value)


# --- the HTTP call itself (urlopen substituted) --------------------------------------------------


class FakeResponse(io.BytesIO):
    status = 200
    headers = {}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def test_post_sends_form_with_timeout(monkeypatch):
    seen = {}

    def fake_urlopen(request, timeout):
        seen.update(
            url=request.full_url,
            method=request.get_method(),
            data=request.data,
            content_type=request.get_header("Content-type"),
            timeout=timeout,
        )
        return FakeResponse(b'{"Code":"OK","RequestId":"R"}')

    monkeypatch.setattr(lib_http, "urlopen", fake_urlopen)
    reply = SmsBackend()._post("https://dysmsapi.aliyuncs.com/", b"a=1&b=2")
    assert reply == {"Code": "OK", "RequestId": "R"}
    assert seen == {
        "url": "https://dysmsapi.aliyuncs.com/",
        "method": "POST",
        "data": b"a=1&b=2",
        "content_type": "application/x-www-form-urlencoded; charset=utf-8",
        "timeout": 5,
    }


def test_post_returns_json_body_of_http_error(monkeypatch):
    def fake_urlopen(request, timeout):
        body = io.BytesIO(b'{"Code":"SignatureDoesNotMatch","Message":"string to sign ...","RequestId":"R"}')
        raise urllib.error.HTTPError(request.full_url, 400, "Bad Request", {}, body)

    monkeypatch.setattr(lib_http, "urlopen", fake_urlopen)
    reply = SmsBackend()._post("https://dysmsapi.aliyuncs.com/", b"a=1")
    assert reply["Code"] == "SignatureDoesNotMatch"


@pytest.mark.parametrize(
    "error",
    [
        urllib.error.URLError(TimeoutError("timed out")),
        urllib.error.URLError(ConnectionRefusedError(111, "Connection refused")),
        TimeoutError("timed out"),
    ],
)
def test_post_network_failure_raises_sms_error(monkeypatch, error):
    def fake_urlopen(request, timeout):
        raise error

    monkeypatch.setattr(lib_http, "urlopen", fake_urlopen)
    with pytest.raises(SmsError):
        SmsBackend()._post("https://dysmsapi.aliyuncs.com/", b"a=1")


@pytest.mark.parametrize("raw", [b"<html>busy</html>", b"[]", b"\xff\xfe"])
def test_post_unreadable_reply_raises_sms_error(monkeypatch, raw):
    monkeypatch.setattr(lib_http, "urlopen", lambda request, timeout: FakeResponse(raw))
    with pytest.raises(SmsError):
        SmsBackend()._post("https://dysmsapi.aliyuncs.com/", b"a=1")


def test_http_error_with_unreadable_body_raises_sms_error(monkeypatch):
    def fake_urlopen(request, timeout):
        raise urllib.error.HTTPError(request.full_url, 502, "Bad Gateway", {}, io.BytesIO(b"gateway"))

    monkeypatch.setattr(lib_http, "urlopen", fake_urlopen)
    with pytest.raises(SmsError) as excinfo:
        SmsBackend()._post("https://dysmsapi.aliyuncs.com/", b"a=1")
    assert "502" in str(excinfo.value)
