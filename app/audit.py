"""Audit trail (审计日志): who changed what, when, with before/after values.

One session listener covers every model that sets ``__audited__ = True``; a model can leave
columns out with ``__audit_exclude__`` (password hashes, login counters).
"""
import datetime as dt
import decimal

from flask import g, has_request_context, request
from flask_appbuilder import Model
from sqlalchemy import JSON, DateTime, Index, Integer, String, event, insert, inspect, select
from sqlalchemy.orm import Mapped, mapped_column

from .extensions import db
from .jurisdiction import PATH_TYPE, Node


class AuditLog(Model):
    """One row per inserted, updated or deleted audited object."""

    __tablename__ = "ks_audit_log"
    __scope_path__ = "node_path"
    __table_args__ = (Index("ix_ks_audit_log_candidate_id", "candidate_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, index=True)
    user_id: Mapped[int | None] = mapped_column(Integer)
    username: Mapped[str | None] = mapped_column(String(128))
    ip: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(10), nullable=False)
    table_name: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    row_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # The candidate the row concerns (the record itself or one of its parts), so a record's
    # history and the filter by candidate need no join through every part table.
    candidate_id: Mapped[int | None] = mapped_column(Integer)
    # The record's place in the tree at the time, so auditors see only their subtree.
    node_path: Mapped[str | None] = mapped_column(PATH_TYPE, index=True)
    reason: Mapped[str | None] = mapped_column(String(500))
    changes: Mapped[dict | None] = mapped_column(JSON)

    def __repr__(self):
        return f"{self.action} {self.table_name}#{self.row_id}"


def _plain(value):
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, Model):
        return str(value)
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    return str(value)


def _node_path(obj):
    """The record's place in the tree, None for records outside it (see _fallback_path)."""
    if isinstance(obj, Node):
        return obj.path
    node = getattr(obj, "node", None)
    if node is not None:
        return node.path
    part_path = getattr(obj, "audit_node_path", None)
    if part_path is not None:
        return part_path()
    return None


def _fallback_path(connection):
    """Where rows about no unit are filed (exams, roles, anything done from the CLI): the
    province of the acting user's unit, or the root of the tree for system actions, so the
    province auditors see them and nobody below does."""
    user = getattr(g, "user", None) if has_request_context() else None
    user_node = getattr(user, "node", None)
    if user_node is not None:
        return "/" + user_node.path.strip("/").split("/")[0] + "/"
    return connection.execute(select(Node.path).where(Node.parent_id.is_(None))
                              .order_by(Node.id).limit(1)).scalar()


def _changes(obj, action):
    """Column and collection changes as {name: [before, after]}."""
    state = inspect(obj)
    excluded = set(getattr(obj, "__audit_exclude__", ()))
    changes = {}
    for attr in state.mapper.attrs:
        key = attr.key
        if key in excluded or not hasattr(attr, "columns") and not getattr(attr, "uselist", False):
            continue
        hist = state.attrs[key].history
        if action == "insert":
            value = getattr(obj, key, None)
            if value not in (None, [], ""):
                changes[key] = [None, _plain(value)]
        elif action == "delete":
            if hasattr(attr, "columns"):
                changes[key] = [_plain(getattr(obj, key, None)), None]
        elif hist.has_changes():
            if hasattr(attr, "columns"):
                before = hist.deleted[0] if hist.deleted else None
                after = hist.added[0] if hist.added else None
            else:
                before = list(hist.unchanged) + list(hist.deleted)
                after = list(hist.unchanged) + list(hist.added)
            changes[key] = [_plain(before), _plain(after)]
    return changes


def _actor():
    user = getattr(g, "user", None) if has_request_context() else None
    actor = getattr(g, "audit_actor", None) if has_request_context() else None
    if actor is None and user is not None and getattr(user, "is_authenticated", False):
        actor = (user.id, user.username)
    ip = request.remote_addr if has_request_context() else None
    return actor or (None, "system"), ip


def _collect(session, flush_context, instances):
    pending = session.info.setdefault("audit_pending", [])
    for action, objs in (("insert", session.new), ("update", session.dirty),
                         ("delete", session.deleted)):
        for obj in objs:
            if not getattr(obj, "__audited__", False):
                continue
            if action == "update" and not session.is_modified(obj):
                continue
            pending.append((action, obj, _changes(obj, action), _node_path(obj)))


def _primary_key(obj):
    # Read from the attributes: after_flush runs before a new row gets its identity key,
    # but its primary key is already set by the INSERT.
    state = inspect(obj)
    key = state.mapper.primary_key_from_instance(obj)
    return key[0] if key and key[0] is not None else None


def _candidate_id(obj, row_id):
    if obj.__tablename__ == "ks_candidate":
        return row_id
    return getattr(obj, "candidate_id", None)


def _write(session, flush_context):
    pending = session.info.pop("audit_pending", [])
    if not pending:
        return
    (user_id, username), ip = _actor()
    now = dt.datetime.now()
    reason = session.info.pop("audit_reason", None)
    rows = []
    for action, obj, changes, path in pending:
        if changes or action != "update":
            row_id = _primary_key(obj)
            rows.append(dict(at=now, user_id=user_id, username=username, ip=ip, action=action,
                             table_name=obj.__tablename__, row_id=row_id,
                             candidate_id=_candidate_id(obj, row_id),
                             node_path=path, reason=reason, changes=changes))
    if rows:
        connection = session.connection()
        if any(row["node_path"] is None for row in rows):
            fallback = _fallback_path(connection)
            for row in rows:
                row["node_path"] = row["node_path"] or fallback
        connection.execute(insert(AuditLog), rows)


def _event_candidate(table_name, row_id, details):
    if table_name == "ks_candidate" and row_id is not None:
        return row_id
    value = details.get("candidate_id") if isinstance(details, dict) else None
    return value if isinstance(value, int) else None


def install(session):
    """Attach the listeners once to the scoped session's class."""
    target = session
    if not event.contains(target, "before_flush", _collect):
        event.listen(target, "before_flush", _collect)
        event.listen(target, "after_flush", _write)


def log_event(action, table_name, details, row_id=None, session=None, candidate_id=None,
              actor=None):
    """Record a non-data event (export, print, unlock…) with the acting user and unit; an
    event about one candidate names it (``candidate_id``, or the row / details that say so).
    ``actor``: the user acting, for a job that has no request to ask (None: the request's
    user, or "system")."""
    session = session or db.session
    if actor is not None:
        # A request on behalf of someone else (the candidate's own print) keeps its address;
        # a background job has none.
        user_id, username = actor.id, actor.username
        ip = request.remote_addr if has_request_context() else None
    else:
        (user_id, username), ip = _actor()
        actor = getattr(g, "user", None) if has_request_context() else None
    node = getattr(actor, "node", None)
    session.execute(insert(AuditLog), [dict(
        at=dt.datetime.now(), user_id=user_id, username=username, ip=ip, action=action,
        table_name=table_name, row_id=row_id,
        candidate_id=candidate_id or _event_candidate(table_name, row_id, details),
        node_path=node.path if node else _fallback_path(session.connection()),
        changes=details, reason=session.info.get("audit_reason"))])
    session.commit()
