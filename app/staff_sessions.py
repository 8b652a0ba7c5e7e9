"""Staff sessions held server-side (登录会话).

Flask's session is a signed cookie: on its own, a copy taken before log-out keeps working until
it expires, and nothing the server does (password reset, deactivation) can end it. Each staff
log-in therefore gets a row here; the cookie carries a random token whose hash names the row,
and a request is logged in only while the row exists and is neither idle too long nor older
than the absolute lifetime. Log-out deletes the row; a password change or reset and a
deactivation delete every row of the user. The rows live in the database, so every app
server sees a revocation at once.
"""
import datetime as dt
import hashlib
import secrets

from flask import current_app, session
from flask_appbuilder import Model
from sqlalchemy import DateTime, ForeignKey, Integer, String, delete, or_, select, update
from sqlalchemy.orm import Mapped, mapped_column

from .extensions import db
from .passwords import session_expired

SESSION_KEY = "ks_sid"
#: last_seen is written at most this often: a write per page view would double the load.
TOUCH_SECONDS = 30


class StaffSession(Model):
    __tablename__ = "ks_staff_session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Only the token's hash: a database dump holds no usable session.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"),
                                         nullable=False, index=True)
    created_on: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    last_seen: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)


def _digest(token):
    return hashlib.sha256(token.encode()).hexdigest()


def _limits():
    cfg = current_app.config
    return (cfg["PERMANENT_SESSION_LIFETIME"].total_seconds(),
            3600 * float(cfg.get("STAFF_SESSION_MAX_HOURS", 8)))


def start(user_id):
    """A new session for ``user_id`` in this request's cookie (at log-in); the user's
    sessions that have expired meanwhile are cleared out."""
    at = dt.datetime.now()
    idle, maximum = _limits()
    db.session.execute(delete(StaffSession).where(
        StaffSession.user_id == user_id,
        or_(StaffSession.last_seen < at - dt.timedelta(seconds=idle),
            StaffSession.created_on < at - dt.timedelta(seconds=maximum))))
    token = secrets.token_urlsafe(32)
    db.session.add(StaffSession(token_hash=_digest(token), user_id=user_id, created_on=at,
                                last_seen=at))
    db.session.commit()
    session[SESSION_KEY] = token


def end():
    """Log-out: this cookie's session stops working, also in copies of the cookie."""
    token = session.pop(SESSION_KEY, None)
    if token:
        db.session.execute(delete(StaffSession).where(StaffSession.token_hash == _digest(token)))
        db.session.commit()


def revoke_all(user_id):
    """End every session of ``user_id`` (password change or reset, deactivation)."""
    db.session.execute(delete(StaffSession).where(StaffSession.user_id == user_id))
    db.session.commit()


def is_valid(user_id):
    """Whether this request's cookie names a live session of ``user_id``."""
    token = session.get(SESSION_KEY)
    if not token:
        return False
    row = db.session.execute(
        select(StaffSession.id, StaffSession.created_on, StaffSession.last_seen).where(
            StaffSession.token_hash == _digest(token), StaffSession.user_id == user_id)
    ).one_or_none()
    if row is None:
        return False
    at = dt.datetime.now()
    idle_for = (at - row.last_seen).total_seconds()
    if session_expired(idle_for, (at - row.created_on).total_seconds(), *_limits()):
        db.session.execute(delete(StaffSession).where(StaffSession.id == row.id))
        db.session.commit()
        return False
    if idle_for > TOUCH_SECONDS:
        db.session.execute(update(StaffSession).where(StaffSession.id == row.id)
                           .values(last_seen=at))
        db.session.commit()
    return True
