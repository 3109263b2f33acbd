"""Benchmarks for the foundation: personal-data helpers, password hashing and the account pages.

Run with `make bench`. Uses a throw-away SQLite database (or DATABASE_URL if set) and prints figures;
nothing here is a pass/fail test.
"""

import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jxjy.settings")
os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="jxjy-bench-"))
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402

from jxjy.lib import crypto  # noqa: E402
from jxjy.lib.idcard import normalize_id_number  # noqa: E402


def rate(label, function, seconds=1.0):
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        function()
        count += 1
    elapsed = time.perf_counter() - start
    print(f"  {label:<44} {count / elapsed:>12,.0f} /s   {elapsed / count * 1e6:>9,.1f} µs each")


def timed(label, function, repeat=20):
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    print(f"  {label:<44} median {statistics.median(samples) * 1000:>7.1f} ms   p90 "
          f"{sorted(samples)[int(repeat * 0.9) - 1] * 1000:>7.1f} ms")  # fmt: skip


def queries(client, method, path, data=None):
    reset_queries()
    with override_settings(DEBUG=True):
        response = getattr(client, method)(path, data or {})
        count = len(connection.queries)
    return response.status_code, count


def main():
    print(f"database: {connection.vendor}; cache: {settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]}")
    call_command("migrate", verbosity=0)
    call_command("load_demo", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115

    print("\nPersonal-data helpers (one core):")
    rate("身份证号 validation (GB 11643)", lambda: normalize_id_number("11010519491231002X"))
    token = crypto.encrypt("11010519491231002X", "id_number")
    rate("AES-256-GCM encrypt", lambda: crypto.encrypt("11010519491231002X", "id_number"))
    rate("AES-256-GCM decrypt", lambda: crypto.decrypt(token, "id_number"))
    rate("HMAC blind index", lambda: crypto.blind_index("11010519491231002X", "id_number"))

    print("\nPassword hashing (the cost of one sign-in):")
    from django.contrib.auth.hashers import make_password

    timed("Argon2 (Django defaults)", lambda: make_password("Xuexi2026ok"), repeat=10)

    print("\nPages through the full middleware stack, in-process (requests/s on one core):")
    anonymous = Client(HTTP_HOST="127.0.0.1")
    rate("GET /  门户首页", lambda: anonymous.get("/"), seconds=2)
    rate("GET /login/", lambda: anonymous.get("/login/"), seconds=2)
    learner = Client(HTTP_HOST="127.0.0.1")
    learner.post("/login/", {"id_number": "320102199001011232", "password": "Demo1234",
                             "captcha_0": "x", "captcha_1": "PASSED"})  # fmt: skip
    rate("GET /center/  学员中心 (signed in)", lambda: learner.get("/center/"), seconds=2)
    rate("GET /account/settings/ (decrypts ID, mobile)", lambda: learner.get("/account/settings/"), seconds=2)

    def sign_in():
        client = Client(HTTP_HOST="127.0.0.1")
        client.post("/login/", {"id_number": "320102199001011232", "password": "Demo1234",
                                "captcha_0": "x", "captcha_1": "PASSED"})  # fmt: skip

    timed("POST /login/ (captcha + Argon2 + session)", sign_in, repeat=10)

    print("\nQueries per page (must not grow with data):")
    for label, client, path in [
        ("GET /", anonymous, "/"),
        ("GET /login/", anonymous, "/login/"),
        ("GET /center/", learner, "/center/"),
        ("GET /account/settings/", learner, "/account/settings/"),
        ("GET /account/settings/addresses/", learner, "/account/settings/addresses/"),
    ]:
        status, count = queries(client, "get", path)
        print(f"  {label:<44} {count:>3} queries (HTTP {status})")

    print("\nMemory:")
    tracemalloc.start()
    for _ in range(200):
        anonymous.get("/")
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"  200 × GET /: traced Python memory now {current / 1024:,.0f} KiB, peak {peak / 1024:,.0f} KiB")


if __name__ == "__main__":
    main()
