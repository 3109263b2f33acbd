"""A real gunicorn for the tests of what only a real server shows (a dropped connection, a graceful stop): the
project's own deploy/gunicorn.conf.py, one sync worker on a free port, development settings on SQLite in a
directory of the test's own. No database is needed by what these tests request."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def dev_gunicorn(var_dir, *extra_args):
    """(port, process) of a gunicorn started with deploy/gunicorn.conf.py (plus `extra_args`), killed afterwards."""
    port = free_port()
    env = {**os.environ, "DEBUG": "1", "VAR_DIR": str(var_dir), "GUNICORN_BIND": f"127.0.0.1:{port}",
           "GUNICORN_WORKERS": "1"}  # fmt: skip
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    command = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py"), *extra_args]
    process = subprocess.Popen([*command, "jxjy.wsgi"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:  # until a worker answers (the master listens before its worker has loaded Django)
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        yield port, process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
