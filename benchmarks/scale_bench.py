"""Province scale: the staff pages at N candidates on PostgreSQL, against a bare
Flask-AppBuilder ModelView over the same table (issue 14's measurements).

    python benchmarks/scale_bench.py --rows 100000      # smoke run (a few minutes)
    python benchmarks/scale_bench.py --rows 1000000     # the province figure (~15 minutes)
    python benchmarks/scale_bench.py --rows 100000 --reuse --only show  # the candidate pages

Steps (loopback only; everything stops by itself and the database is dropped unless --keep):
1. a fresh PostgreSQL database ``kaosheng_scale_<rows>``: ``flask db upgrade`` through the
   project's own migrations, the demo data, then schools of 10,000 candidates each loaded
   with COPY. The county 中原区 (410102) is held at min(rows, 100,000) candidates in ten
   schools (its first school, the demo ``zy_school``'s, at 10,000) and the rest of the rows go
   to the other counties, so the county and school figures must not move between
   ``--rows 100000`` and ``--rows 1000000`` while the province's subtree grows with the table.
   The progress triggers are switched off during COPY and the counters rebuilt after
   (``app.progress.rebuild``), then ANALYZE.
2. ``gunicorn -w 2`` for the app and for ``benchmarks/bare_fab.py`` (a bare ModelView over
   ``ks_candidate``, FAB's defaults) on the same database.
3. per role (province, city, county, school) and page: p50/p95 of ``--seq`` sequential
   requests, requests/s from ``--threads`` threads for ``--duration`` seconds, and SQL
   statements per page (counted in-process with the Flask test client on the same database).

The candidate page is measured for one record of each exam kind (中招, 高考, 成人高考); bare
FAB's list and show pages and a bare Flask route (``hello_app.py``, the machine's ceiling)
are measured after the province's rows. ``--only`` measures the pages whose label starts with
the words given (and skips the export).

Prints one table, and for list page 1 the ratio of the app's req/s to bare FAB's.
"""
import argparse
import datetime as dt
import io
import os
import random
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]

from selfservice_load import (Server, free_port, pct, raw_request, request,  # noqa: E402
                              session_cookie)

ROLES = {"province": "henan_admin", "city": "zz_admin", "county": "zy_admin",
         "school": "zy_school"}
HELD_COUNTY, HELD_SCHOOL = "410102", "41010201"
OTHER_COUNTIES = ("410103", "410105", "410302", "410305")
PER_SCHOOL = 10_000
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红玲建国志文浩宇子涵欣怡梓轩一诺"
STATES = ("draft",) * 4 + ("confirmed",) * 3 + ("school_approved",) * 2 + ("county_approved",)


def pg_admin(url):
    import psycopg
    from sqlalchemy.engine import make_url

    u = make_url(url)
    return psycopg.connect(host=u.host, port=u.port or 5432, user=u.username,
                           dbname=u.database or "postgres", autocommit=True), u


def fresh_database(admin_url, name):
    conn, u = pg_admin(admin_url)
    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    return u.set(database=name).render_as_string(hide_password=False)


def reused_database(admin_url, name):
    from sqlalchemy.engine import make_url

    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_database(admin_url, name):
    conn, _ = pg_admin(admin_url)
    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()


def make_app(url):
    from app import create_app

    import tempfile

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "scale-bench",
                       "AUTH_RATE_LIMIT": "100000 per minute", "REDIS_URL": "",
                       "UPLOAD_DIR": tempfile.mkdtemp(prefix="kaosheng-scale-")})


def school_plan(rows):
    """[(county code, number of schools)]: the held county first, the rest round-robin."""
    held = min(rows, 10 * PER_SCHOOL) // PER_SCHOOL or 1
    rest = max(rows - held * PER_SCHOOL, 0) // PER_SCHOOL
    plan = {HELD_COUNTY: held}
    for i in range(rest):
        county = OTHER_COUNTIES[i % len(OTHER_COUNTIES)]
        plan[county] = plan.get(county, 0) + 1
    return plan


def add_schools(plan):
    """The schools the rows go to: the demo's own first, then new ones; [(node id, count)]."""
    from sqlalchemy import select

    from app.extensions import db
    from app.jurisdiction import SCHOOL, Node, make_path

    targets = []
    for county_code, count in plan.items():
        county = db.session.execute(select(Node).where(Node.code == county_code)).scalar_one()
        existing = db.session.execute(select(Node).where(
            Node.parent_id == county.id, Node.kind == SCHOOL).order_by(Node.code)).scalars().all()
        schools = existing[:count]
        for i in range(len(schools), count):
            code = f"{county_code}{i + 50:03d}"
            node = Node(code=code, name=f"{county.name}测试学校{i + 1}", kind=SCHOOL,
                        parent=county, path=make_path(county, code))
            db.session.add(node)
            schools.append(node)
        db.session.flush()
        targets += [(s.id, PER_SCHOOL) for s in schools]
    db.session.commit()
    return targets


def candidate_rows(exam_id, targets, seed=7):
    """COPY text rows: valid ID numbers (GB 11643 check digit), names, states."""
    from app.validators import make_id_number

    rnd = random.Random(seed)
    now = dt.datetime(2026, 3, 1, 9, 0).isoformat(sep=" ")
    serial = 0
    for node_id, count in targets:
        for _ in range(count):
            # distinct (district, birth date, sequence) up to 3 million rows; districts the
            # demo data does not use, so no number collides with a demo candidate's
            day, seq, district = serial % 1000, serial // 1000 % 999 + 1, serial // 999000
            serial += 1
            birth = dt.date(2008, 1, 1) + dt.timedelta(days=day)
            gender = "1" if seq % 2 else "2"
            number = make_id_number(("410104", "410108", "410181")[district], birth, seq)
            name = rnd.choice(SURNAMES) + rnd.choice(GIVEN) + rnd.choice(GIVEN)
            yield (f"{exam_id}\t{node_id}\t{name}\t{gender}\t{number}\t{birth}\t"
                   f"{rnd.choice(STATES)}\t{now}\t{now}\n")


def load(url, rows):
    """Migrate, seed the demo, COPY the candidates; returns the number of rows loaded."""
    from flask_migrate import upgrade
    from sqlalchemy import select

    from sqlalchemy import func

    from app import progress
    from app.candidates.models import Candidate
    from app.demo import seed_demo
    from app.codes import ZHONGZHAO
    from app.exams.models import Exam
    from app.extensions import db

    app = make_app(url)
    with app.app_context():
        upgrade()
        app.appbuilder.sm.sync_roles()
        seed_demo()
        db.session.commit()
        exam_id = db.session.execute(select(Exam.id).where(
            Exam.kind == ZHONGZHAO, Exam.year == 2026)).scalar_one()
        targets = add_schools(school_plan(rows))
        raw = db.engine.raw_connection()
        try:
            cur = raw.cursor()
            cur.execute("ALTER TABLE ks_candidate DISABLE TRIGGER USER")
            started = time.time()
            buffer = io.StringIO()
            with cur.copy("COPY ks_candidate (exam_id, node_id, name, gender, id_number, "
                          "birth_date, state, created_on, changed_on) FROM STDIN") as copy:
                for i, line in enumerate(candidate_rows(exam_id, targets)):
                    buffer.write(line)
                    if i % 20000 == 19999:
                        copy.write(buffer.getvalue())
                        buffer = io.StringIO()
                copy.write(buffer.getvalue())
            cur.execute("ALTER TABLE ks_candidate ENABLE TRIGGER USER")
            raw.commit()
            print(f"COPY {sum(c for _, c in targets):,} candidates: {time.time() - started:.1f} s")
        finally:
            raw.close()
        progress.rebuild()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
        total = db.session.execute(select(func.count(Candidate.id))).scalar()
    return app, total


def reuse(url):
    """The app on a database loaded by an earlier --keep run, migrated to the current head
    (a migration added since runs on the loaded table); returns the number of candidates."""
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from app.candidates.models import Candidate
    from app.extensions import db

    app = make_app(url)
    with app.app_context():
        upgrade()
        app.appbuilder.sm.sync_roles()
        total = db.session.execute(select(func.count(Candidate.id))).scalar()
    return app, total


def export_figures(app):
    """The province's CSV export of every candidate as the background job writes it, against
    PostgreSQL's own COPY of the same columns (a CSV written by the server): rows/s of each."""
    from sqlalchemy import select

    from app.candidates.export import FIELDS
    from app.candidates.export_tasks import run_export
    from app.candidates.models import CandidateExport
    from app.extensions import db
    from app.security import KsUser

    with app.app_context():
        user = db.session.execute(select(KsUser).where(
            KsUser.username == ROLES["province"])).scalar_one()
        export = CandidateExport(fmt="csv", args={}, user_id=user.id, node_path=user.node.path)
        db.session.add(export)
        db.session.commit()
        started = time.perf_counter()
        run_export(export.id)
        ours = time.perf_counter() - started
        rows = db.session.get(CandidateExport, export.id).rows
        columns = ", ".join(f"n.{src[5:]}" if src.startswith("node.") else f"c.{src}"
                            for _h, src, _f in FIELDS)
        raw = db.engine.raw_connection()
        try:
            started, size = time.perf_counter(), 0
            with raw.cursor().copy(f"COPY (SELECT {columns} FROM ks_candidate c JOIN ks_node n "
                                   "ON n.id = c.node_id ORDER BY c.id) TO STDOUT WITH CSV") as cp:
                for block in cp:
                    size += len(block)
            copy = time.perf_counter() - started
        finally:
            raw.close()
    print(f"\nprovince CSV export of {rows:,} rows as a job: {rows / ours:,.0f} rows/s "
          f"({ours:.1f} s); COPY of the same columns: {rows / copy:,.0f} rows/s ({copy:.1f} s, "
          f"{size / 2**20:.0f} MiB); ratio {copy / ours:.2f} (target >= 0.33)", flush=True)


def login(port, username, password):
    import re

    status, headers, body = request(port, "GET", "/login/")
    cookie = session_cookie(headers)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', body.decode()).group(1)
    status, headers, _ = request(port, "POST", "/login/", cookie, {
        "csrf_token": token, "username": username, "password": password})
    if status != 302:
        raise RuntimeError(f"login of {username} answered {status}")
    return session_cookie(headers, cookie)


def pages(app, deep_page):
    """{label: path} of the pages measured (ids picked from the loaded data)."""
    from sqlalchemy import select

    from app.candidates.models import Candidate
    from app.extensions import db
    from app.jurisdiction import Node

    with app.app_context():
        held = db.session.execute(select(Candidate.id).join(Node).where(
            Node.code == HELD_SCHOOL).order_by(Candidate.id).limit(1)).scalar()
        shows = show_pages(held)
    return {
        "list page 1": "/candidateview/list/",
        "deep page": f"/candidateview/list/?page_CandidateView={deep_page}",
        "name starts with": "/candidateview/list/?_flt_0_name=" + quote("王"),
        "state filter": "/candidateview/list/?_flt_0_state=confirmed",
        "review list": "/review/list/",
        "dashboard": "/",
        **shows,
    }


def show_pages(held):
    """{label: path} of the candidate page of one record per exam kind: the held school's first
    candidate (中招) and the demo's first 高考 and 成人高考 records of the held school, or else
    of the held county (成人高考 records are at a registration point, not measured for the
    school user, who gets 404)."""
    from sqlalchemy import select

    from app.candidates.models import Candidate
    from app.codes import ADULT, GAOKAO
    from app.exams.models import Exam
    from app.extensions import db
    from app.jurisdiction import Node

    found = {"show page": held}
    for label, kind in (("show 高考", GAOKAO), ("show 成人高考", ADULT)):
        found[label] = db.session.execute(
            select(Candidate.id).join(Exam).join(Node, Node.id == Candidate.node_id)
            .where(Exam.kind == kind, Node.path.like(f"%/{HELD_COUNTY}/%"))
            .order_by((Node.code == HELD_SCHOOL).desc(), Candidate.id).limit(1)).scalar()
    return {label: f"/candidateview/show/{cid}" for label, cid in found.items() if cid}


def statements(app, username, password, path):
    """SQL statements one request runs, counted in-process on the same database."""
    from sqlalchemy import event

    from app.extensions import db

    client = app.test_client()
    import re
    page = client.get("/login/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/login/", data={"csrf_token": token, "username": username,
                                 "password": password})
    client.get(path)  # warm caches as a served worker would have them
    count = [0]

    def counter(*_a, **_k):
        count[0] += 1

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", counter)
    try:
        status = client.get(path).status_code
    finally:
        event.remove(engine, "before_cursor_execute", counter)
    return count[0], status


def sequential(port, cookie, path, n):
    times, statuses = [], set()
    for _ in range(n):
        started = time.perf_counter()
        status, _h, _b = raw_request(port, "GET", path, cookie)
        times.append(time.perf_counter() - started)
        statuses.add(status)
    return pct(times, 50), pct(times, 95), statuses


def concurrent(port, cookie, path, threads, duration):
    done, errors = [0], [0]
    lock = threading.Lock()
    deadline = time.time() + duration

    def work():
        while time.time() < deadline:
            status, _h, _b = raw_request(port, "GET", path, cookie)
            with lock:
                done[0] += 1
                errors[0] += status >= 400
    pool = [threading.Thread(target=work) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return done[0] / duration, errors[0]


def serve(target, url, port, ready="/login/"):
    """gunicorn -w 2 for ``target`` on the database at ``url``, answering before it returns."""
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "scale-bench",
           "KAOSHENG_ENV": "development", "AUTH_RATE_LIMIT": "100000 per minute",
           "REDIS_URL": "", "PYTHONPATH": f"{ROOT}:{HERE}"}
    server = Server(target, env, port)
    server.wait(ready, timeout=120)
    return server


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--pg", default=os.environ.get(
        "KAOSHENG_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--seq", type=int, default=20)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true",
                        help="measure the database a --keep run left (skips the load; "
                             "implies --keep)")
    parser.add_argument("--export-only", action="store_true",
                        help="load, then measure only the province export against COPY")
    parser.add_argument("--only", default="",
                        help="measure only the pages whose label starts with one of these "
                             "comma-separated words (e.g. --only show); skips the export")
    args = parser.parse_args()

    from app.demo import DEMO_PASSWORD

    name = f"kaosheng_scale_{args.rows}"
    args.keep = args.keep or args.reuse
    url = reused_database(args.pg, name) if args.reuse else fresh_database(args.pg, name)
    servers = []
    try:
        app, total = reuse(url) if args.reuse else load(url, args.rows)
        print(f"candidates in the database: {total:,}")
        if not args.only:
            export_figures(app)
        if args.export_only:
            return
        targets = pages(app, deep_page=max(total // 50 // 2, 1))
        only = [w.strip() for w in args.only.split(",") if w.strip()]
        if only:
            targets = {k: v for k, v in targets.items() if k.startswith(tuple(only))}
        port, bare_port = free_port(), free_port()
        servers.append(serve("run:app", url, port))
        # Import the bare app once here, so its permissions exist before two workers race to
        # add them.
        os.environ["DATABASE_URL"] = url
        import bare_fab  # noqa: F401
        servers.append(serve("bare_fab:app", url, bare_port))
        hello_port = free_port()
        servers.append(serve("hello_app:app", url, hello_port, ready="/"))
        print(f"\n{'role':9} {'page':18} {'p50 ms':>8} {'p95 ms':>8} {'req/s':>7} "
              f"{'err':>4} {'SQL':>4}  status")
        bare = None
        for role, user in ROLES.items():
            cookie = login(port, user, DEMO_PASSWORD)
            for label, path in targets.items():
                if role == "school" and label == "show 成人高考":
                    continue  # a registration point's record: 404 to a school
                p50, p95, statuses = sequential(port, cookie, path, args.seq)
                rate, errors = concurrent(port, cookie, path, args.threads, args.duration)
                sql, _status = statements(app, user, DEMO_PASSWORD, path)
                print(f"{role:9} {label:18} {p50:8.1f} {p95:8.1f} {rate:7.1f} {errors:4d} "
                      f"{sql:4d}  {sorted(statuses)}", flush=True)
                if role == "province" and label == "list page 1":
                    ours = rate
            if role == "province":
                bare_cookie = login(bare_port, user, DEMO_PASSWORD)
                bare_pages = {"list page 1": "/barecandidateview/list/",
                              "show page": targets.get("show page", "").replace(
                                  "/candidateview/", "/barecandidateview/")}
                for label, path in bare_pages.items():
                    if label not in targets:
                        continue
                    b50, b95, bstat = sequential(bare_port, bare_cookie, path, args.seq)
                    rate, _e = concurrent(bare_port, bare_cookie, path, args.threads,
                                          args.duration)
                    bare = rate if label == "list page 1" else bare
                    print(f"{'bare FAB':9} {label:18} {b50:8.1f} {b95:8.1f} {rate:7.1f} "
                          f"{'':4} {'':4}  {sorted(bstat)}", flush=True)
                # The machine's ceiling: a bare Flask "hello" route on the same gunicorn.
                h50, h95, hstat = sequential(hello_port, None, "/", args.seq)
                rate, _e = concurrent(hello_port, None, "/", args.threads, args.duration)
                print(f"{'Flask':9} {'hello':18} {h50:8.1f} {h95:8.1f} {rate:7.1f} "
                      f"{'':4} {'':4}  {sorted(hstat)}", flush=True)
        if bare:
            print(f"\nlist page 1, province: {ours / bare:.2f}x bare FAB's req/s "
                  f"(target >= 1, aim 2)")
    finally:
        for server in servers:
            server.stop()
        if not args.keep:
            drop_database(args.pg, name)


if __name__ == "__main__":
    main()
