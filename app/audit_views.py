from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l

from .audit import AuditLog
from .base_views import ScopedModelView


class AuditLogView(ScopedModelView):
    """Read-only audit trail, restricted to the auditor's subtree."""

    datamodel = SQLAInterface(AuditLog)
    list_title, show_title = _l("Audit log"), _l("Audit record")
    base_permissions = ["can_list", "can_show"]
    list_columns = ["at", "username", "action", "table_name", "row_id", "reason"]
    show_columns = ["at", "username", "ip", "action", "table_name", "row_id", "node_path",
                    "reason", "changes"]
    search_columns = ["username", "action", "table_name", "row_id", "at"]
    base_order = ("id", "desc")
    label_columns = {
        "at": _l("Time"), "username": _l("User"), "ip": _l("IP address"), "action": _l("Action"),
        "table_name": _l("Table"), "row_id": _l("Record"), "node_path": _l("Jurisdiction"),
        "reason": _l("Reason"), "changes": _l("Changes (before → after)"),
    }
