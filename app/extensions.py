"""Extension singletons shared by every app instance.

AppBuilder is created per app in ``create_app`` (it keeps per-app view instances), so code
reaches it through ``current_app.appbuilder``.
"""
from flask_appbuilder.models.sqla.base import SQLA
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import event
from sqlalchemy.engine import Engine

db = SQLA()
# Protects every POST, and makes FAB refuse state changes through GET (delete links).
csrf = CSRFProtect()
migrate = Migrate(render_as_batch=True, compare_type=True)


@event.listens_for(Engine, "connect")
def _connection_settings(dbapi_connection, connection_record):
    # A web process and a job writing together fail with "database is locked" under
    # SQLite's defaults; WAL + a busy timeout lets them queue instead.
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
    elif type(dbapi_connection).__module__.startswith("psycopg"):
        # psycopg prepares a statement on the server after 5 runs, and PostgreSQL may then
        # reuse a generic plan built from the statistics of the moment. During a large import
        # into a fresh exam those are stale (a near-empty table), and the generic plan of the
        # import's "ID number IN (…)" lookup scans the whole exam: measured 0.7 s per chunk at
        # 60k rows, the import falling to 600 rows/s. Custom plans see the real parameters.
        dbapi_connection.execute("SET plan_cache_mode = force_custom_plan")
        dbapi_connection.commit()
