"""Production WSGI server settings: ``gunicorn -c config/gunicorn.conf.py api.wsgi:app``."""

import os

bind = f"{os.environ.get('ONESTOP_HOST', '127.0.0.1')}:{os.environ.get('ONESTOP_PORT', '8000')}"
# Case commands are CPU-bound (SpiffWorkflow runs in Python), so one process per core. Threads
# cover the time a request waits, and keep a worker answering while one request is long (a
# report, an upload). Beyond two they only contend for the GIL: with SQLite, 4 threads per
# worker served 5% fewer cases per second than 2 (bench/api.py, docs/performance.md). On PostgreSQL,
# where commands wait on the network, more threads (ONESTOP_THREADS) may pay.
workers = int(os.environ.get("ONESTOP_WORKERS", "2"))
threads = int(os.environ.get("ONESTOP_THREADS", "2"))
worker_class = "gthread"
timeout = 60
graceful_timeout = 20
accesslog = None  # the app writes structured JSON request logs itself
errorlog = "-"


def child_exit(server, worker):
    # Prometheus multiprocess mode: forget the metrics files of a worker that has gone.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def post_fork(server, worker):
    # Each worker: its memory capped (the backstop behind the script sandbox's size guards) and
    # every crash path logged through the masking of national ID numbers.
    import bootstrap
    from config import load_settings

    bootstrap.cap_memory(load_settings())
    bootstrap.mask_crash_paths()
