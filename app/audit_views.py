"""The audit trail screen: read-only, restricted to the auditor's subtree, in the auditor's
words (see audit_display), with filters by candidate, unit, user, action, record and date."""
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import FilterEqual, SQLAFilterConverter
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from sqlalchemy import false, or_, select

from . import audit_display as show
from .audit import AuditLog
from .base_views import ScopedModelView
from .candidates.models import Candidate
from .jurisdiction import Node, subtree_range


class FilterCandidate(BaseFilter):
    """Rows about the candidates with this name, ID number or 考生号."""

    name = _l("Name or ID number is")
    arg_name = "cand"

    def apply(self, query, value):
        value = (value or "").strip()
        ids = select(Candidate.id).where(or_(
            Candidate.name == value, Candidate.id_number == value.upper(),
            Candidate.candidate_number == value))
        return query.filter(AuditLog.candidate_id.in_(ids))


class FilterUnit(BaseFilter):
    """Rows filed under this unit (by name or code) or any unit below it."""

    name = _l("Unit or below")
    arg_name = "unit"

    def apply(self, query, value):
        value = (value or "").strip()
        paths = query.session.execute(select(Node.path).where(
            or_(Node.name == value, Node.code == value)).limit(20)).scalars().all()
        if not paths:
            return query.filter(false())
        return query.filter(or_(*(subtree_range(AuditLog.node_path, p) for p in paths)))


def _labelled_filter(labels, filter_name):
    """An equality filter that also accepts the Chinese label of the value (操作 = 修改)."""

    class FilterLabelled(BaseFilter):
        name = filter_name
        arg_name = "is"

        def apply(self, query, value):
            value = (value or "").strip()
            raw = {str(label): key for key, label in labels().items()}.get(value, value)
            return query.filter(getattr(AuditLog, self.column_name) == raw)

    return FilterLabelled


class AuditFilterConverter(SQLAFilterConverter):
    conversion_table = (
        ("is_candidate_ref", [FilterCandidate, FilterEqual]),
        ("is_unit_path", [FilterUnit]),
        ("is_action", [_labelled_filter(lambda: show.ACTION_LABELS, _l("Is"))]),
        ("is_table", [_labelled_filter(
            lambda: {t: v[0] for t, v in show._labels().items()}, _l("Is"))]),
    ) + SQLAFilterConverter.conversion_table


class AuditInterface(SQLAInterface):
    """FAB's interface with the audit filters, and names loaded for each list page at once."""

    filter_converter_class = AuditFilterConverter

    def is_candidate_ref(self, col_name):
        return col_name == "candidate_id"

    def is_unit_path(self, col_name):
        return col_name == "node_path"

    def is_action(self, col_name):
        return col_name == "action"

    def is_table(self, col_name):
        return col_name == "table_name"

    def query(self, *args, **kwargs):
        count, rows = super().query(*args, **kwargs)
        show.remember_page(rows)
        return count, rows


def _time(value):
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else show.EMPTY


class AuditLogView(ScopedModelView):
    """Read-only audit trail, restricted to the auditor's subtree."""

    datamodel = AuditInterface(AuditLog)
    list_title, show_title = _l("Audit log"), _l("Audit record")
    base_permissions = ["can_list", "can_show"]
    list_columns = ["at", "username", "action", "table_name", "candidate_id", "node_path",
                    "changes", "reason"]
    show_columns = ["at", "username", "ip", "action", "table_name", "row_id", "candidate_id",
                    "node_path", "reason", "changes"]
    search_columns = ["candidate_id", "node_path", "username", "action", "table_name", "at",
                      "row_id"]
    base_order = ("id", "desc")
    label_columns = {
        "at": _l("Time"), "username": _l("User"), "ip": _l("IP address"), "action": _l("Action"),
        "table_name": _l("Record type"), "row_id": _l("Record no."), "candidate_id": _l("Candidate"),
        "node_path": _l("Unit"), "reason": _l("Reason"), "changes": _l("Changes"),
    }
    formatters_columns = {
        "at": _time, "action": show.action_label, "table_name": show.table_label,
        "username": show.user_text,
        "candidate_id": show.candidate_text, "node_path": show.unit_text,
        "changes": lambda changes: show.summary(changes, ""),
    }

    def _get_show_widget(self, pk, item, widgets=None, actions=None, show_fieldsets=None):
        # The show page names the candidate and unit of its one row and lays the changes out
        # as a table; the list page shows only which fields changed.
        show.remember_page([item])
        widgets = widgets or {}
        widgets["show"] = self.show_widget(
            pk=pk, label_columns=self.label_columns, include_columns=self.show_columns,
            value_columns=self.datamodel.get_values_item(item, self.show_columns),
            formatters_columns={**self.formatters_columns,
                                "changes": lambda _value: show.changes_table(item)},
            actions=actions or self.actions, fieldsets=show_fieldsets or self.show_fieldsets,
            modelview_name=self.__class__.__name__)
        return widgets
