"""The load generator of bench/heartbeat_bench.py: closed-loop HTTP clients on threads (no Django here).

Each thread owns one `http.client` connection to 127.0.0.1 and cycles through its own slice of learners, so
one learner's heartbeats never overlap (as in the player, which sends them one at a time, in order). The
connection is kept alive when the server allows it; gunicorn's sync workers close it after every response,
and `http.client` then reconnects on the next request by itself.
"""

import http.client
import json
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field

HOST = "127.0.0.1"  # the only address traffic goes to
REQUEST_TIMEOUT = 30  # seconds, per request
MAX_REQUESTS_PER_THREAD = 1_000_000  # a bound on top of the time limit


@dataclass
class Learner:
    enrollment_id: int
    courseware_id: int
    session_key: str  # the Django session (cookie `sessionid`)
    csrf: str  # the CSRF secret, sent as cookie `csrftoken` and as form field `csrfmiddlewaretoken`
    playback: str = ""  # the playback session id from playback_start
    seq: int = 0
    position: float = 0.0
    last: float = 0.0  # time.monotonic() of the previous heartbeat

    @property
    def cookie(self) -> str:
        return f"sessionid={self.session_key}; csrftoken={self.csrf}"


@dataclass
class Result:
    label: str
    elapsed: float = 0.0
    latencies: list = field(default_factory=list)  # seconds, one per request that got an answer
    statuses: Counter = field(default_factory=Counter)  # HTTP status → count
    failures: Counter = field(default_factory=Counter)  # exception type → count (no answer at all)
    credited: float = 0.0  # seconds the server credited (heartbeats)
    played: float = 0.0  # seconds the clients advanced their positions by (heartbeats)
    not_accepted: int = 0  # 200 answers with accepted=False (would mean a replayed seq)

    @property
    def requests(self) -> int:
        return len(self.latencies) + sum(self.failures.values())

    @property
    def errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if not 200 <= status < 300) + sum(self.failures.values())

    def merge(self, other: "Result") -> None:
        self.latencies.extend(other.latencies)
        self.statuses.update(other.statuses)
        self.failures.update(other.failures)
        self.credited += other.credited
        self.played += other.played
        self.not_accepted += other.not_accepted


class Connection:
    def __init__(self, port: int):
        self.port = port
        self.origin = f"http://{HOST}:{port}"
        self.conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)

    def send(self, method: str, path: str, body: str | None = None, headers: dict | None = None) -> tuple[int, bytes]:
        try:
            self.conn.request(method, path, body=body, headers=headers or {})
            response = self.conn.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()  # the next request opens a new connection
            raise

    def close(self) -> None:
        self.conn.close()


def urlencoded(fields: dict) -> tuple[str, str]:
    """(content type, body) of a URL-encoded form, as the player's URLSearchParams sends it."""
    return "application/x-www-form-urlencoded;charset=UTF-8", urllib.parse.urlencode(fields)


def form_headers(learner: Learner, origin: str, content_type: str) -> dict:
    # CSRF over plain HTTP: the server runs with DEBUG=0, so CSRF_COOKIE_SECURE and SESSION_COOKIE_SECURE are on
    # and a browser would not send these cookies over http://; but we write the Cookie header ourselves, and the
    # server does not look at the flag on the way in. CsrfViewMiddleware then wants the `csrftoken` cookie and the
    # same secret in the form field `csrfmiddlewaretoken` (the player's URLSearchParams sends exactly that).
    # When an Origin header is present it must equal the request's own scheme://host, here http://127.0.0.1:<port>
    # (what a browser's fetch sends); the Referer is only checked on HTTPS requests, so none is needed.
    return {
        "Content-Type": content_type,
        "Cookie": learner.cookie,
        "Origin": origin,
        "Accept": "application/json",  # as the player's fetch
    }


def start_playback(conn: Connection, learner: Learner) -> tuple[int, bytes]:
    """POST playback_start (the player page's first request) and keep the playback session id."""
    content_type, body = urlencoded({"csrfmiddlewaretoken": learner.csrf})
    path = f"/learning/{learner.enrollment_id}/play/{learner.courseware_id}/"
    status, data = conn.send("POST", path, body, form_headers(learner, conn.origin, content_type))
    if status == 200:
        learner.playback = json.loads(data)["session"]
        learner.last = time.monotonic()
    return status, data


def beat(conn: Connection, learner: Learner, result: Result) -> None:
    """One heartbeat: seq + 1, the position advanced by the real time since this learner's previous beat.

    The first beat reports the starting position, as the player does (it beats on the video's "play" event):
    the server banks no time before a "playing" beat, so a first beat already ahead would be a forward jump."""
    now = time.monotonic()
    advance = now - learner.last if learner.seq else 0.0
    learner.last = now
    learner.position += advance
    learner.seq += 1
    content_type, body = urlencoded(
        {
            "csrfmiddlewaretoken": learner.csrf,
            "session": learner.playback,
            "seq": learner.seq,
            "position": f"{learner.position:.2f}",
            "playing": "1",
        }
    )
    start = time.perf_counter()
    try:
        headers = form_headers(learner, conn.origin, content_type)
        status, data = conn.send("POST", "/learning/heartbeat/", body, headers)
    except (OSError, http.client.HTTPException) as exc:
        result.failures[type(exc).__name__] += 1
        return
    result.latencies.append(time.perf_counter() - start)
    result.statuses[status] += 1
    if status == 200:
        reply = json.loads(data)
        if reply.get("accepted"):
            result.credited += reply["credited"]
            result.played += advance
        else:
            result.not_accepted += 1


def get(conn: Connection, path: str, cookie: str | None, result: Result) -> None:
    headers = {"Cookie": cookie} if cookie else {}
    start = time.perf_counter()
    try:
        status, _ = conn.send("GET", path, None, headers)
    except (OSError, http.client.HTTPException) as exc:
        result.failures[type(exc).__name__] += 1
        return
    result.latencies.append(time.perf_counter() - start)
    result.statuses[status] += 1


def run(label: str, port: int, slices: list[list[Learner]], seconds: float, kind: str) -> Result:
    """Closed loop: every thread sends its next request as soon as the previous one is answered, for `seconds`.

    kind: "heartbeat", "healthz" (anonymous) or "healthz-session" (with the learner's session cookie).
    """
    results = [Result(label) for _ in slices]
    ready = threading.Barrier(len(slices) + 1)
    deadline = [0.0]

    def worker(index: int) -> None:
        learners, result = slices[index], results[index]
        conn = Connection(port)
        ready.wait()
        try:
            for n in range(MAX_REQUESTS_PER_THREAD):
                if time.monotonic() >= deadline[0]:
                    break
                learner = learners[n % len(learners)]
                if kind == "heartbeat":
                    beat(conn, learner, result)
                else:
                    get(conn, "/healthz", learner.cookie if kind == "healthz-session" else None, result)
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(len(slices))]
    for thread in threads:
        thread.start()
    deadline[0] = time.monotonic() + seconds
    began = time.perf_counter()
    ready.wait()
    for thread in threads:
        thread.join(timeout=seconds + REQUEST_TIMEOUT + 5)
    total = Result(label, elapsed=time.perf_counter() - began)
    for result in results:
        total.merge(result)
    return total


def start_all(port: int, slices: list[list[Learner]]) -> Counter:
    """playback_start for every learner (untimed, before the measured phase), one thread per slice."""
    outcomes = Counter()
    lock = threading.Lock()

    def worker(learners: list[Learner]) -> None:
        conn = Connection(port)
        try:
            for learner in learners:
                try:
                    status, _ = start_playback(conn, learner)
                except (OSError, http.client.HTTPException) as exc:
                    status = type(exc).__name__
                with lock:
                    outcomes[status] += 1
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, args=(s,), daemon=True) for s in slices]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=REQUEST_TIMEOUT * (max(len(s) for s in slices) + 1))
    return outcomes
