"""Registry import throughput versus a raw SQLAlchemy Core executemany of the same rows.

    python benchmarks/import_bench.py                 # 100,000 rows, SQLite (temporary file)
    python benchmarks/import_bench.py --rows 20000 --database-url postgresql://postgres@127.0.0.1/postgres

The project path is the whole job: read the CSV, map headers, validate every row, upsert by ID
number with audit rows and the guardian, commit per chunk. The baseline inserts the already
valid candidate rows with one Core ``insert(Candidate)`` executemany in one transaction.
Target: the import reaches at least 1/3 of the raw rate.

The re-sync is the same file again with a new phone number and ethnicity in every row (the
registry sync a school runs each term): every record is read, compared, version-checked and
updated with an audit row. Its baseline is one Core ``update(Candidate)`` executemany of the
same new values by primary key in one transaction (and, for reference, the raw insert).
"""
import argparse
import csv
import datetime as dt
import io
import os
import random
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


#: Birth dates of the generated candidates: every day of 2000–2011.
FIRST_BIRTH, BIRTH_DAYS = dt.date(2000, 1, 1), (dt.date(2012, 1, 1) - dt.date(2000, 1, 1)).days
REGIONS = ("410102", "410103", "410105", "410302", "410305")
MAX_ROWS = BIRTH_DAYS * 1000 * len(REGIONS)


def identity(i):
    """The i-th generated (ID number, birth date, sequence): distinct for every i < MAX_ROWS,
    since (birth day, sequence, region) walks all combinations (ID numbers are valid)."""
    from app.validators import make_id_number

    day, k = i % BIRTH_DAYS, i // BIRTH_DAYS
    birth = FIRST_BIRTH + dt.timedelta(days=day)
    seq, region = k % 1000, REGIONS[(k // 1000) % len(REGIONS)]
    return make_id_number(region, birth, seq), birth, seq


def make_rows(n, schools, seed=7, ethnicity=("汉族", "01")):
    """The registry CSV and the valid candidate rows; another ``seed`` and ``ethnicity`` give
    the same people with a new phone number and ethnicity (a re-sync)."""
    if n > MAX_ROWS:
        raise SystemExit(f"--rows may be at most {MAX_ROWS:,}")
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["姓名", "身份证号", "性别", "学校代码", "民族", "联系电话", "出生日期", "监护人姓名"])
    raw = []
    for i in range(n):
        idn, birth, seq = identity(i)
        gender = "男" if seq % 2 else "女"
        school = schools[i % len(schools)]
        phone = f"13{rng.randrange(10**9):09d}"
        writer.writerow(["张小" + "明红刚丽"[i % 4], idn, gender, school[0], ethnicity[0], phone,
                         birth.isoformat(), "张建国"])
        raw.append(dict(name="张小" + "明红刚丽"[i % 4], id_number=idn, gender="1" if seq % 2 else "2",
                        birth_date=birth, ethnicity=ethnicity[1], phone=phone, node_id=school[1]))
    return out.getvalue().encode("utf-8"), raw


def database(url):
    if url:
        if url.startswith("postgresql"):
            import psycopg
            from sqlalchemy.engine import make_url

            base = make_url(url)
            name = f"kaosheng_bench_{uuid.uuid4().hex[:8]}"
            params = dict(host=base.host, port=base.port or 5432, user=base.username,
                          dbname=base.database or "postgres", autocommit=True)
            with psycopg.connect(**params) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')

            def drop():
                with psycopg.connect(**params) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return base.set(database=name).render_as_string(hide_password=False), drop
        return url, lambda: None
    folder = tempfile.mkdtemp()
    return "sqlite:///" + os.path.join(folder, "bench.db"), lambda: None


def raw_update(db, Candidate, exam_id, rows):
    """Seconds for one Core UPDATE executemany by primary key of ``rows``' phone and
    ethnicity (moving the version, as the import does), in one transaction."""
    from sqlalchemy import bindparam, select, update

    table = Candidate.__table__
    ids = dict(db.session.execute(select(Candidate.id_number, Candidate.id).where(
        Candidate.exam_id == exam_id)).all())
    params = [{"b_id": ids[r["id_number"]], "phone": r["phone"], "ethnicity": r["ethnicity"]}
              for r in rows]
    stmt = update(table).where(table.c.id == bindparam("b_id")).values(
        phone=bindparam("phone"), ethnicity=bindparam("ethnicity"), version=table.c.version + 1)
    t0 = time.perf_counter()
    db.session.connection().execute(stmt, params)
    db.session.commit()
    return time.perf_counter() - t0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--resync-rows", type=int, default=20_000,
                        help="records changed by the re-sync (the first ones of the import)")
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    from flask_migrate import upgrade
    from sqlalchemy import delete, func, insert, select

    from app import create_app
    from app.audit import AuditLog
    from app.candidates.models import Candidate, Guardian, ImportBatch
    from app.candidates.tasks import run_import
    from app.demo import seed_exams, seed_tree
    from app.codes import ZHONGZHAO
    from app.exams.models import Exam
    from app.extensions import db
    from app.jurisdiction import SCHOOL, Node

    url, drop = database(args.database_url)
    uploads = tempfile.mkdtemp()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "UPLOAD_DIR": uploads, "REDIS_URL": "",
                      "JOBS_LOCAL": "inline"})
    try:
        with app.app_context():
            upgrade()
            app.appbuilder.sm.sync_roles()
            root = seed_tree()
            seed_exams()
            from app.demo import ensure_user
            user = ensure_user("bench_admin", "Bench-pass-2026", root, "province_admin", "压测", "管理员")
            db.session.commit()
            exam = db.session.execute(select(Exam).where(Exam.kind == ZHONGZHAO, Exam.year == 2026)).scalar_one()
            schools = db.session.execute(select(Node.code, Node.id).where(Node.kind == SCHOOL)).all()
            data, raw = make_rows(args.rows, schools)

            def batch_of(data, name):
                path = os.path.join(uploads, name)
                with open(path, "wb") as fh:
                    fh.write(data)
                batch = ImportBatch(exam_id=exam.id, user_id=user.id, node_path=root.path,
                                    filename=name, stored_path=path, status="queued",
                                    mapping={"name": 0, "id_number": 1, "gender": 2,
                                             "school_code": 3, "ethnicity": 4, "phone": 5,
                                             "birth_date": 6, "guardian1_name": 7})
                db.session.add(batch)
                db.session.commit()
                return batch.id

            batch_id = batch_of(data, "bench.csv")
            t0 = time.perf_counter()
            result = run_import(batch_id)
            project_s = time.perf_counter() - t0
            assert result["created"] == args.rows, result

            resync_n = min(args.rows, args.resync_rows)
            changed, _raw = make_rows(resync_n, schools, seed=8, ethnicity=("回族", "03"))
            batch_id = batch_of(changed, "resync.csv")
            t0 = time.perf_counter()
            result = run_import(batch_id)
            resync_s = time.perf_counter() - t0
            assert (result["status"], result["updated"]) == ("done", resync_n), result
            resync_raw_s = raw_update(db, Candidate, exam.id, make_rows(
                resync_n, schools, seed=9, ethnicity=("满族", "11"))[1])

            for model in (Guardian, Candidate):
                db.session.execute(delete(model))
            db.session.execute(delete(AuditLog))
            db.session.commit()
            now = dt.datetime.now()
            rows = [{**r, "exam_id": exam.id, "created_on": now, "changed_on": now} for r in raw]
            t0 = time.perf_counter()
            db.session.execute(insert(Candidate), rows)
            db.session.commit()
            raw_s = time.perf_counter() - t0
            assert db.session.execute(select(func.count()).select_from(Candidate)).scalar() == args.rows
        dialect = url.split(":")[0]
        project_rate, raw_rate = args.rows / project_s, args.rows / raw_s
        print(f"database: {dialect}  rows: {args.rows}")
        print(f"project import: {project_rate:,.0f} rows/s ({project_s:.1f} s, incl. parsing, "
              f"validation, guardians and audit rows)")
        print(f"raw Core executemany: {raw_rate:,.0f} rows/s ({raw_s:.1f} s)")
        print(f"ratio project/raw: {project_rate / raw_rate:.2f} (target >= 0.33)")
        resync_rate, update_rate = resync_n / resync_s, resync_n / resync_raw_s
        print(f"project re-sync of {resync_n} changed records: {resync_rate:,.0f} rows/s "
              f"({resync_s:.1f} s, incl. reading, comparing, version checks and audit rows)")
        print(f"raw Core update executemany: {update_rate:,.0f} rows/s ({resync_raw_s:.1f} s)")
        print(f"ratio re-sync/raw update: {resync_rate / update_rate:.2f} (target >= 0.33); "
              f"re-sync/raw insert: {resync_rate / raw_rate:.2f}")
    finally:
        with app.app_context():
            db.session.remove()
            for engine in db.engines.values():
                engine.dispose()
        drop()


if __name__ == "__main__":
    main()
