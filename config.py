"""Settings, all read from the environment with safe defaults.

Out of the box: SQLite file database under ``instance/``, no Redis (jobs run in-process),
Chinese UI. Any ``KAOSHENG_ENV`` but ``development`` refuses to start without a real
``SECRET_KEY``.
"""
import os
from datetime import timedelta

from flask_appbuilder.const import AUTH_DB

BASE_DIR = os.path.abspath(os.path.dirname(__file__))
INSTANCE_DIR = os.environ.get("KAOSHENG_INSTANCE", os.path.join(BASE_DIR, "instance"))

ENV = os.environ.get("KAOSHENG_ENV", "development")
# Outside ENV="development" the app refuses to start with this key (app._check_config).
DEV_SECRET_KEY = "dev-only-not-secret"
SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)

SQLALCHEMY_DATABASE_URI = os.environ.get(
    "DATABASE_URL", "sqlite:///" + os.path.join(INSTANCE_DIR, "kaosheng.db")
)
SQLALCHEMY_TRACK_MODIFICATIONS = False
REDIS_URL = os.environ.get("REDIS_URL", "")
RQ_QUEUE = os.environ.get("RQ_QUEUE", "kaosheng")
UPLOAD_DIR = os.environ.get("KAOSHENG_UPLOADS", os.path.join(INSTANCE_DIR, "files"))

APP_NAME = "考生信息采集系统"
APP_THEME = ""
FAB_BASE_TEMPLATE = "base.html"
# Alembic owns the schema; permissions and roles are synced by `flask kaosheng init`.
FAB_CREATE_DB = False
FAB_UPDATE_PERMS = False
# No JWT (FAB's security REST API; app.security_views.NoSecurityApi) and no raw permission
# screens: roles are data synced by `flask kaosheng init`.
FAB_ADD_SECURITY_API = False
FAB_ADD_SECURITY_PERMISSION_VIEW = False
FAB_ADD_SECURITY_VIEW_MENU_VIEW = False
FAB_ADD_SECURITY_PERMISSION_VIEWS_VIEW = False
FAB_SECURITY_MANAGER_CLASS = "app.security.KsSecurityManager"
FAB_INDEX_VIEW = "app.dashboard.DashboardIndexView"
FAB_API_SWAGGER_UI = False

AUTH_TYPE = AUTH_DB
AUTH_ROLE_ADMIN = "province_admin"
AUTH_ROLE_PUBLIC = "public"
AUTH_USER_REGISTRATION = False
# Login throttling; Redis storage makes the limit global across gunicorn workers.
AUTH_RATE_LIMITED = True
AUTH_RATE_LIMIT = os.environ.get("AUTH_RATE_LIMIT", "10 per minute")
RATELIMIT_ENABLED = True
RATELIMIT_STORAGE_URI = REDIS_URL or "memory://"
RATELIMIT_HEADERS_ENABLED = True
# Number of reverse proxies (nginx…) in front of the app whose X-Forwarded-For/-Proto are
# trusted; 0 trusts none (a client could otherwise pick its own address to dodge the limit).
PROXY_FIX_HOPS = int(os.environ.get("PROXY_FIX_HOPS", "0"))
# scrypt's default cost (~120 ms) makes the login the bottleneck; n=2**14 keeps it strong
# but about 4x cheaper (see README, Security).
FAB_PASSWORD_HASH_METHOD = os.environ.get("PASSWORD_HASH_METHOD", "scrypt:16384:8:1")

WTF_CSRF_ENABLED = True
WTF_CSRF_TIME_LIMIT = 3600
PERMANENT_SESSION_LIFETIME = timedelta(minutes=int(os.environ.get("SESSION_MINUTES", "30")))
SESSION_REFRESH_EACH_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = ENV == "production"

BABEL_DEFAULT_LOCALE = "zh"
BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
# FAB resolves a relative entry against the app package, so this must be absolute.
BABEL_TRANSLATION_DIRECTORIES = os.path.join(BASE_DIR, "translations")
LANGUAGES = {
    "zh": {"flag": "cn", "name": "中文"},
    "en": {"flag": "gb", "name": "English"},
}

FAB_PASSWORD_COMPLEXITY_ENABLED = True


def _staff_password_validator(password):
    from app.passwords import staff_password_validator

    staff_password_validator(password)


FAB_PASSWORD_COMPLEXITY_VALIDATOR = _staff_password_validator

# Who may unlock a signed (locked) candidate record; county level and above by default.
UNLOCK_ROLES = tuple(
    r.strip() for r in os.environ.get("UNLOCK_ROLES", "county_admin,city_admin,province_admin").split(",")
    if r.strip())

# An activity without a configured window is open (false) or closed (true) for an exam.
PHASES_REQUIRED = os.environ.get("PHASES_REQUIRED", "").lower() in ("1", "true", "yes")

# Candidate self-service (/me/, app/selfservice): activation codes printed by the school expire
# after this many days; per-address limit on login/activation/recovery/password posts (a school
# lab shares one NAT address, so it is generous: the per-account lock stops guessing);
# per-account lock after repeated failures; idle timeout (SESSION_MINUTES) and an absolute
# session lifetime.
SELF_SERVICE_CODE_DAYS = int(os.environ.get("SELF_SERVICE_CODE_DAYS", "14"))
SELF_SERVICE_RATE_LIMIT = os.environ.get("SELF_SERVICE_RATE_LIMIT", "60 per minute")
SELF_SERVICE_MAX_HOURS = float(os.environ.get("SELF_SERVICE_MAX_HOURS", "8"))
SELF_SERVICE_MAX_FAILURES = int(os.environ.get("SELF_SERVICE_MAX_FAILURES", "5"))
SELF_SERVICE_LOCK_MINUTES = int(os.environ.get("SELF_SERVICE_LOCK_MINUTES", "15"))
SESSION_MINUTES = int(os.environ.get("SESSION_MINUTES", "30"))
