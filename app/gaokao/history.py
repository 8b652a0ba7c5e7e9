"""Change history of an archive record, read from the audit trail (app/audit.py): who changed
what and when, with the values before and after, inside the reader's jurisdiction."""
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..audit import AuditLog
from ..extensions import db
from ..jurisdiction import scoped
from ..security import KsUser

ACTIONS = {"insert": _l("Entered"), "update": _l("Changed"), "delete": _l("Deleted")}
#: bookkeeping columns the history leaves out.
HIDDEN = {"id", "candidate_id", "created_on", "changed_by_id", "changed_at", "proofread_by_id",
          "proofread_at", "confirmed_by_id", "confirmed_at"}


@dataclass
class Change:
    at: object
    user: str
    action: object
    fields: list = field(default_factory=list)  # [(label, before, after)]


def _user_names(usernames):
    rows = db.session.execute(select(KsUser.username, KsUser.last_name, KsUser.first_name)
                              .where(KsUser.username.in_(usernames))).all()
    return {u: f"{u}（{last}{first}）" for u, last, first in rows}


def _audit_rows(record):
    """The audit rows of ``record`` inside the reader's subtree, oldest first."""
    return db.session.execute(scoped(select(AuditLog).where(
        AuditLog.table_name == record.__tablename__, AuditLog.row_id == record.id), AuditLog)
        .order_by(AuditLog.at, AuditLog.id)).scalars().all()


def record_history(record, labels, show):
    """The audit rows of ``record`` (oldest first) as :class:`Change` entries.

    ``labels``: column → label; ``show(column, value)`` renders a stored value (code labels,
    decimals). Rows outside the reader's subtree are not read."""
    rows = _audit_rows(record)
    names = _user_names({r.username for r in rows if r.username})
    changes = []
    for row in rows:
        fields = [(labels.get(col, col), show(col, before), show(col, after))
                  for col, (before, after) in (row.changes or {}).items() if col not in HIDDEN]
        changes.append(Change(row.at, names.get(row.username, row.username or ""),
                              ACTIONS.get(row.action, row.action), fields))
    return changes
