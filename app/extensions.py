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
def _sqlite_pragmas(dbapi_connection, connection_record):
    # A web process and a job writing together fail with "database is locked" under
    # SQLite's defaults; WAL + a busy timeout lets them queue instead.
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
