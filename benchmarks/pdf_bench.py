"""Cost of the project's form printing over bare xhtml2pdf on the same HTML, and the
throughput of batch printing (pages/s) through the project's batch path.

    python benchmarks/pdf_bench.py --n 50 --batch 1000     # defaults
    python benchmarks/pdf_bench.py --n 20 --batch 100      # quick
    python benchmarks/pdf_bench.py --batch 0              # single forms only

Everything runs on a temporary SQLite database, migrated and seeded with the demo data plus
enough candidates (each with a guardian, a study period and a photo) for the batch.

Part 1: ``render_form("registration", candidate)`` — the path a print request takes: the photo
read from storage, the Jinja template with code labels and the verification code, then
``render_pdf`` (link callback, resource policy, font) — against bare ``pisa.CreatePDF`` on the
identical HTML, rendered once beforehand with the photo inlined as a data: URI (the only
difference: our path serves it from memory). Target: ratio <= 1.3.

Part 2: one 报名登记表 batch of ``--batch`` forms requested by henan_admin runs
``app.printing.tasks.run_batch`` (scoping, parts of PART_SIZE forms, merge of the parts) first
in-process, then with 1 and 2 ``python -m app.worker --burst`` processes on the Redis of
``REDIS_URL`` (default redis://127.0.0.1:6379/14 when that answers; the queue is the run's own
and is removed afterwards). The parts are queued before the workers start; their wall time
includes each worker's start-up (app creation and font registration, ~2 s).

``--memory 400,1600``: peak memory of merging a batch. One part of PART_SIZE real 报名登记表
(with photos) is rendered, then for each size a fresh process merges that part file over and
over (size / PART_SIZE parts, each opened from disk) into a file, once with the project's
``merge_pdfs`` and once with pypdf's ``PdfWriter.append`` (the merge before issue 14), and
prints its peak RSS (``ru_maxrss``) and the RSS once the imports are done.

``--job-memory 2000``: peak memory of a whole batch job. That many 报名登记表 (with photos) are
seeded, then a fresh process runs ``run_batch`` for all of them in-process (every part rendered
and the merge, the worst case: an rq worker runs one part or the merge per job) and prints its
peak RSS (VmHWM) against the 300 MB bound of issue 14, with the pages and the time.
"""
import argparse
import base64
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from xhtml2pdf import pisa  # noqa: E402

from app.printing.pdf import merge_pdfs, page_count, register_cjk_font  # noqa: E402


def bare(html: str) -> bytes:
    out = io.BytesIO()
    if pisa.CreatePDF(html, dest=out).err:
        raise RuntimeError("bare xhtml2pdf failed")
    return out.getvalue()


def renderer_vs_pisa(app, candidate_id, n):
    from app.candidates.models import Candidate
    from app.extensions import db
    from app.printing.render import photo_bytes, render_form, render_form_html

    t0 = time.perf_counter()
    font = register_cjk_font()
    print(f"font: {font.reportlab_name} ({'TTF ' + font.path if font.is_ttf else 'CID fallback'})"
          f", registration {1000 * (time.perf_counter() - t0):.0f} ms")

    with app.test_request_context():
        candidate = db.session.get(Candidate, candidate_id)
        photo = photo_bytes(candidate)
        assert photo, "the benchmark candidate has no photo"
        uri = "data:image/jpeg;base64," + base64.b64encode(photo).decode()
        html, _code = render_form_html("registration", candidate, photo_src=uri)

        t0 = time.perf_counter()
        render_form("registration", candidate)
        print(f"first render (warm-up): {1000 * (time.perf_counter() - t0):.0f} ms")
        bare(html)

        # Interleaved so that drift (GC, CPU frequency) hits both paths alike.
        ours, theirs, pdfs = [], [], []
        for _ in range(n):
            t0 = time.perf_counter()
            pdfs.append(render_form("registration", candidate))
            t1 = time.perf_counter()
            bare(html)
            t2 = time.perf_counter()
            ours.append(t1 - t0)
            theirs.append(t2 - t1)
        db.session.rollback()

    def ms(xs):
        return f"mean {1000 * statistics.mean(xs):6.1f} ms, median {1000 * statistics.median(xs):6.1f} ms"

    print(f"render_form     ({n} forms): {ms(ours)}")
    print(f"bare CreatePDF  ({n} forms): {ms(theirs)}")
    ratio = statistics.median(ours) / statistics.median(theirs)
    print(f"ratio (median)  : {ratio:.2f}  (target <= 1.3) {'OK' if ratio <= 1.3 else 'OVER'}")

    t0 = time.perf_counter()
    merged = merge_pdfs(pdfs)
    merge_s = time.perf_counter() - t0
    pages = page_count(merged)
    total_s = sum(ours) + merge_s
    print(f"forms merged: {pages} pages, {len(merged) / 1024:.0f} KiB; merge {1000 * merge_s:.0f} ms;"
          f" render+merge {pages / total_s:.1f} pages/s")


# --- batch printing through the project's path ------------------------------------------

REDIS_DEFAULT_URL = "redis://127.0.0.1:6379/14"


def redis_url():
    """REDIS_URL when set, else the local default; None when that Redis does not answer."""
    from redis import Redis
    from redis.exceptions import RedisError

    url = os.environ.get("REDIS_URL") or REDIS_DEFAULT_URL
    try:
        Redis.from_url(url, socket_connect_timeout=1).ping()
    except RedisError:
        return None
    return url


def seed_batch_db(app, n):
    """Demo data plus candidates up to ``n`` for the 中招 exam; returns their ids."""
    import datetime as dt

    from flask_migrate import upgrade
    from sqlalchemy import select

    from app.candidates.models import Candidate, Guardian, StudyHistory
    from app.validators import make_id_number
    from app.demo import seed_demo
    from app.codes import ZHONGZHAO
    from app.exams.models import Exam
    from app.extensions import db
    from app.jurisdiction import Node
    from app.photos.service import accept_photo
    from tests.photo_faces import encode, portrait

    with app.app_context():
        upgrade()
        app.appbuilder.sm.sync_roles()
        seed_demo()
        db.session.commit()
        exam = db.session.get(Exam, db.session.execute(
            select(Candidate.exam_id).join(Exam, Candidate.exam_id == Exam.id)
            .where(Exam.kind == ZHONGZHAO).order_by(Candidate.id).limit(1)).scalar_one())
        have = db.session.execute(select(Candidate.id).where(Candidate.exam_id == exam.id)
                                  ).scalars().all()
        school = db.session.execute(select(Node).where(Node.code == "41010201")).scalar_one()
        for i in range(max(0, n - len(have))):
            birth = dt.date(2010, 1, 1) + dt.timedelta(days=i // 800)
            cand = Candidate(exam=exam, node=school, name="批量" + "甲乙丙丁戊己庚辛"[i % 8],
                             gender="1" if i % 2 else "2", birth_date=birth,
                             id_number=make_id_number("410102", birth, 100 + i % 800),
                             ethnicity="01", political_status="03", category="01",
                             phone="13800000000", address="郑州市中原区", postcode="450000",
                             hukou="410102", student_number=f"B{i:06d}")
            cand.guardians.append(Guardian(name="张建国", relation="51", phone="13900000000"))
            cand.studies.append(StudyHistory(start=dt.date(2022, 9, 1), school=school.name))
            db.session.add(cand)
        db.session.commit()
        ids = db.session.execute(select(Candidate.id).where(Candidate.exam_id == exam.id)
                                 .order_by(Candidate.id).limit(n)).scalars().all()
        photo = encode(portrait())
        for cand in db.session.execute(select(Candidate).where(Candidate.id.in_(ids))).scalars():
            accept_photo(cand, photo, "photo", None)
        db.session.commit()
        return ids, exam.id


def new_batch(app, ids, exam_id):
    from app.extensions import db
    from app.printing.models import PrintBatch
    from app.security import KsUser

    with app.app_context():
        user = db.session.execute(db.select(KsUser).where(KsUser.username == "henan_admin")
                                  ).scalar_one()
        batch = PrintBatch(user_id=user.id, node_path=user.node.path, kind="registration",
                           exam_id=exam_id, selection={"ids": list(ids)}, status="queued")
        db.session.add(batch)
        db.session.commit()
        return batch.id


def batch_result(app, batch_id):
    from pypdf import PdfReader

    from app import filestore
    from app.extensions import db
    from app.printing.models import PrintBatch

    with app.app_context():
        batch = db.session.get(PrintBatch, batch_id)
        if not batch.result_path:
            return batch.status, batch.done, batch.pages, 0, 0
        with filestore.open_file(batch.result_path) as fh:
            pages = len(PdfReader(fh).pages)
            size = fh.seek(0, os.SEEK_END)
        return batch.status, batch.done, batch.pages, pages, size


def report(label, seconds, result, n):
    status, done, pages, real_pages, size = result
    ok = status == "done" and done == n and real_pages == pages
    print(f"{label:<26}: {pages} pages in {seconds:6.1f} s = {pages / seconds:5.1f} pages/s"
          f"  ({size / 2**20:.1f} MiB){'' if ok else f'  [CHECK: status={status} done={done} pdf pages={real_pages}]'}")


def bench(n, batch):
    from app import create_app

    folder = tempfile.mkdtemp(prefix="kaosheng-pdf-bench-")
    db_url = "sqlite:///" + os.path.join(folder, "bench.db")
    uploads = os.path.join(folder, "files")
    config = {"SQLALCHEMY_DATABASE_URI": db_url, "UPLOAD_DIR": uploads, "SECRET_KEY": "bench",
              "REDIS_URL": "", "JOBS_LOCAL": "inline",
              "RQ_QUEUE": f"kaosheng-pdf-bench-{uuid.uuid4().hex[:8]}"}
    app = create_app(config)
    try:
        t0 = time.perf_counter()
        ids, exam_id = seed_batch_db(app, max(batch, 1))
        print(f"seeded {len(ids)} candidates with photos in {time.perf_counter() - t0:.1f} s\n")
        renderer_vs_pisa(app, ids[0], n)
        if batch > 0:
            _batch_runs(app, config, db_url, uploads, ids, exam_id)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _batch_runs(app, config, db_url, uploads, ids, exam_id):
    from app.printing.tasks import PART_SIZE, run_batch

    n = len(ids)
    print(f"\nbatch printing: {n} 报名登记表 forms with photos, parts of {PART_SIZE}")
    batch_id = new_batch(app, ids, exam_id)
    t0 = time.perf_counter()
    with app.app_context():
        run_batch(batch_id)
    report("in-process (no Redis)", time.perf_counter() - t0, batch_result(app, batch_id), n)

    url = redis_url()
    if url is None:
        print(f"rq workers: skipped (no Redis answers at {os.environ.get('REDIS_URL') or REDIS_DEFAULT_URL})")
        return
    from redis import Redis

    app.config["REDIS_URL"] = url
    env = dict(os.environ, DATABASE_URL=db_url, REDIS_URL=url, RQ_QUEUE=config["RQ_QUEUE"],
               KAOSHENG_UPLOADS=uploads, SECRET_KEY="bench", PYTHONPATH=str(ROOT))
    try:
        for workers in (1, 2):
            batch_id = new_batch(app, ids, exam_id)
            with app.app_context():
                run_batch(batch_id)  # plans the batch and queues its parts in Redis
            t0 = time.perf_counter()
            procs = [subprocess.Popen([sys.executable, "-m", "app.worker", "--burst"], cwd=ROOT,
                                      env=env, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL) for _ in range(workers)]
            for proc in procs:
                proc.wait()
            report(f"rq, {workers} worker{'s' if workers > 1 else ''}",
                   time.perf_counter() - t0, batch_result(app, batch_id), n)
    finally:
        from rq import Queue

        connection = Redis.from_url(url)
        queue = Queue(config["RQ_QUEUE"], connection=connection)
        for registry in (queue.finished_job_registry, queue.failed_job_registry):
            for job_id in registry.get_job_ids():
                connection.delete(f"rq:job:{job_id}", f"rq:results:{job_id}")
        queue.delete(delete_jobs=True)
        for key in connection.scan_iter(f"rq:*:{config['RQ_QUEUE']}"):
            connection.delete(key)


def merge_memory(sizes):
    """Peak RSS of the merge for each batch size in ``sizes`` (forms), ours against PdfWriter."""
    from app import create_app
    from app.candidates.models import Candidate
    from app.extensions import db
    from app.printing.pdf import PdfConcatenation
    from app.printing.render import render_form
    from app.printing.tasks import PART_SIZE

    folder = tempfile.mkdtemp(prefix="kaosheng-pdf-bench-")
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite:///" + os.path.join(folder, "bench.db"),
                      "UPLOAD_DIR": os.path.join(folder, "files"), "SECRET_KEY": "bench",
                      "REDIS_URL": "", "JOBS_LOCAL": "inline"})
    try:
        ids, _exam = seed_batch_db(app, PART_SIZE)
        part = os.path.join(folder, "part.pdf")
        with app.app_context(), open(part, "wb") as out:
            merged = PdfConcatenation(out)
            for cid in ids:
                merged.append(render_form("registration", db.session.get(Candidate, cid)))
            merged.close()
        print(f"\nmerge memory: one part of {PART_SIZE} 报名登记表 with photos, "
              f"{os.path.getsize(part) / 2**20:.2f} MiB, merged size/{PART_SIZE} times")
        for size in sizes:
            for merger in ("merge_pdfs", "PdfWriter"):
                out = subprocess.run(
                    [sys.executable, __file__, "--merge-child", part, str(-(-size // PART_SIZE)),
                     merger], capture_output=True, text=True, check=True, cwd=ROOT).stdout
                print(f"{size:>6} forms, {merger:<10}: {out.strip()}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def merge_child(part, copies, merger):
    """In a fresh process: merge ``copies`` of the part file, print RSS and time."""
    from pypdf import PdfWriter

    def rss_mib():
        # VmHWM (Linux): this process's peak RSS. ru_maxrss would carry the parent's over exec.
        with open("/proc/self/status") as fh:
            line = next(x for x in fh if x.startswith("VmHWM:"))
        return int(line.split()[1]) / 1024

    def opened():
        for _ in range(copies):
            with open(part, "rb") as fh:
                yield fh

    base = rss_mib()
    t0 = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        if merger == "merge_pdfs":
            merge_pdfs(opened(), out)
        else:
            writer = PdfWriter()
            for fh in opened():
                writer.append(fh)
            writer.write(out)
        size = out.tell()
    print(f"peak RSS {rss_mib():6.0f} MiB (after imports {base:.0f} MiB), "
          f"{size / 2**20:.0f} MiB PDF in {time.perf_counter() - t0:.1f} s")


def job_memory(n):
    """Seed ``n`` forms, then run their whole batch job in a fresh process (job_child)."""
    from app import create_app

    folder = tempfile.mkdtemp(prefix="kaosheng-pdf-bench-")
    db_url = "sqlite:///" + os.path.join(folder, "bench.db")
    uploads = os.path.join(folder, "files")
    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "UPLOAD_DIR": uploads,
                      "SECRET_KEY": "bench", "REDIS_URL": "", "JOBS_LOCAL": "inline"})
    try:
        t0 = time.perf_counter()
        ids, exam_id = seed_batch_db(app, n)
        print(f"seeded {len(ids)} candidates with photos in {time.perf_counter() - t0:.1f} s")
        batch_id = new_batch(app, ids, exam_id)
        out = subprocess.run([sys.executable, __file__, "--job-child", db_url, uploads,
                              str(batch_id)], capture_output=True, text=True, check=True,
                             cwd=ROOT).stdout
        print(f"batch job of {len(ids)} forms in one process: {out.strip()}")
        status, done, pages, real_pages, size = batch_result(app, batch_id)
        print(f"result: status {status}, {done} forms, {real_pages} PDF pages, "
              f"{size / 2**20:.1f} MiB")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def job_child(db_url, uploads, batch_id):
    """In a fresh process: the whole batch job in-process; print its peak RSS."""
    from app import create_app
    from app.printing.tasks import run_batch

    with open("/proc/self/status") as fh:
        base = int(next(x for x in fh if x.startswith("VmHWM:")).split()[1]) / 1024
    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "UPLOAD_DIR": uploads,
                      "SECRET_KEY": "bench", "REDIS_URL": "", "JOBS_LOCAL": "inline"})
    t0 = time.perf_counter()
    with app.app_context():
        run_batch(batch_id)
    with open("/proc/self/status") as fh:
        peak = int(next(x for x in fh if x.startswith("VmHWM:")).split()[1]) / 1024
    print(f"peak RSS {peak:.0f} MiB (at start {base:.0f} MiB; bound 300 MB = 286 MiB), "
          f"{time.perf_counter() - t0:.0f} s")


def main():
    if sys.argv[1:2] == ["--merge-child"]:
        merge_child(sys.argv[2], int(sys.argv[3]), sys.argv[4])
        return
    if sys.argv[1:2] == ["--job-child"]:
        job_child(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50, help="forms per path (default 50)")
    parser.add_argument("--batch", type=int, default=1000,
                        help="forms in the batch-printing run (default 1000; 0 skips it)")
    parser.add_argument("--memory", metavar="SIZES",
                        help="only the merge's peak memory for these batch sizes, e.g. 400,1600")
    parser.add_argument("--job-memory", type=int, metavar="N",
                        help="only the peak memory of one batch job of N forms, e.g. 2000")
    args = parser.parse_args()
    if args.job_memory:
        job_memory(args.job_memory)
        return
    if args.memory:
        merge_memory([int(s) for s in args.memory.split(",")])
        return
    bench(args.n, args.batch)


if __name__ == "__main__":
    main()
