"""gunicorn settings of an app server (kaosheng-web.service: ``gunicorn -c deploy/gunicorn.conf.py
run:app``). The values are a starting point for a 4-core host; see README, Deployment."""
import glob
import multiprocessing
import os

from prometheus_client import multiprocess

# The internal interface: the nginx host balances over the app servers' port 8000, and
# Prometheus scrapes it (firewall it to those two; nothing else needs it).
bind = "0.0.0.0:8000"
workers = min(2 * multiprocessing.cpu_count() + 1, 9)
# Long requests are imports' uploads and PDF batches; jobs run in the rq workers.
timeout = 120
graceful_timeout = 30
# A worker is replaced now and then (memory kept by a large page does not stay forever).
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"
errorlog = "-"


def on_starting(server):
    """Empty this server's metrics directory: the counters of the previous run must not be
    summed into this one's (README, Monitoring). The directory itself belongs to systemd
    (RuntimeDirectory=), so only its files go."""
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if path:
        os.makedirs(path, exist_ok=True)
        for name in glob.glob(os.path.join(path, "*.db")):
            os.remove(name)


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
