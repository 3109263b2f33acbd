"""gunicorn settings for one app server: `gunicorn -c deploy/gunicorn.conf.py jxjy.wsgi` (README "Deployment")."""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# Sync workers: each request is short (the heartbeat is the hottest, a few ms of CPU); 2 × cores + 1.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
timeout = 120  # a video upload or an Excel export may take a while; nginx cuts idle clients first
graceful_timeout = 30
keepalive = 5
max_requests = 5000  # recycle workers now and then (bounded memory)
max_requests_jitter = 500
# nginx sets X-Forwarded-Proto; only trust it from the nginx hosts.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(L)ss rid=%({x-request-id}i)s'
errorlog = "-"
loglevel = "info"
control_socket_disable = True


# The client address. gunicorn sets REMOTE_ADDR to its peer — nginx — and the app takes REMOTE_ADDR as the
# client's (the audit log's IP, per-IP rate limits, django-axes). nginx sends the client's address (after its own
# real_ip step) as X-Real-IP; take it only from the trusted nginx hosts, never from anyone else.
def _client_address(app, trusted):
    def application(environ, start_response):
        real_ip = environ.get("HTTP_X_REAL_IP", "").strip()
        if real_ip and environ.get("REMOTE_ADDR") in trusted:
            environ["REMOTE_ADDR"] = real_ip
        return app(environ, start_response)

    return application


def post_worker_init(worker):
    worker.wsgi = _client_address(worker.wsgi, {ip.strip() for ip in forwarded_allow_ips.split(",")})
