"""The fault tests' harness: real processes on free ports, killed by PID, every wait bounded.

- `Stack`: a temporary directory and every process a test starts (killed with SIGKILL, directory removed, at the end
  of the test whatever happens).
- `Service`: one process in its own session (gunicorn's master and workers, Celery's worker and its children share
  it), started by a command and ready when a check says so; `kill()` SIGKILLs the whole group, `start()` again.
- The services: `redis_server`, `gunicorn` (deploy/gunicorn.conf.py: free port, 2 sync workers), `celery_worker`,
  `celery_beat` (the project's schedule, jxjy.tests_faults.beat), and `PostgresCluster` (its own `initdb` cluster).
- `app_environment`: the production-like settings of the app processes (DEBUG off) with the development tools the
  tests need (captcha answer PASSED, the 模拟银行).
- `Browser`: an HTTP client with a cookie jar, like the one a learner's browser keeps.
- Databases: a migrated template on the shared PostgreSQL server, copied into a throwaway database per test.
"""

import base64
import contextlib
import ctypes
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable
from http.cookies import SimpleCookie
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
DATABASE_URL = os.environ.get("DATABASE_URL", "")
REDIS_URL = os.environ.get("REDIS_URL", "")
START_TIMEOUT = 60  # seconds for any process to become ready
REQUEST_TIMEOUT = 15  # seconds for one HTTP request

needs_postgres_and_redis = pytest.mark.skipif(
    not (DATABASE_URL.startswith("postgres") and REDIS_URL and shutil.which("redis-server")),
    reason="needs PostgreSQL (DATABASE_URL), Redis (REDIS_URL) and the redis-server binary",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def wait_for(check: Callable[[], object], timeout: float, what: str, interval: float = 0.1):
    """Poll `check` until it returns something true (returned), or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


# --- Processes -------------------------------------------------------------------------------------------------


try:  # resolved here, not in the forked child (which must not load anything while other threads may hold locks)
    _prctl = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):  # not Linux: the teardown alone cleans up
    _prctl = None


def _die_with_parent() -> None:
    """In the child before exec: SIGKILL it if the test process itself dies (no teardown then), so nothing is left
    running after a killed test run."""
    if _prctl is not None:
        _prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class Service:
    """One process and its children (its own session and process group), with its output in log files."""

    def __init__(self, name: str, command: list[str], env: dict, log_dir: Path, ready: Callable[["Service"], bool]):
        self.name, self.command, self.env, self.ready_check = name, command, env, ready
        self.stdout_path, self.stderr_path = log_dir / f"{name}.out", log_dir / f"{name}.err"
        self.process: subprocess.Popen | None = None
        self.offsets = {}  # each log's size when this start began (readiness by a new log line)

    def start(self, timeout: float = START_TIMEOUT) -> "Service":
        self.offsets = {p: p.stat().st_size if p.exists() else 0 for p in (self.stdout_path, self.stderr_path)}
        with open(self.stdout_path, "ab") as out, open(self.stderr_path, "ab") as err:
            self.process = subprocess.Popen(  # its own session: kill() reaches its children too
                self.command, env=self.env, cwd=ROOT, stdout=out, stderr=err, start_new_session=True,
                preexec_fn=_die_with_parent,
            )  # fmt: skip

        def ready():
            if self.process.poll() is not None:
                raise AssertionError(f"{self.name} exited with {self.process.returncode}:\n{tail(self.stderr_path)}")
            return self.ready_check(self)

        try:
            wait_for(ready, timeout, f"{self.name} to be ready", interval=0.1)
        except AssertionError as exc:
            self.kill()
            raise AssertionError(
                f"{exc}\n{self.name} log:\n{tail(self.stderr_path)}\n{tail(self.stdout_path)}"
            ) from None
        return self

    def new_output(self) -> str:
        """What the process wrote since this start (for a readiness line)."""
        parts = []
        for path, offset in self.offsets.items():
            with contextlib.suppress(OSError), open(path, "rb") as log:
                log.seek(offset)
                parts.append(log.read().decode(errors="replace"))
        return "\n".join(parts)

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def kill(self) -> None:
        """SIGKILL the process and everything in its group (gunicorn's workers, Celery's pool), and reap it."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)
        # Its workers are not our children: wait until the kernel has ended them all (sockets closed).
        wait_for(lambda: not group_alive(self.process.pid), 10, f"{self.name}'s processes to end")

    def restart(self, timeout: float = START_TIMEOUT) -> "Service":
        self.kill()
        return self.start(timeout)


class Stack:
    """A test's temporary directory and processes: `close()` kills every process and removes the directory."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="jxjy-faults-"))
        self.dir.chmod(0o755)
        self.services: list[Service] = []
        self.cleanups: list[Callable[[], None]] = []

    def add(self, service: Service) -> Service:
        self.services.append(service)
        return service

    def close(self) -> None:
        errors = []
        for stop in [*(s.kill for s in reversed(self.services)), *reversed(self.cleanups)]:
            try:
                stop()
            except Exception as exc:  # noqa: BLE001 - every process gets its turn; the first failure is raised after
                errors.append(exc)
        shutil.rmtree(self.dir, ignore_errors=True)
        if errors:
            raise errors[0]


def _http_ok(port: int, path: str = "/healthz") -> bool:
    conn = http.client.HTTPConnection(HOST, port, timeout=2)
    try:
        conn.request("GET", path)
        return conn.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


def _redis_ok(port: int) -> bool:
    import redis

    client = redis.Redis(host=HOST, port=port, socket_connect_timeout=1, socket_timeout=1)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


def redis_server(stack: Stack, port: int | None = None) -> Service:
    """A redis-server that keeps nothing on disk: killed, it comes back empty (everything in it lost)."""
    port = port or free_port()
    command = ["redis-server", "--port", str(port), "--bind", HOST, "--save", "", "--appendonly", "no",
               "--dir", str(stack.dir), "--daemonize", "no"]  # fmt: skip
    service = stack.add(Service(f"redis-{port}", command, os.environ.copy(), stack.dir, lambda s: _redis_ok(port)))
    service.port, service.url = port, f"redis://{HOST}:{port}/0"
    return service


def gunicorn(stack: Stack, env: dict, port: int | None = None, workers: int = 2) -> Service:
    """The app as deployed (deploy/gunicorn.conf.py), bound to a free port with `workers` sync workers; its access
    log goes to `.out`, its error log and the app's log to `.err`."""
    port = port or free_port()
    env = {**env, "GUNICORN_BIND": f"{HOST}:{port}", "GUNICORN_WORKERS": str(workers)}
    command = [str(BIN / "gunicorn"), "-c", str(ROOT / "deploy" / "gunicorn.conf.py"), "--chdir", str(ROOT),
               "jxjy.wsgi:application"]  # fmt: skip
    service = stack.add(Service(f"gunicorn-{port}", command, env, stack.dir, lambda s: _http_ok(port)))
    service.port = port
    return service


def celery_worker(stack: Stack, env: dict) -> Service:
    command = [str(BIN / "celery"), "-A", "jxjy", "worker", "--pool", "solo", "-l", "info", "--without-gossip",
               "--without-mingle", "--without-heartbeat", "-n", f"faults-{secrets.token_hex(3)}@%h"]  # fmt: skip
    return stack.add(Service("celery-worker", command, env, stack.dir, lambda s: " ready." in s.new_output()))


def celery_beat(stack: Stack, env: dict, every: dict[str, float] | None = None) -> Service:
    """Celery beat with the project's CELERY_BEAT_SCHEDULE, kept in memory; `every` shortens some periods."""
    env = {**env, "FAULT_BEAT_EVERY": ",".join(f"{name}={seconds}" for name, seconds in (every or {}).items())}
    command = [str(BIN / "celery"), "-A", "jxjy", "beat", "-l", "info", "-S", "jxjy.tests_faults.beat.Scheduler"]
    return stack.add(Service("celery-beat", command, env, stack.dir, lambda s: "beat: Starting" in s.new_output()))


# --- PostgreSQL --------------------------------------------------------------------------------------------------


def server_url(database: str, base: str = DATABASE_URL) -> str:
    return urllib.parse.urlsplit(base)._replace(path=f"/{database}").geturl()


def _admin(statement: str, name: str, base: str = DATABASE_URL) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(server_url("postgres", base), autocommit=True, connect_timeout=10) as conn:
        conn.execute(sql.SQL(statement).format(sql.Identifier(name)))


def query(url: str, statement: str, params: tuple = ()) -> list[tuple]:
    """Rows of one SQL statement, on a connection of its own (the database as the app left it)."""
    import psycopg

    with psycopg.connect(url, connect_timeout=10) as conn:
        return conn.execute(statement, params).fetchall()


def create_template(env: dict) -> str:
    """A database on the shared server, migrated once for the whole run: each test copies it (CREATE DATABASE …
    TEMPLATE), which takes a fraction of a second where migrating takes several."""
    name = f"jxjy_faults_tpl_{secrets.token_hex(4)}"
    _admin("CREATE DATABASE {}", name)
    try:
        manage(
            {**env, "DATABASE_URL": server_url(name)}, "migrate", "--noinput", "--skip-checks", "-v", "0", timeout=300
        )
    except BaseException:
        drop_database(name)
        raise
    return name


@contextlib.contextmanager
def throwaway_database(template: str):
    """A copy of the migrated template, dropped afterwards (connections still open are ended)."""
    import psycopg
    from psycopg import sql

    name = f"jxjy_faults_{secrets.token_hex(4)}"
    with psycopg.connect(server_url("postgres"), autocommit=True, connect_timeout=10) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template)))
    try:
        yield server_url(name)
    finally:
        drop_database(name)


def can_copy_databases() -> bool:
    return bool(DATABASE_URL.startswith("postgres") and shutil.which("pg_dump") and shutil.which("psql"))


def copy_database(source_url: str, target_url: str) -> None:
    """Schema and data of one database into another (empty) one, on any server: pg_dump | psql."""
    with tempfile.TemporaryFile() as dump:
        subprocess.run(["pg_dump", "--no-owner", "--no-privileges", "-d", source_url], stdout=dump, check=True,
                       timeout=120)  # fmt: skip
        dump.seek(0)
        subprocess.run(["psql", "-q", "-X", "-v", "ON_ERROR_STOP=1", "-d", target_url], stdin=dump, check=True,
                       timeout=120, capture_output=True)  # fmt: skip


def drop_database(name: str) -> None:
    _admin("DROP DATABASE IF EXISTS {} WITH (FORCE)", name)


def _as_postgres(command: list[str]) -> list[str]:
    """initdb and pg_ctl refuse to run as root: run them as the postgres OS user then."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


def postgres_binaries_available() -> bool:
    if not (shutil.which("initdb") and shutil.which("pg_ctl")):
        return False
    return os.geteuid() != 0 or bool(shutil.which("runuser"))


class PostgresCluster:
    """A PostgreSQL cluster of the test's own (initdb in the stack's directory, its own port): stopped and started
    at will without touching the shared server."""

    def __init__(self, stack: Stack):
        self.port = free_port()
        self.dir = stack.dir / "pg"
        self.dir.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self.data, self.log = self.dir / "data", self.dir / "postgres.log"
        self.url = f"postgres://postgres@{HOST}:{self.port}/jxjy"
        stack.cleanups.append(self.kill)
        subprocess.run(_as_postgres(["initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
                                     "--locale=C", "--no-sync"]),  # fmt: skip
                       check=True, timeout=120, capture_output=True)  # fmt: skip

    def _pg_ctl(self, *args: str, timeout: float = 60) -> None:
        subprocess.run(_as_postgres(["pg_ctl", "-D", str(self.data), *args]), check=True, timeout=timeout,
                       capture_output=True)  # fmt: skip

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses={HOST} -c fsync=off -c max_connections=50"
        self._pg_ctl("-o", options, "-l", str(self.log), "-w", "-t", "60", "start", timeout=90)

    def stop_immediately(self) -> None:
        """The database server dies: every connection is cut, nothing is accepted until start()."""
        self._pg_ctl("-m", "immediate", "-w", "-t", "30", "stop")

    def create_database(self) -> None:
        _admin("CREATE DATABASE {}", "jxjy", base=self.url)

    def kill(self) -> None:
        """The end of a test, whatever happened: an immediate stop, else SIGKILL to the postmaster."""
        if not (self.data / "postmaster.pid").exists():
            return
        with contextlib.suppress(subprocess.SubprocessError):
            self.stop_immediately()
            return
        with contextlib.suppress(OSError, ValueError, IndexError):
            pid = int((self.data / "postmaster.pid").read_text().split()[0])
            os.kill(pid, signal.SIGKILL)
            wait_for(lambda: not _alive(pid), 10, "the postmaster to exit")


def group_alive(pgid: int) -> bool:
    """Whether any process of the group is still running (zombies, already ended, do not count)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                return True
    return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (exited, not yet reaped by its parent, init here) counts as gone.
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    return True


# --- The app's environment and management commands ---------------------------------------------------------------

# The app's keys for this run: the data is written and read with the same ones, in every process.
_KEYS = {
    "SECRET_KEY": secrets.token_urlsafe(50),
    "FIELD_ENCRYPTION_KEYS": base64.b64encode(secrets.token_bytes(32)).decode(),
    "BLIND_INDEX_KEY": secrets.token_urlsafe(32),
    "CERTIFICATE_SIGNING_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
    "MOCKBANK_SECRET": secrets.token_urlsafe(32),
}


def app_environment(*, database_url: str, redis_url: str, var_dir: Path, **extra: str) -> dict:
    """Production settings (DEBUG off: no debug pages, hashed static files, HSTS …) served over plain HTTP on
    127.0.0.1, plus the development tools the tests drive the app with: captcha answer PASSED and the 模拟银行."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "DJANGO_ALLOW_ASYNC"))}
    for name in ("REDIS_URL", "CELERY_BROKER_URL"):  # never the suite's own Redis: the test's, or none at all
        inherited.pop(name, None)
    services = {"REDIS_URL": redis_url, "CELERY_BROKER_URL": redis_url} if redis_url else {}
    return {
        **inherited,
        **_KEYS,
        "DJANGO_SETTINGS_MODULE": "jxjy.settings",
        "DATABASE_URL": database_url,
        **services,
        "CACHE_KEY_PREFIX": "jxjy",
        "HEARTBEAT_STATE_PREFIX": "hb:",
        "DEBUG": "0",
        "DEV_TOOLS": "1",
        "PAYMENT_PROVIDERS": "mockbank",
        "SECURE_SSL_REDIRECT": "0",
        "ALLOWED_HOSTS": f"{HOST},localhost",
        "VAR_DIR": str(var_dir),
        "LOGIN_RATE_PER_IP_MINUTE": "1000",
        "LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


def manage(env: dict, *args: str, timeout: float = 120) -> str:
    """Run a management command in the app's environment; returns its output."""
    result = subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env=env, cwd=ROOT, timeout=timeout,
                            capture_output=True, text=True)  # fmt: skip
    if result.returncode:
        raise AssertionError(
            f"manage.py {' '.join(args[:1])} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return result.stdout


def manage_in_background(env: dict, *args: str) -> subprocess.Popen:
    """Start a management command; `finish()` waits for it."""
    return subprocess.Popen([sys.executable, str(ROOT / "manage.py"), *args], env=env, cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip


def finish(process: subprocess.Popen, timeout: float) -> None:
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise
    if process.returncode:
        raise AssertionError(f"{' '.join(process.args[2:3])} failed:\n{output[-3000:]}")


def setup_data(env: dict, call: str) -> dict:
    """Run a function of jxjy.tests_faults.setup_data in the app's environment; returns what it printed."""
    out = manage(env, "shell", "-c", f"from jxjy.tests_faults import setup_data; setup_data.{call}")
    return json.loads(out.split("DATA ", 1)[1].splitlines()[0])


# --- HTTP ---------------------------------------------------------------------------------------------------------


class Response:
    def __init__(self, status: int, headers, body: bytes):
        self.status, self.headers, self.body = status, headers, body

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")

    def json(self):
        return json.loads(self.body)

    @property
    def location(self) -> str:
        return self.headers.get("Location", "")


class Browser:
    """One learner's browser: a cookie jar, the CSRF token sent back with every form, redirects not followed.

    The app runs without DEBUG, so its cookies are marked Secure; a browser would not send them over plain HTTP,
    but the server does not look at the flag on the way in, so the jar sends them (as the benchmark clients do)."""

    def __init__(self, port: int):
        self.port = port
        self.origin = f"http://{HOST}:{port}"
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, *, data: dict | None = None, body: bytes | None = None,
                headers: dict | None = None, timeout: float = REQUEST_TIMEOUT) -> Response:  # fmt: skip
        """One request on a fresh connection. Raises OSError / HTTPException when no answer came (refused, cut)."""
        headers = dict(headers or {})
        if data is not None:
            body = urllib.parse.urlencode({"csrfmiddlewaretoken": self.cookies.get("csrftoken", ""), **data}).encode()
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
            headers.setdefault("Origin", self.origin)  # as a browser's form post or fetch
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn = http.client.HTTPConnection(HOST, self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            content = response.read()
        finally:
            conn.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel.value and morsel["max-age"] != "0":
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        return Response(response.status, response.headers, content)

    def get(self, path: str, **kwargs) -> Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, data: dict, *, json_reply: bool = False, **kwargs) -> Response:
        headers = {"Accept": "application/json"} if json_reply else {}
        return self.request("POST", path, data=data, headers=headers, **kwargs)

    def sign_in(self, id_number: str, password: str) -> None:
        """登录 through the real form (the captcha answer PASSED is accepted with DEV_TOOLS)."""
        self.cookies.clear()
        page = self.get("/login/")
        assert page.status == 200, page.status
        captcha_key = page.text.split('name="captcha_0"', 1)[1].split('value="', 1)[1].split('"', 1)[0]
        reply = self.post("/login/", {"id_number": id_number, "password": password, "captcha_0": captcha_key,
                                      "captcha_1": "PASSED"})  # fmt: skip
        assert reply.status == 302 and "/login/" not in reply.location, (reply.status, reply.text[:500])
        assert "sessionid" in self.cookies
