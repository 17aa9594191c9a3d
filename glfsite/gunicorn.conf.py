"""Gunicorn settings for production, read from the environment like the app's own.

Used the same way everywhere: `gunicorn -c glfsite/gunicorn.conf.py glfsite.wsgi` (systemd
unit, container, `make serve`). A --bind or --workers on the command line wins over these.
"""

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


# 127.0.0.1 by default: the reverse proxy on the same machine is the only client.
bind = [os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")]
# Synchronous workers with a few threads each: page views and autosaves are short requests.
workers = _int("GUNICORN_WORKERS", min(2 * multiprocessing.cpu_count() + 1, 9))
threads = _int("GUNICORN_THREADS", 2)
worker_class = "gthread"
# A request that takes longer than this is stuck: the worker is restarted.
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = 5
# Recycle workers now and then so a slow leak cannot grow forever.
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = 200
# Uploaded files larger than this are refused by Django itself; this bounds request headers.
limit_request_line = 8190

# Logs to standard output and error, for journald or the container runtime to collect.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'

# The proxy's address, trusted for X-Forwarded-For (Django reads X-Forwarded-Proto itself,
# when DJANGO_SECURE_PROXY_SSL_HEADER is on).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# Heartbeat files in memory, not on a disk that may be slow or read-only (containers).
# Gunicorn makes them with mkstemp, so a shared directory is safe.
SHARED_MEMORY = "/dev/shm"  # noqa: S108
if os.path.isdir(SHARED_MEMORY):
    worker_tmp_dir = SHARED_MEMORY
proc_name = "glf-classroom"
# Gunicorn 25+ opens a control socket in the user's home by default: two servers on one
# machine would fight over it, and systemd or the container already manages the process.
control_socket_disable = True
