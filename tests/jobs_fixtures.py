"""Module-level job functions for tests/test_jobs.py.

rq imports job functions by dotted path; pytest puts ``tests/`` on sys.path (there is no
tests/__init__.py), so a SimpleWorker running inside the test process finds them as
``jobs_fixtures.<name>``.
"""
from flask import current_app

from app.jobs import report_progress


def count_job(n, label="items"):
    """Reports progress for n steps and returns a summary built from the app config."""
    for i in range(1, n + 1):
        report_progress(i, n, f"{i}/{n} {label}")
    return {"count": n, "label": label, "app": current_app.name}


def half_then_fail(n):
    report_progress(n // 2, n, "halfway")
    raise ValueError("row 7: bad ID number")


def non_json_job():
    return {1, 2, 3}
