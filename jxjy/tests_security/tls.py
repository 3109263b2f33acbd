"""A real nginx on 127.0.0.1 with the sample config's TLS directives (deploy/nginx.conf), for the handshake test of
requirement 31. Started in the foreground by the test and stopped by it; a throwaway self-signed certificate."""

import contextlib
import re
import socket
import subprocess
import time


def tls_directives(conf: str) -> list[str]:
    """The `ssl_*` lines of the sample's HTTPS server, without its certificate paths."""
    lines = re.findall(r"^\s*(ssl_[a-z_]+\s+[^;]+;)", conf, re.M)
    return [line for line in lines if not line.startswith(("ssl_certificate ", "ssl_certificate_key "))]


def handshake(port: int, flag: str) -> bool:
    """Whether `openssl s_client` completes a handshake with the given protocol flag. SECLEVEL=0 lets the client
    itself offer TLS 1.1 (OpenSSL 3 refuses to by default), so a refusal is the server's."""
    result = subprocess.run(
        ["openssl", "s_client", flag, "-cipher", "DEFAULT@SECLEVEL=0", "-connect", f"127.0.0.1:{port}",
         "-servername", "jxjy.example.cn"],
        input="", capture_output=True, text=True, timeout=20,
    )  # fmt: skip
    return result.returncode == 0 and "Cipher is (NONE)" not in result.stdout


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def nginx_with(tmp_path, directives: list[str]):
    """nginx serving TLS on a free local port with `directives`; yields the port."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    if not cert.exists():
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=jxjy.example.cn",
             "-keyout", str(key), "-out", str(cert)],
            capture_output=True, check=True, timeout=60,
        )  # fmt: skip
    port = _free_port()
    temp = tmp_path / f"nginx-{port}"
    temp.mkdir()
    body = "\n        ".join(directives)
    config = temp / "nginx.conf"
    config.write_text(f"""
daemon off;
master_process off;
pid {temp}/nginx.pid;
error_log {temp}/error.log;
events {{}}
http {{
    access_log off;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        {body}
        location / {{ return 200 "ok"; }}
    }}
}}
""")
    process = subprocess.Popen(["nginx", "-c", str(config), "-p", str(temp)], stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"nginx did not start: {process.stderr.read().decode(errors='replace')}")
            time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
