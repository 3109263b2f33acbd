"""A body too large to take is answered 413 to a sender that writes it all before reading — as nginx does, having
buffered it — not a broken connection (the "dropped connections" of issue 13's fuzzing). Through a real gunicorn:
Django's test client never drops a connection."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    port = _free_port()
    env = {**os.environ, "DEBUG": "1", "VAR_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)  # no database is touched: the body is refused before sessions are loaded
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-b", f"127.0.0.1:{port}", "-w", "1", "jxjy.wsgi"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert process.poll() is None and time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.1)
    yield port
    process.kill()
    process.wait(timeout=10)


def post_all_then_read(port, size):
    body = b"a" * size
    head = (
        f"POST /login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        f"Accept: text/html\r\nContent-Length: {size}\r\nConnection: close\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head + body)  # before reading anything back, as a proxy that buffered the body does
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    return reply


def test_a_body_over_the_limit_is_a_413_even_to_a_sender_that_writes_it_all_first(server):
    for _ in range(3):
        reply = post_all_then_read(server, 6_000_000)  # over DATA_UPLOAD_MAX_MEMORY_SIZE (5 MB)
        status_line = reply.split(b"\r\n", 1)[0]
        assert status_line == b"HTTP/1.1 413 Request Entity Too Large", status_line
        assert "提交的内容太大".encode() in reply
