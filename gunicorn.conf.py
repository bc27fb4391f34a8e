"""gunicorn's settings for the site. gunicorn reads ./gunicorn.conf.py by itself, so the
Dockerfile, docker compose and `bench/load` all serve with these; flags on the command line
win over them.

Processes, not threads, by default: rendering a page is CPU work under the GIL. Measured by
`bench/load` on 2 cores: 4 processes of 4 threads served as many requests as 4 single-threaded
processes but with twice the p95 latency. Behind the TLS proxy (which buffers responses) slow
clients do not hold a process; without one, WEB_THREADS=4 lets a process serve others meanwhile.
"""

import os

wsgi_app = "dashboard.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# WEB_CONCURRENCY is the usual knob of hosting platforms; two processes per core by default.
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * (os.cpu_count() or 1)))
threads = int(os.environ.get("WEB_THREADS", "1"))
# A page answers in well under a second; the timeout only ends a stuck process.
timeout = 30
graceful_timeout = 20
keepalive = 5
# Bounds slow leaks in long-lived processes, staggered so they do not restart together.
max_requests = 2000
max_requests_jitter = 200
# Logs on stderr, as the other processes do; the access log costs a line per request.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
logger_class = "dashboard.log_filters.RedactingGunicornLogger"
