"""Counters of operational events for ``/metrics`` (实时监控): log-ins and account locks, registry
imports and their rows, photos stored.

A shared-base module (it imports nothing of the application), so the one place where each event
happens — the staff log-in of the security manager, the candidates' account lock, the end of an
import job — counts it with one call whatever its layer; ``app.monitoring`` serves the counters
(and counts what it can see from outside: the candidates' log-in answers, photo rows).

The counters are prometheus_client's: with ``PROMETHEUS_MULTIPROC_DIR`` set before the process
starts each process (gunicorn worker, rq worker) writes its own file there and ``/metrics`` sums
them (README, Monitoring); otherwise they live in this process. Every label is from a closed set,
so no candidate or user becomes a series.
"""
from prometheus_client import Counter

STAFF, CANDIDATE = "staff", "candidate"
SUCCESS, FAILURE = "success", "failure"
#: the rows of a finished registry import, by what happened to them (ImportBatch counts).
IMPORT_ROWS = {"created": "created_count", "updated": "updated_count",
               "rejected": "rejected_count"}

LOGINS = Counter("kaosheng_logins_total", "Log-in attempts by kind of account (staff, "
                 "candidate) and outcome (success, failure: wrong name or password, locked, "
                 "unknown account).", ["kind", "outcome"], registry=None)
LOCKOUTS = Counter("kaosheng_account_lockouts_total", "Accounts locked after too many failed "
                   "log-ins in a row, by kind of account.", ["kind"], registry=None)
IMPORTS = Counter("kaosheng_imports_total", "Registry imports finished.", registry=None)
IMPORTED_ROWS = Counter("kaosheng_import_rows_total", "Rows of finished registry imports by "
                        "outcome (created, updated, rejected).", ["outcome"], registry=None)
PHOTOS = Counter("kaosheng_photos_stored_total", "Candidate pictures stored (photos and ID "
                 "document scans, by kind), from the capture page, self-service and imports.",
                 ["kind"], registry=None)
COUNTERS = (LOGINS, LOCKOUTS, IMPORTS, IMPORTED_ROWS, PHOTOS)

# Every series of a closed label set exists from the start (0, not absent): a rate over a
# series that appears only with its first event misses that event.
for _kind in (STAFF, CANDIDATE):
    LOCKOUTS.labels(_kind)
    for _outcome in (SUCCESS, FAILURE):
        LOGINS.labels(_kind, _outcome)
for _outcome in IMPORT_ROWS:
    IMPORTED_ROWS.labels(_outcome)


def count_login(kind, ok):
    """One log-in attempt of an account of ``kind``, succeeded or not."""
    LOGINS.labels(kind, SUCCESS if ok else FAILURE).inc()


def counted_login(kind, user):
    """:func:`count_login` of a log-in path's answer (the user, or None when refused);
    returns it, so the path wraps its answer in it."""
    count_login(kind, user is not None)
    return user


def count_lockout(kind):
    LOCKOUTS.labels(kind).inc()


def count_import(batch):
    """A registry import finished: one import and its rows by outcome."""
    IMPORTS.inc()
    for outcome, attribute in IMPORT_ROWS.items():
        IMPORTED_ROWS.labels(outcome).inc(getattr(batch, attribute) or 0)


def count_photo(kind):
    PHOTOS.labels(kind).inc()
