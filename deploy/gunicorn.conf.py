"""gunicorn settings for one app server: `gunicorn -c deploy/gunicorn.conf.py jxjy.wsgi` (README "Deployment")."""

import ipaddress
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# Sync workers: each request is short (the heartbeat is the hottest, a few ms of CPU); 2 × cores + 1.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
timeout = 120  # a video upload or an Excel export may take a while; nginx cuts idle clients first
# On a deploy (`systemctl reload jxjy-web`: HUP, new workers start on the new code) and on stop (TERM), a worker
# stops taking requests and has this long to finish the ones in flight before it is killed: as long as nginx waits
# for an answer (proxy_read_timeout 60s), so every request nginx still waits on finishes (a report export too).
# systemd's TimeoutStopSec (deploy/jxjy-web.service) is longer, or it would kill them first.
graceful_timeout = 60
keepalive = 5
# Recycle each worker after about this many requests (bounded memory growth); the jitter keeps the workers from
# restarting all at once.
max_requests = 5000
max_requests_jitter = 500
# The nginx hosts: only from them are X-Forwarded-Proto, X-Real-IP (below) and, in the app, X-Request-ID trusted.
# The same TRUSTED_PROXY_IPS the app reads (GUNICORN_FORWARDED_ALLOW_IPS is the older name of it).
forwarded_allow_ips = (
    os.environ.get("TRUSTED_PROXY_IPS") or os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS") or "127.0.0.1"
)
accesslog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(L)ss rid=%({x-request-id}i)s'
errorlog = "-"
loglevel = "info"
control_socket_disable = True


# The client address. gunicorn sets REMOTE_ADDR to its peer — nginx — and the app takes REMOTE_ADDR as the
# client's (the audit log's IP, per-IP rate limits, django-axes). nginx sends the client's address (after its own
# real_ip step, which trusts only the load balancer) as X-Real-IP; take it only from the trusted nginx hosts, never
# from anyone else, and only when it is an IP address. nginx's own address stays in the environ (jxjy.proxy_addr)
# for the app's trusted-proxy check (jxjy.lib.middleware: X-Request-ID).
def _is_ip(value):
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _client_address(app, trusted):
    networks = [ipaddress.ip_network(item, strict=False) for item in trusted if item]

    def from_trusted(peer):
        return _is_ip(peer) and any(ipaddress.ip_address(peer) in network for network in networks)

    def application(environ, start_response):
        peer = environ.get("REMOTE_ADDR", "")
        real_ip = environ.get("HTTP_X_REAL_IP", "").strip()
        if from_trusted(peer):
            environ["jxjy.proxy_addr"] = peer
            if _is_ip(real_ip):
                environ["REMOTE_ADDR"] = real_ip
        return app(environ, start_response)

    return application


def post_worker_init(worker):
    worker.wsgi = _client_address(worker.wsgi, {ip.strip() for ip in forwarded_allow_ips.split(",")})
