"""Bulk review throughput: “approve all matching” through the screens versus a raw UPDATE.

    python benchmarks/review_bench.py                 # 10,000 records, SQLite (temporary file)
    python benchmarks/review_bench.py --rows 10000 --database-url postgresql://postgres@127.0.0.1/postgres

A fresh database (the project's migrations and demo tree) gets ``--rows`` confirmed records at
one school. The school's reviewer then does what the screen does: posts the list's filter to
“all matching” (the selection is stored with one INSERT … SELECT), opens the confirmation page
and confirms with the principal's sign-off; timed from the first post to the result page
(every row checked by the transition table, version-checked, a history row and an audit row
each). The baseline is one raw ``UPDATE ks_candidate SET state = …, version = version + 1``
of the same rows in one transaction. Target (issue 14): 10,000 rows in under 30 s.
"""
import argparse
import datetime as dt
import os
import re
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.import_bench import database, identity  # noqa: E402

PASSWORD = "Bench-pass-2026"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def make_candidates(db, Candidate, exam, node, n):
    """``n`` confirmed records at ``node`` with one Core INSERT."""
    from sqlalchemy import insert

    rows = []
    for i in range(n):
        number, birth, seq = identity(i)
        rows.append(dict(exam_id=exam.id, node_id=node.id, name=f"审核压测{i}",
                         gender="1" if seq % 2 else "2", birth_date=birth, id_number=number,
                         category="01", state="confirmed", version=1, locked=False,
                         created_on=dt.datetime.now(), changed_on=dt.datetime.now()))
    db.session.execute(insert(Candidate), rows)
    db.session.commit()


def token(client, url):
    return CSRF_RE.search(client.get(url).get_data(as_text=True)).group(1)


def approve_all(client):
    """The screen's path: all matching → confirmation page → confirm; the result page."""
    form = {"csrf_token": token(client, "/review/list/"), "scope": "all",
            "_flt_0_state": "confirmed"}
    resp = client.post("/review/confirm/school_approve", data=form)
    assert resp.status_code == 302, resp.status_code
    page = client.get(resp.location).get_data(as_text=True)
    selection = re.search(r'name="selection" value="(\d+)"', page).group(1)
    resp = client.post("/review/confirm/school_approve", data={
        "csrf_token": CSRF_RE.search(page).group(1), "selection": selection,
        "principal_name": "王校长", "signed_on": dt.date.today().isoformat()},
        follow_redirects=True)
    return resp.get_data(as_text=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    from flask_migrate import upgrade
    from sqlalchemy import func, select, update

    from app import create_app
    from app.candidates.models import Candidate
    from app.codes import ZHONGZHAO
    from app.demo import ensure_user, seed_exams, seed_tree
    from app.exams.models import Exam
    from app.extensions import db
    from app.jurisdiction import SCHOOL, Node

    url, drop = database(args.database_url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "UPLOAD_DIR": tempfile.mkdtemp(),
                      "REDIS_URL": "", "JOBS_LOCAL": "inline"})
    try:
        with app.app_context():
            upgrade()
            app.appbuilder.sm.sync_roles()
            seed_tree()
            seed_exams()
            school = db.session.execute(select(Node).where(Node.kind == SCHOOL)
                                        .order_by(Node.code).limit(1)).scalar_one()
            ensure_user("bench_reviewer", PASSWORD, school, "school_reviewer", "压测", "审核员")
            exam = db.session.execute(select(Exam).where(
                Exam.kind == ZHONGZHAO, Exam.year == 2026)).scalar_one()
            make_candidates(db, Candidate, exam, school, args.rows)
            school_id = school.id

        client = app.test_client()
        client.post("/login/", data={"csrf_token": token(client, "/login/"),
                                     "username": "bench_reviewer", "password": PASSWORD})
        t0 = time.perf_counter()
        approve_all(client)
        bulk = time.perf_counter() - t0

        with app.app_context():
            approved = db.session.execute(select(func.count()).where(
                Candidate.node_id == school_id, Candidate.state == "school_approved")).scalar()
            assert approved == args.rows, f"{approved} of {args.rows} approved"
            table = Candidate.__table__
            t0 = time.perf_counter()
            db.session.execute(update(table).where(table.c.node_id == school_id).values(
                state="county_approved", version=table.c.version + 1))
            db.session.commit()
            raw = time.perf_counter() - t0
    finally:
        drop()
    engine = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print(f"{engine}, {args.rows:,} records")
    print(f"approve all matching: {bulk:.2f} s, {args.rows / bulk:,.0f} rows/s")
    print(f"raw UPDATE:           {raw:.2f} s, {args.rows / raw:,.0f} rows/s")
    print(f"ratio (raw / bulk):   {raw / bulk:.3f}  ({bulk / raw:.0f}x slower than raw)")


if __name__ == "__main__":
    main()
