"""Load test of the candidate self-service pages (/me/) under gunicorn, against a bare Flask
"hello" route on the same gunicorn settings as the ceiling.

    python benchmarks/selfservice_load.py                       # defaults below
    python benchmarks/selfservice_load.py --candidates 100 --threads 8 --duration 5
    python benchmarks/selfservice_load.py --database-url postgresql://postgres@127.0.0.1/kaosheng_scale_…

Steps (all on loopback, everything stops by itself and is cleaned up):
1. a temporary SQLite database: ``flask db upgrade`` + ``flask kaosheng seed-demo``, then
   ``--candidates`` demo candidates get an activated self-service account directly in the DB
   (one password hashed once with the configured method, so seeding stays quick);
2. ``gunicorn -w 2 -b 127.0.0.1:PORT run:app`` with DATABASE_URL pointing at it;
3. log in every candidate (GET the form for the CSRF token, POST ID number + password) from
   ``--threads`` threads: logins/s, bounded by the password hash (scrypt n=2**14);
4. the status page (GET /me/) alone, then a mix of the status page, the edit page
   (GET /me/info) and a contact edit (POST /me/info/contact, every 10th request), each for
   ``--duration`` seconds or ``--max-requests`` requests: requests/s, p50/p95, errors;
5. the same threads against ``benchmarks/hello_app.py`` (GET /) as the ceiling.

The per-address login limit (SELF_SERVICE_RATE_LIMIT, default 60/minute) would refuse the
benchmark's logins, which all come from 127.0.0.1: the run sets
``SELF_SERVICE_RATE_LIMIT="1000000 per minute"`` in gunicorn's environment (the benchmark's
own override; never use it in production). Target: >= 300 req/s on the status page, 0 errors.
"""
import argparse
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench-river-stone-42"
TOKEN_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(cmd, env):
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE)


def seed(env, n, existing=False):
    """Migrate, load the demo (unless ``existing``: a database built already, e.g. the 1M
    candidates of scale_bench.py --keep), activate ``n`` accounts of candidates picked at
    random across the table; return their ID numbers."""
    flask = [sys.executable, "-m", "flask", "--app", "run"]
    if not existing:
        run(flask + ["db", "upgrade"], env)
        run(flask + ["kaosheng", "seed-demo"], env)
    code = f"""
import os, sys
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash
from app import create_app
from app.extensions import db
from app.candidates.models import Candidate
from app.selfservice.models import CandidateAccount
app = create_app()
with app.app_context():
    h = generate_password_hash({PASSWORD!r}, method=app.config["FAB_PASSWORD_HASH_METHOD"])
    # The demo data activates two accounts of its own: take candidates without one.
    # Draft records (the contact edit of the mixed phase is refused on a reviewed one).
    cands = db.session.execute(select(Candidate).where(~select(CandidateAccount.id).where(
        CandidateAccount.candidate_id == Candidate.id).exists(), Candidate.state == "draft",
        Candidate.locked.is_(False)).order_by(func.random())
        .limit({n})).scalars().all()
    for c in cands:
        db.session.add(CandidateAccount(candidate_id=c.id, password_hash=h,
                                        recovery_question="q", recovery_answer_hash=h))
    db.session.commit()
    print("\\n".join(c.id_number for c in cands))
"""
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True).stdout
    return out.split()


class Server:
    def __init__(self, target, env, port):
        self.port = port
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}",
             "--log-level", "warning", target],
            cwd=ROOT, env=env, start_new_session=True)

    def wait(self, path, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("gunicorn exited early")
            try:
                status, _h, _b = request(self.port, "GET", path)
                if status < 500:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer")

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def request(port, method, path, cookie=None, form=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    headers = {"Cookie": cookie} if cookie else {}
    body = None
    if form is not None:
        body = urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, resp.getheaders(), data
    finally:
        conn.close()


def raw_request(port, method, path, cookie=None, form=None):
    """The load phases' client: one HTTP/1.0 request on a raw socket, status code only.

    gunicorn's sync workers close every connection anyway; http.client's header parsing
    (email.parser) costs more CPU than a cached page, and the client shares the machine
    with the server, so the light client measures the server rather than the client."""
    body = urlencode(form).encode() if form is not None else b""
    head = f"{method} {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n"
    if cookie:
        head += f"Cookie: {cookie}\r\n"
    if form is not None:
        head += ("Content-Type: application/x-www-form-urlencoded\r\n"
                 f"Content-Length: {len(body)}\r\n")
    with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:
        sock.sendall(head.encode() + b"\r\n" + body)
        first = sock.recv(65536)
        while sock.recv(65536):
            pass
    return int(first[9:12]), None, None


def session_cookie(headers, old=None):
    for name, value in headers:
        if name.lower() == "set-cookie" and value.startswith("session="):
            return value.split(";", 1)[0]
    return old


class Candidate:
    def __init__(self, id_number):
        self.id_number, self.cookie, self.token = id_number, None, None


def login(port, cand):
    status, headers, body = request(port, "GET", "/me/login")
    cand.cookie = session_cookie(headers)
    token = TOKEN_RE.search(body.decode()).group(1)
    status, headers, _ = request(port, "POST", "/me/login", cand.cookie, {
        "csrf_token": token, "id_number": cand.id_number, "password": PASSWORD})
    cand.cookie = session_cookie(headers, cand.cookie)
    if status != 302:
        return False
    status, headers, body = request(port, "GET", "/me/info", cand.cookie)
    cand.cookie = session_cookie(headers, cand.cookie)
    match = TOKEN_RE.search(body.decode())
    cand.token = match.group(1) if match else None
    return status == 200


def pct(values, p):
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] * 1000


def drive(port, threads, duration, max_requests, pick, send=None):
    """Run ``pick(thread, i) -> (label, method, path, cookie, form, ok_status)`` on threads."""
    lock = threading.Lock()
    counter = [0]
    results = {}
    deadline = time.time() + duration

    def worker(t):
        i = 0
        local = {}
        while time.time() < deadline:
            with lock:
                if counter[0] >= max_requests:
                    break
                counter[0] += 1
            label, method, path, cookie, form, ok = pick(t, i)
            i += 1
            start = time.perf_counter()
            try:
                status, _h, _b = send(port, method, path, cookie, form)
                good = status == ok
            except OSError:
                good = False
            lat = time.perf_counter() - start
            bucket = local.setdefault(label, ([], [0]))
            bucket[0].append(lat)
            bucket[1][0] += 0 if good else 1
        with lock:
            for label, (lats, errs) in local.items():
                agg = results.setdefault(label, ([], [0]))
                agg[0].extend(lats)
                agg[1][0] += errs[0]

    began = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(t,)) for t in range(threads)]
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    elapsed = time.perf_counter() - began
    return elapsed, results


def report(title, elapsed, results):
    total = sum(len(lats) for lats, _ in results.values())
    errors = sum(errs[0] for _, errs in results.values())
    print(f"{title}: {total} requests in {elapsed:.1f} s = {total / elapsed:.0f} req/s, "
          f"errors {errors}")
    for label, (lats, errs) in sorted(results.items()):
        print(f"  {label:<22} {len(lats) / elapsed:7.0f} req/s  p50 {pct(lats, 50):6.1f} ms  "
              f"p95 {pct(lats, 95):6.1f} ms  errors {errs[0]}")
    return total / elapsed, errors


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--candidates", type=int, default=200)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--duration", type=float, default=10.0, help="seconds per phase")
    ap.add_argument("--max-requests", type=int, default=50000, help="per phase")
    ap.add_argument("--client", choices=("raw", "http.client"), default="raw",
                    help="load-phase client (logins always use http.client)")
    ap.add_argument("--database-url",
                    help="an existing database to run against (e.g. the PostgreSQL database "
                         "of scale_bench.py --rows 1000000 --keep); default: a fresh SQLite "
                         "database with the demo data")
    args = ap.parse_args()
    send = raw_request if args.client == "raw" else request

    tmp = tempfile.mkdtemp(prefix="ks-selfservice-bench-")
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "FLASK_APP")}
    env.update({
        "DATABASE_URL": f"sqlite:///{tmp}/bench.db", "KAOSHENG_INSTANCE": tmp,
        "KAOSHENG_UPLOADS": f"{tmp}/files", "SECRET_KEY": "benchmark-only-secret",
        "SELF_SERVICE_RATE_LIMIT": "1000000 per minute", "PYTHONPATH": str(ROOT),
    })
    servers = []
    try:
        t0 = time.perf_counter()
        if args.database_url:
            env["DATABASE_URL"] = args.database_url
        id_numbers = seed(env, args.candidates, existing=bool(args.database_url))
        print(f"seeded {len(id_numbers)} accounts in {time.perf_counter() - t0:.1f} s "
              f"({env['DATABASE_URL']})")

        port = free_port()
        app_server = Server("run:app", env, port)
        servers.append(app_server)
        app_server.wait("/me/login")

        cands = [Candidate(n) for n in id_numbers]
        failed = [0]
        lock = threading.Lock()

        def login_slice(part):
            for cand in part:
                if not login(port, cand):
                    with lock:
                        failed[0] += 1

        slices = [cands[i::args.threads] for i in range(args.threads)]
        began = time.perf_counter()
        pool = [threading.Thread(target=login_slice, args=(s,)) for s in slices]
        for th in pool:
            th.start()
        for th in pool:
            th.join()
        elapsed = time.perf_counter() - began
        print(f"logins: {len(cands)} in {elapsed:.1f} s = {len(cands) / elapsed:.1f} logins/s "
              f"(each: login form + POST + edit page), failed {failed[0]}")
        cands = [c for c in cands if c.token]

        def status_only(t, i):
            c = cands[(t + i * args.threads) % len(cands)]
            return "GET /me/", "GET", "/me/", c.cookie, None, 200

        def mixed(t, i):
            c = cands[(t + i * args.threads) % len(cands)]
            if i % 10 == 9:
                return ("POST /me/info/contact", "POST", "/me/info/contact", c.cookie,
                        {"csrf_token": c.token, "phone": f"139{t:02d}{i % 1000000:06d}",
                         "address": "郑州市中原区建设路1号", "postcode": "450000"}, 302)
            if i % 2:
                return "GET /me/info", "GET", "/me/info", c.cookie, None, 200
            return "GET /me/", "GET", "/me/", c.cookie, None, 200

        status_rate, status_errors = report(
            "status page", *drive(port, args.threads, args.duration, args.max_requests,
                                  status_only, send))
        report("status + edit page + edits", *drive(port, args.threads, args.duration,
                                                     args.max_requests, mixed, send))
        app_server.stop()

        hello_port = free_port()
        hello = Server("benchmarks.hello_app:app", env, hello_port)
        servers.append(hello)
        hello.wait("/")
        hello_rate, _ = report("bare Flask hello (ceiling)", *drive(
            hello_port, args.threads, args.duration, args.max_requests,
            lambda t, i: ("GET /", "GET", "/", None, None, 200), send))
        print(f"status page / hello ceiling = {status_rate / hello_rate:.2f}; target >= 300 "
              f"req/s with 0 errors: {'met' if status_rate >= 300 and not status_errors else 'NOT met'}")
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
