"""gunicorn for the benchmarks: a free port, start (ready once /healthz answers), stop, the log's tail. Moved here from
bench/heartbeat_bench.py so bench/latency_bench.py serves the app with the very same settings."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import _heartbeat_client as load

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT = 60  # seconds for gunicorn to answer /healthz


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((load.HOST, 0))
        return sock.getsockname()[1]


def start_gunicorn(
    port: int, workers: int, env: dict, log_path: Path, app: str = "jxjy.wsgi:application", chdir: Path = ROOT
) -> subprocess.Popen:
    """gunicorn with `workers` sync workers serving `app` (the platform, or bench/bare's yardstick: the same
    settings for both)."""
    gunicorn = Path(sys.executable).parent / "gunicorn"
    command = [str(gunicorn)] if gunicorn.exists() else [sys.executable, "-m", "gunicorn"]
    command += [app, "--bind", f"{load.HOST}:{port}", "--workers", str(workers), "--worker-class", "sync"]
    command += ["--chdir", str(chdir), "--log-level", "warning", "--no-control-socket"]
    with open(log_path, "ab") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=log, start_new_session=True)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{tail(log_path)}")
        conn = load.Connection(port)
        try:
            status, _ = conn.send("GET", "/healthz")
            if status == 200:
                return process
        except OSError:
            pass
        finally:
            conn.close()
        time.sleep(0.2)
    stop_gunicorn(process)
    raise RuntimeError(f"gunicorn did not answer /healthz within {START_TIMEOUT} s:\n{tail(log_path)}")


def stop_gunicorn(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()  # the master stops its workers
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # its own session, started above
        process.wait(timeout=5)


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def stop_on_sigterm() -> None:
    """A kill cleans up (gunicorn, Celery, the database) as Ctrl-C does: SIGTERM raises KeyboardInterrupt."""

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
