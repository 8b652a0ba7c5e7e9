"""Screens and API for the jurisdiction tree (单位管理)."""
from flask import flash, g, redirect, url_for
from flask_appbuilder.actions import action
from flask_appbuilder.fieldwidgets import Select2ManyWidget
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, inspect, select
from wtforms import BooleanField, SelectField, SelectMultipleField
from wtforms.validators import DataRequired

from .base_views import OfferedSelectField, ScopedApi, ScopedModelView
from . import codes
from .extensions import db
from .jurisdiction import KIND_LABELS, PROVINCE, Node, check_new_node, units_in_scope
from .refusals import BadInput

#: A point's designation: set only by the province's approval of a point proposal
#: (points/workflow.create_point), after the county → city → province review.
DESIGNATION_FIELDS = ("serves_levels", "for_minors", "for_medical")


def check_designation_unchanged(node):
    """Unit management never designates a point: a new unit has no designation and an edit
    keeps the stored one (the forms do not offer the fields; this catches any other way)."""
    state = inspect(node)
    changed = [f for f in DESIGNATION_FIELDS if state.attrs[f].history.has_changes()] \
        if state.persistent else [f for f in DESIGNATION_FIELDS if getattr(node, f)]
    if changed:
        raise BadInput(_l("Levels served and the designations for candidates under 17 or "
                            "medical majors come only from an approved point proposal."))


#: what may still hang on a unit, by table; a unit with any of it cannot be deleted.
DEPENDENT_LABELS = {"ks_node": _l("units below it"), "ab_user": _l("users"),
                    "ks_candidate": _l("candidates"), "ks_phase_extension": _l("deadline extensions")}


def unit_dependents(node):
    """Labels of the kinds of rows still referring to ``node`` (every foreign key to ks_node)."""
    found = []
    for table in Node.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table.name != Node.__tablename__:
                continue
            count = db.session.execute(
                select(func.count()).select_from(table).where(fk.parent == node.id)).scalar()
            if count:
                found.append(DEPENDENT_LABELS.get(table.name, _l("other records")))
                break
    return found


class CodeListField(SelectMultipleField):
    """A multi-select stored as a comma-separated list of codes (``Node.serves_levels``)."""

    widget = Select2ManyWidget()

    def process_data(self, value):
        if isinstance(value, str):
            value = value.split(",")
        self.data = [c for c in value or [] if c]

    def populate_obj(self, obj, name):
        setattr(obj, name, ",".join(self.data or []) or None)


def _adult_levels():
    return codes.choices(codes.CANDIDATE_CATEGORIES[codes.ADULT], lang=None)


#: The designation fields of the point proposal forms (points/views.py), not of NodeView.
POINT_FIELDS = {
    "serves_levels": CodeListField(
        _l("Levels served"), choices=_adult_levels,
        description=_l("Adult exam (成人高考) levels confirmed at this point; none chosen "
                       "means all levels. Registration points only.")),
    "for_minors": BooleanField(_l("Point for candidates under 17"), default=False),
    "for_medical": BooleanField(_l("Point for medical majors"), default=False),
}


class NodeView(ScopedModelView):
    datamodel = SQLAInterface(Node)
    list_title, show_title = _l("Units"), _l("Unit")
    add_title, edit_title = _l("Add unit"), _l("Edit unit")
    list_columns = ["code", "name", "kind_label", "parent", "contact", "phone", "active"]
    show_columns = ["code", "name", "kind_label", "parent", "contact", "phone", "address", "active",
                    "serves_levels_label", "for_minors", "for_medical"]
    # A point's levels and designations (DESIGNATION_FIELDS) are not on the forms: they come
    # from an approved point proposal. Code, kind and parent define the path of a whole
    # subtree: fixed once created.
    add_columns = ["parent", "kind", "code", "name", "contact", "phone", "address", "active"]
    edit_columns = ["name", "contact", "phone", "address", "active"]
    search_columns = ["code", "name", "kind", "active"]
    order_columns = ["code", "name"]
    base_order = ("path", "asc")
    label_columns = {
        "code": _l("Code"), "name": _l("Name"), "kind": _l("Kind"), "kind_label": _l("Kind"),
        "parent": _l("Parent unit"), "contact": _l("Contact person"), "phone": _l("Phone"),
        "address": _l("Address"), "active": _l("Active"), "serves_levels": _l("Levels served"),
        "serves_levels_label": _l("Levels served"),
        "for_minors": _l("Point for candidates under 17"),
        "for_medical": _l("Point for medical majors"),
    }
    # FAB makes non-nullable booleans "required", i.e. impossible to untick.
    edit_form_extra_fields = {"active": BooleanField(_l("Active"), default=True)}
    add_form_extra_fields = {
        "kind": SelectField(_l("Kind"), validators=[DataRequired()],
                            choices=[(k, v) for k, v in KIND_LABELS.items() if k != PROVINCE]),
        # Any existing unit resolves, so a forged parent gets check_new_node's message.
        "parent": OfferedSelectField(_l("Parent unit"), Node, units_in_scope,
                                     validators=[DataRequired()]),
        **edit_form_extra_fields,
    }

    def guard(self, item, is_add):
        if is_add:
            check_new_node(item, g.user.node)
        else:
            super().guard(item, is_add)
        check_designation_unchanged(item)

    @action("deactivate", _l("Deactivate"), _l("Deactivate the selected units?"), "fa-ban")
    def deactivate(self, items):
        return self._set_active(items, False)

    @action("activate", _l("Activate"), _l("Activate the selected units?"), "fa-check")
    def activate(self, items):
        return self._set_active(items, True)

    def _set_active(self, items, active):
        # ScopedModelView hands actions only rows inside the user's subtree.
        items = items if isinstance(items, list) else [items]
        for item in items:
            item.active = active
        db.session.commit()
        flash(_l("%(n)d units updated.", n=len(items)), "success")
        return redirect(url_for(".list"))

    def pre_delete(self, item):
        # Without this the foreign keys refuse the delete with FAB's generic database error.
        dependents = unit_dependents(item)
        if dependents:
            raise BadInput(_l("%(unit)s cannot be deleted: it still has %(what)s. Deactivate "
                                "it instead.", unit=item.name,
                                what="、".join(str(d) for d in dependents)))


class NodeApi(ScopedApi):
    resource_name = "node"
    datamodel = SQLAInterface(Node)
    allow_browser_login = True
    include_route_methods = {"get", "get_list", "info"}
    list_columns = show_columns = ["id", "code", "name", "kind", "path", "active", "parent.code"]
    search_columns = ["code", "name", "kind"]
