"""Test fixtures: one migrated, seeded template database per run (SQLite, or a throwaway
PostgreSQL database when KAOSHENG_TEST_PG is set), a fresh copy of it for every test module,
and HTTP clients logged in per role and node."""
import contextlib
import os
import re
import shutil
import sqlite3
import uuid

import pytest
from sqlalchemy import select

from app import create_app
from app.demo import DEMO_PASSWORD
from app.extensions import db

# Fixtures shared by several modules, kept out of the test modules (none imports another).
pytest_plugins = ["fixtures_selfservice"]

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def _pg_database(template=None):
    """Create a throwaway PostgreSQL database (a copy of ``template`` when given); return its
    URL and a function dropping it."""
    import psycopg
    from sqlalchemy.engine import make_url

    admin_url = make_url(os.environ["KAOSHENG_TEST_PG"])
    name = f"kaosheng_test_{uuid.uuid4().hex[:10]}"
    params = dict(host=admin_url.host, port=admin_url.port or 5432, user=admin_url.username,
                  dbname=admin_url.database or "postgres")

    def run(sql):
        conn = psycopg.connect(**params, autocommit=True)
        with conn.cursor() as cur:
            cur.execute(sql)
        conn.close()

    run(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    return admin_url.set(database=name).render_as_string(hide_password=False), lambda: run(
        f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pytest_collection_modifyitems(config, items):
    """KAOSHENG_TEST_ORDER=reverse runs the tests last to first (after pytest-randomly's
    shuffle, when that is on): a test leaning on an earlier test's data or state fails then."""
    if os.environ.get("KAOSHENG_TEST_ORDER") == "reverse":
        items.reverse()


def make_config(tmp_path, **extra):
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "AUTH_RATE_LIMIT": "1000 per minute",
        "UPLOAD_DIR": str(tmp_path / "files"),
        "REDIS_URL": os.environ.get("KAOSHENG_TEST_REDIS", ""),
        "JOBS_LOCAL": "inline",  # without Redis, jobs run inside the request: deterministic
    }
    config.update(extra)
    return config


@contextlib.contextmanager
def seeded_app(instance_dir, database_url, prepare=None):
    """An app on a migrated database with the demo data (and ``prepare(app)`` run in its
    context before the commit); its connections are closed afterwards."""
    from flask_migrate import upgrade

    from app.demo import seed_demo

    app = create_app(make_config(instance_dir, SQLALCHEMY_DATABASE_URI=database_url))
    with app.app_context():
        upgrade()
        app.appbuilder.sm.sync_roles()
        seed_demo()
        if prepare is not None:
            prepare(app)
        db.session.commit()
    try:
        yield app
    finally:
        close_connections(app)


def close_connections(app):
    """Close the app's connections (a database is dropped or a file removed after)."""
    with app.app_context():
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()


class Template:
    """The migrated, seeded demo database every test module's database is a copy of: a SQLite
    file copied with the backup API, or a PostgreSQL database used as ``TEMPLATE`` (which
    needs no open connection to it, so the seeding app's connections are closed first)."""

    def __init__(self, tmp_path_factory):
        self.tmp = tmp_path_factory
        self.files = tmp_path_factory.mktemp("template") / "files"
        self.drop = None
        if os.environ.get("KAOSHENG_TEST_PG"):
            self.url, self.drop = _pg_database()
        else:
            self.url = "sqlite:///" + str(self.tmp.mktemp("templatedb") / "template.db")
        with seeded_app(self.files.parent, self.url):
            pass

    def clone(self, name):
        """(URL of a new copy of the template database, function dropping it)."""
        if os.environ.get("KAOSHENG_TEST_PG"):
            from sqlalchemy.engine import make_url

            return _pg_database(template=make_url(self.url).database)
        path = self.tmp.mktemp(f"{name}db") / f"{name}.db"
        source = sqlite3.connect(self.url.removeprefix("sqlite:///"))
        target = sqlite3.connect(path)
        with target:
            source.backup(target)
        source.close()
        target.close()
        return f"sqlite:///{path}", None

    @contextlib.contextmanager
    def app(self, name, prepare=None):
        """An app on a fresh copy of the template (and of its UPLOAD_DIR), with
        ``prepare(app)`` run and committed first; dropped afterwards."""
        url, drop = self.clone(name)
        instance = self.tmp.mktemp(name)
        if self.files.exists():
            shutil.copytree(self.files, instance / "files")
        app = create_app(make_config(instance, SQLALCHEMY_DATABASE_URI=url))
        try:
            if prepare is not None:
                with app.app_context():
                    prepare(app)
                    db.session.commit()
            yield app
        finally:
            close_connections(app)
            if drop:
                drop()


@pytest.fixture(scope="session")
def template(tmp_path_factory):
    """Seeded once per run; see Template."""
    tpl = Template(tmp_path_factory)
    yield tpl
    if tpl.drop:
        tpl.drop()


@pytest.fixture(scope="session")
def module_app(template):
    """module_app(name, prepare=None): a context manager giving an app on a database of its
    own, a copy of the template with ``prepare(app)`` committed (a module overriding ``app``
    with data of its own, or needing a second database)."""
    return template.app


@pytest.fixture(scope="module")
def app(module_app, request):
    """Every test module gets its own copy of the seeded demo database and its own UPLOAD_DIR,
    so nothing a module changes is seen by another, whatever the order."""
    with module_app(request.module.__name__.rpartition(".")[2]) as app:
        yield app


@pytest.fixture(scope="module")
def database_url(app):
    """The URL of this module's database (for a second app on it with other settings)."""
    return app.config["SQLALCHEMY_DATABASE_URI"]


class Client:
    """A test client that keeps its CSRF token and speaks in form posts."""

    def __init__(self, app, run_jobs=None):
        self.app = app
        self.http = app.test_client()
        self.token = None
        # Runs the jobs this client queued (no-op when jobs run in-process).
        self.run_jobs = run_jobs or (lambda: None)

    def get(self, url, **kw):
        return self.http.get(url, **kw)

    def post(self, url, data=None, **kw):
        data = dict(data or {})
        data.setdefault("csrf_token", self.token)
        return self.http.post(url, data=data, **kw)

    def refresh_token(self, url="/login/"):
        page = self.http.get(url).get_data(as_text=True)
        match = CSRF_RE.search(page)
        if match:
            self.token = match.group(1)
        return page

    def login(self, username, password=DEMO_PASSWORD):
        self.refresh_token("/login/")
        resp = self.post("/login/", {"username": username, "password": password})
        return resp


@pytest.fixture
def client(app, run_jobs):
    return Client(app, run_jobs)


@pytest.fixture
def login(app, run_jobs):
    """login("zy_admin") → a Client logged in as that demo user."""

    def make(username, password=DEMO_PASSWORD):
        c = Client(app, run_jobs)
        resp = c.login(username, password)
        assert resp.status_code == 302 and "/login" not in resp.location, f"login of {username} failed"
        return c

    return make


# One logged-in Client per demo role (app/demo.py DEMO_USERS), named after the role; the
# ``login`` factory gives the others (eq_admin, zzfl_school, users a test adds).


@pytest.fixture
def province_admin(login):
    return login("henan_admin")


@pytest.fixture
def auditor(login):
    return login("henan_auditor")


@pytest.fixture
def city_admin(login):
    return login("zz_admin")


@pytest.fixture
def city_reviewer(login):
    return login("zz_reviewer")


@pytest.fixture
def county_admin(login):
    """中原区's administrator."""
    return login("zy_admin")


@pytest.fixture
def county_reviewer(login):
    return login("zy_reviewer")


@pytest.fixture
def exam_clerk(login):
    """中原区's physical-exam clerk."""
    return login("zy_clerk")


@pytest.fixture
def school_staff(login):
    """五十七中 (41010201)'s data-entry staff."""
    return login("zy_school")


@pytest.fixture
def school_reviewer(login):
    return login("zy_school_reviewer")


@pytest.fixture
def point_staff(login):
    """中原区报名点 (BM410102)'s data-entry staff."""
    return login("zy_point")


@pytest.fixture
def point_reviewer(login):
    return login("zy_point_reviewer")


@pytest.fixture
def ids(app):
    """Look up ids of demo objects by code (nodes) or username (users)."""
    from app.jurisdiction import Node
    from app.security import KsUser

    class Ids:
        def node(self, code):
            with app.app_context():
                return db.session.execute(select(Node.id).where(Node.code == code)).scalar_one()

        def user(self, username):
            with app.app_context():
                return db.session.execute(
                    select(KsUser.id).where(KsUser.username == username)).scalar_one()

    return Ids()


@pytest.fixture
def run_jobs(app, monkeypatch):
    """Run queued jobs: with Redis configured, jobs go to rq, so run them in a burst worker
    (as ``python -m app.worker --burst`` would) on a queue of this test's own; without Redis
    they already ran in-process and this does nothing."""
    url = app.config.get("REDIS_URL")
    if not url:
        yield lambda: None
        return
    from redis import Redis
    from rq import Queue

    from app.worker import AppWorker

    name = f"kaosheng-test-{uuid.uuid4().hex[:8]}"
    monkeypatch.setitem(app.config, "RQ_QUEUE", name)
    connection = Redis.from_url(url)

    def run():
        worker = AppWorker([name], connection=connection)
        worker.flask_app = app
        worker.work(burst=True)

    yield run
    queue = Queue(name, connection=connection)
    for registry in (queue.finished_job_registry, queue.failed_job_registry):
        for job_id in registry.get_job_ids():
            connection.delete(f"rq:job:{job_id}", f"rq:results:{job_id}")
    queue.delete(delete_jobs=True)
    for key in connection.scan_iter(f"rq:*:{name}"):
        connection.delete(key)
