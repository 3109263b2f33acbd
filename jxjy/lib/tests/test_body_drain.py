"""A body too large to take is answered 413 to a sender that writes it all before reading — as nginx does, having
buffered it — not a broken connection (the "dropped connections" of issue 13's fuzzing). Through a real gunicorn:
Django's test client never drops a connection."""

import socket

import pytest

from .servers import dev_gunicorn


@pytest.fixture
def server(tmp_path):
    with dev_gunicorn(tmp_path) as (port, _process):
        yield port


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
