"""A deploy (gunicorn stopped or reloaded) lets the requests in flight finish (issue 13, item 4): the master gives
each worker `graceful_timeout` (deploy/gunicorn.conf.py, 60 s — as long as nginx waits for an answer) to finish
what it is doing. Here a request is in flight when the stop comes — its body still arriving, as a slow phone
sends it — and it is answered in full once the rest arrives; with no grace the worker is killed and the
connection simply closes."""

import re
import runpy
import signal
import socket
import time

from .servers import ROOT, dev_gunicorn


def test_a_request_in_flight_when_gunicorn_stops_is_answered(tmp_path):
    with dev_gunicorn(tmp_path) as (port, process):
        body = b"x" * 2000
        with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
            sock.sendall(
                b"POST /login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/html\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\n"
                + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
                + body[:1000]
            )
            time.sleep(0.5)  # the worker has the request and waits for the rest of its body
            process.send_signal(signal.SIGTERM)  # systemctl stop / a deploy
            time.sleep(2)  # the stop is under way; the request is still in flight
            sock.sendall(body[1000:])
            reply = b""
            while chunk := sock.recv(65536):
                reply += chunk
        status = reply.split(b"\r\n", 1)[0]
        # Answered in full (the sign-in form refuses a post without its CSRF cookie: any complete answer will do).
        assert status.startswith(b"HTTP/1.1 ") and int(status.split()[1]) < 500, reply[:200]
        process.wait(timeout=30)  # and then the server did stop


def test_the_grace_covers_what_nginx_waits_for_and_systemd_waits_longer():
    config = runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    unit = (ROOT / "deploy" / "jxjy-web.service").read_text()
    nginx_wait = int(re.search(r"^\s*proxy_read_timeout (\d+)s;", nginx, re.M).group(1))  # the server-wide one
    stop_wait = int(re.search(r"^TimeoutStopSec=(\d+)", unit, re.M).group(1))
    assert config["graceful_timeout"] >= nginx_wait
    assert stop_wait > config["graceful_timeout"]  # or systemd kills the workers before their grace ends
    assert config["max_requests"] and config["max_requests_jitter"]  # recycled now and then, not all at once
