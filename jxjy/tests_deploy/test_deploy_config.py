"""The sample gunicorn configuration (deploy/gunicorn.conf.py) passes the client address on from nginx only."""

import runpy
from pathlib import Path
from types import SimpleNamespace

CONF = Path(__file__).resolve().parents[2] / "deploy" / "gunicorn.conf.py"


def _run(config, environ):
    seen = {}

    def app(env, start_response):
        seen.update(env)
        return [b""]

    worker = SimpleNamespace(wsgi=app)
    config["post_worker_init"](worker)
    worker.wsgi(dict(environ), lambda *a: None)
    return seen["REMOTE_ADDR"]


def test_real_ip_is_taken_from_nginx_only(monkeypatch):
    monkeypatch.setenv("GUNICORN_FORWARDED_ALLOW_IPS", "10.0.0.5, 127.0.0.1")
    config = runpy.run_path(str(CONF))
    assert config["worker_class"] == "sync" and config["bind"]
    assert _run(config, {"REMOTE_ADDR": "10.0.0.5", "HTTP_X_REAL_IP": "203.0.113.9"}) == "203.0.113.9"
    # Anyone else's X-Real-IP is ignored: a client cannot choose the address the audit log records.
    assert _run(config, {"REMOTE_ADDR": "198.51.100.7", "HTTP_X_REAL_IP": "203.0.113.9"}) == "198.51.100.7"
    assert _run(config, {"REMOTE_ADDR": "10.0.0.5"}) == "10.0.0.5"
