"""Settings, all read from the environment with safe defaults.

Out of the box: SQLite file database under ``instance/``, no Redis (jobs run in background
threads of the app), Chinese UI. Any ``KAOSHENG_ENV`` but ``development`` refuses to start without a real
``SECRET_KEY``.
"""
import os
from datetime import timedelta

from flask_appbuilder.const import AUTH_DB
from werkzeug.security import generate_password_hash

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
# A worker renews its running job's lease this often (s); a job whose lease (TTL, s) ran out
# is reported failed ("the worker stopped"), so a killed worker's job can be resumed soon.
JOB_HEARTBEAT_INTERVAL = float(os.environ.get("JOB_HEARTBEAT_INTERVAL", "30"))
JOB_HEARTBEAT_TTL = int(os.environ.get("JOB_HEARTBEAT_TTL", "90"))
# Without Redis, jobs run in this process: "thread" in JOBS_THREADS background threads (the
# request returns at once and its page shows progress), "inline" inside the request (tests).
JOBS_LOCAL = os.environ.get("JOBS_LOCAL", "thread")
JOBS_THREADS = int(os.environ.get("JOBS_THREADS", "2"))
UPLOAD_DIR = os.environ.get("KAOSHENG_UPLOADS", os.path.join(INSTANCE_DIR, "files"))
# Where stored files live (app/filestore.py): "filesystem" under UPLOAD_DIR (one server, or a
# shared mount), or "postgresql" in the database itself, shared by every app server and
# worker and covered by its replication and backup. UPLOAD_DIR then holds only temp files
# and the job leases of in-process jobs.
FILE_STORE = os.environ.get("FILE_STORE", "filesystem")

APP_NAME = "考生信息采集系统"
APP_THEME = ""
FAB_BASE_TEMPLATE = "base.html"
# Alembic owns the schema; permissions and roles are synced by `flask kaosheng init`.
FAB_CREATE_DB = False
FAB_UPDATE_PERMS = False
# No JWT, no groups and no raw permission screens: KsSecurityManager.register_views registers
# the login, user and role screens only; roles are data synced by `flask kaosheng init`.
FAB_SECURITY_MANAGER_CLASS = "app.security_manager.KsSecurityManager"
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
# Checked instead of a password for an unknown, inactive or locked user: at the same cost as
# a real check (FAB's default costs twice ours), the answer's timing tells nothing.
AUTH_DB_FAKE_PASSWORD_HASH_CHECK = generate_password_hash("not-a-password",
                                                          method=FAB_PASSWORD_HASH_METHOD)

# Staff sessions (app/staff_sessions.py): held server-side so log-out, a password change or
# reset and deactivation end them (cookie copies included); PERMANENT_SESSION_LIFETIME is the
# idle timeout, this the absolute lifetime however active the session.
STAFF_SESSION_MAX_HOURS = float(os.environ.get("STAFF_SESSION_MAX_HOURS", "10"))
# Per-account lock after repeated failed staff log-ins, whatever the address (the rate limit
# above is per address); an administrator above the user's unit may unlock it earlier.
STAFF_MAX_FAILURES = int(os.environ.get("STAFF_MAX_FAILURES", "5"))
STAFF_LOCK_MINUTES = int(os.environ.get("STAFF_LOCK_MINUTES", "15"))

# Largest request body: the biggest legitimate upload is a photo ZIP (MAX_ZIP_BYTES, 200 MB, in
# app/photos/import_views.py) plus room for the form around it. Larger bodies are refused with
# 413 from their Content-Length, before anything is read.
MAX_CONTENT_LENGTH = int(os.environ.get("MAX_REQUEST_MB", "210")) * 1024 * 1024

# Security headers (flask-talisman, app/__init__.py). HTTPS is forced and HSTS sent in
# production only, so development and tests work over plain http. FAB's templates carry the
# CSP nonce on their inline scripts; ours do too (no inline event handlers).
# FORCE_HTTPS=1/0 overrides; unset, it follows ENV.
FORCE_HTTPS = {"1": True, "0": False}.get(os.environ.get("FORCE_HTTPS", ""))
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    # FAB's widgets and Select2 set style attributes.
    "style-src": ["'self'", "'unsafe-inline'"],
    # data: for Bootstrap's icons, blob: for the camera preview and photo thumbnails.
    "img-src": ["'self'", "data:", "blob:"],
    "font-src": ["'self'", "data:"],
    "media-src": ["'self'", "blob:", "mediastream:"],
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}

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
# Public sign-up of 成人高考 candidates (/me/signup, README "Public sign-up"): sign-up posts per
# client address (a school lab or an internet café shares one NAT address) and how long the
# picture code (验证码) of the form stays valid.
SELF_SIGNUP_RATE_LIMIT = os.environ.get("SELF_SIGNUP_RATE_LIMIT", "10 per hour")
SELF_SIGNUP_CHALLENGE_MINUTES = int(os.environ.get("SELF_SIGNUP_CHALLENGE_MINUTES", "10"))

# Monitoring (/readyz, /metrics; see README "Monitoring"): who may read them, by address or token.
METRICS_ALLOWED_NETWORKS = [n.strip() for n in os.environ.get(
    "METRICS_ALLOWED_NETWORKS", "127.0.0.1/32,::1/128").split(",") if n.strip()]
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
APP_VERSION = os.environ.get("APP_VERSION", "")  # else the git commit is used
READYZ_DB_TIMEOUT_MS = int(os.environ.get("READYZ_DB_TIMEOUT_MS", "2000"))

# Home page progress (README "Progress"): a unit is "behind schedule" when its completion is
# below this percentage while its review window ends within this many days (or has ended).
PROGRESS_BEHIND_BELOW = int(os.environ.get("PROGRESS_BEHIND_BELOW", "90"))
PROGRESS_BEHIND_DAYS = int(os.environ.get("PROGRESS_BEHIND_DAYS", "3"))

# Candidate-list exports (README "Candidate record and registry import"): up to this many rows
# streamed in the request, above it a background job whose file is kept this many hours.
EXPORT_INLINE_MAX = int(os.environ.get("EXPORT_INLINE_MAX", "20000"))
EXPORT_KEEP_HOURS = float(os.environ.get("EXPORT_KEEP_HOURS", "24"))
# Candidate-sized lists (README "Province scale"): counted exactly and paged up to this many rows.
LIST_COUNT_CAP = int(os.environ.get("LIST_COUNT_CAP", "10000"))
# Bulk review (README "Phases, review, confirmation and lock"): a selection larger than this is
# applied by a background job with a progress page.
REVIEW_BULK_INLINE_MAX = int(os.environ.get("REVIEW_BULK_INLINE_MAX", "2000"))
# Uploaded scans and document copies (app/scans.py): PDF or JPEG, at most this many bytes.
SCAN_MAX_BYTES = int(os.environ.get("SCAN_MAX_BYTES", str(5 * 1024 * 1024)))
# 成人高考 online payment (README "成人高考 season"): "file" (reconciliation-file import only)
# or "simulated" (the demo's stand-in provider); the fee in yuan.
PAYMENT_PROVIDER = os.environ.get("PAYMENT_PROVIDER", "file")
ADULT_EXAM_FEE = os.environ.get("ADULT_EXAM_FEE", "160.00")
# 高考 password cards (口令卡): the HMAC key of the stored codes; empty = SECRET_KEY.
PASSWORD_CARD_KEY = os.environ.get("PASSWORD_CARD_KEY", "")
