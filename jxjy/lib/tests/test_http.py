"""The one outbound HTTPS helper, against a real local TLS server: what is sent, what comes back (error statuses
included), and every way a request can get no usable reply. http:// is refused before a connection is made."""

import datetime
import http.server
import ipaddress
import json
import socket
import ssl
import threading
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.core.exceptions import ImproperlyConfigured

from jxjy.lib import http as lib_http


def self_signed(directory):
    """(certificate path, key path) of a certificate for 127.0.0.1, valid for a day."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        self.do_POST()

    def do_POST(self):
        self.server.seen.append((self.command, self.path))
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == "/echo":
            reply = json.dumps(
                {
                    "method": self.command,
                    "body": body.decode(),
                    "content_type": self.headers.get("Content-Type"),
                    "accept": self.headers.get("Accept"),
                    "authorization": self.headers.get("Authorization"),
                }
            ).encode()
            self._answer(200, reply, {"Wechatpay-Serial": "PUB_KEY_ID_1"})
        elif self.path == "/refused":
            self._answer(403, b'{"code":"NOT_ENOUGH"}', {"Wechatpay-Nonce": "n1"})
        elif self.path == "/moved":
            self._answer(302, b"", {"Location": f"http://127.0.0.1:{self.server.plain_port}/stolen"})
        elif self.path == "/big":
            self._answer(200, b"x" * (lib_http.MAX_REPLY_BYTES + 1), {})
        elif self.path == "/slow":
            time.sleep(1.5)
            self._answer(200, b"{}", {})
        elif self.path == "/garbage":
            self.wfile.write(b"SPEAK FRIEND AND ENTER\r\n\r\n")
        else:
            self._answer(404, b"", {})

    def _answer(self, status, body, headers):
        try:
            self.send_response(status)
            for name, value in {"Content-Type": "application/json", **headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:  # the client gave up (the timeout test)
            pass


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a refused TLS handshake is what one test wants


def serve(server):
    server.seen = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """(https base URL, http base URL, https server, http server, certificate path): one of each on 127.0.0.1."""
    cert_path, key_path = self_signed(tmp_path_factory.mktemp("tls"))
    plain = serve(Server(("127.0.0.1", 0), Handler))
    secure = Server(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    secure.socket = context.wrap_socket(secure.socket, server_side=True)
    serve(secure)
    for server in (plain, secure):
        server.plain_port = plain.server_address[1]
    yield (
        f"https://127.0.0.1:{secure.server_address[1]}",
        f"http://127.0.0.1:{plain.server_address[1]}",
        secure,
        plain,
        cert_path,
    )
    for server in (plain, secure):
        server.shutdown()
        server.server_close()


@pytest.fixture
def trusted(servers, monkeypatch):
    """The https server's base URL, its self-signed certificate trusted as a CA would be in production."""
    base, _plain_base, secure, plain, cert_path = servers
    secure.seen.clear()
    plain.seen.clear()

    def context():
        return ssl.create_default_context(cafile=str(cert_path))

    monkeypatch.setattr(ssl, "_create_default_https_context", context)
    return base


def test_post_form_sends_the_body_and_returns_the_reply(trusted):
    response = lib_http.post_form(trusted + "/echo", b"a=1&b=%E7%BB%A7", timeout=5)
    assert response.status == 200
    assert response.headers["wechatpay-serial"] == "PUB_KEY_ID_1"  # names in lower case
    assert json.loads(response.body) == {
        "method": "POST",
        "body": "a=1&b=%E7%BB%A7",
        "content_type": "application/x-www-form-urlencoded; charset=utf-8",
        "accept": "application/json",
        "authorization": None,
    }


def test_request_carries_method_and_headers(trusted):
    response = lib_http.request("GET", trusted + "/echo", headers={"Authorization": "SCHEME x=1"}, timeout=5)
    assert json.loads(response.body)["method"] == "GET"
    assert json.loads(response.body)["authorization"] == "SCHEME x=1"


def test_an_error_status_is_a_reply_with_its_body(trusted):
    response = lib_http.request("POST", trusted + "/refused", body=b"{}", timeout=5)
    assert (response.status, response.body, response.headers["wechatpay-nonce"]) == (
        403,
        b'{"code":"NOT_ENOUGH"}',
        "n1",
    )


def test_a_redirect_is_not_followed(servers, trusted):
    _base, _plain_base, _secure, plain, _cert = servers
    response = lib_http.request("GET", trusted + "/moved", headers={"Authorization": "SCHEME x=1"}, timeout=5)
    assert response.status == 302
    time.sleep(0.1)
    assert plain.seen == []  # the plain-http target of the redirect never heard from us


def test_plain_http_is_refused_before_connecting(servers):
    _base, plain_base, _secure, plain, _cert = servers
    plain.seen.clear()
    for url in (plain_base + "/echo", "HTTP://127.0.0.1/", "file:///etc/passwd", "ftp://127.0.0.1/"):
        with pytest.raises(ValueError, match="https"):
            lib_http.post_form(url, b"a=1", timeout=5)
    time.sleep(0.1)
    assert plain.seen == []


def test_an_untrusted_certificate_is_no_reply(servers, caplog):
    base = servers[0]  # the system's CAs do not know the self-signed certificate
    with pytest.raises(lib_http.RequestFailed, match="CERTIFICATE_VERIFY_FAILED"):
        lib_http.post_form(base + "/echo", b"a=1", timeout=5)
    assert "POST 127.0.0.1" in caplog.text


@pytest.mark.parametrize(
    "path, reason",
    [("/slow", "timed out"), ("/big", "larger than"), ("/garbage", "BadStatusLine")],
)
def test_no_usable_reply_raises_request_failed(trusted, path, reason):
    started = time.monotonic()
    with pytest.raises(lib_http.RequestFailed, match=reason):
        lib_http.request("GET", trusted + path, timeout=0.5)
    assert time.monotonic() - started < 1.4


def test_an_unreachable_host_is_no_reply():
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(lib_http.RequestFailed, match="ConnectionRefusedError"):
        lib_http.post_form(f"https://127.0.0.1:{port}/", b"a=1", timeout=5)


def test_require_https_names_the_setting_only():
    assert lib_http.require_https("https://openapi.alipay.com/gateway.do", "ALIPAY_GATEWAY").startswith("https://")
    with pytest.raises(ImproperlyConfigured, match="ALIPAY_GATEWAY 必须是 https:// 开头的地址"):
        lib_http.require_https("http://openapi.alipay.com/gateway.do", "ALIPAY_GATEWAY")


@pytest.mark.parametrize(
    "value, shown",
    [
        ("ACQ.TRADE_NOT_EXIST", "ACQ.TRADE_NOT_EXIST"),
        ("900619746936498440^0", "900619746936498440^0"),
        ("13812345678 张三", "?"),
        ("k" * 101, "?"),
        ("", "?"),
        (None, "?"),
    ],
)
def test_safe_token_echoes_only_plain_identifiers(value, shown):
    assert lib_http.safe_token(value) == shown
