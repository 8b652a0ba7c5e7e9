"""Screens and API for the jurisdiction tree (单位管理)."""
import re

from flask import flash, redirect, url_for
from flask_appbuilder.actions import action
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from wtforms import BooleanField, SelectField
from wtforms.validators import DataRequired

from .base_views import ScopedApi, ScopedModelView
from .extensions import db
from .jurisdiction import CHILD_KINDS, CITY, COUNTY, KIND_LABELS, Node, in_scope, make_path

REGION_KINDS = (CITY, COUNTY)
_UNIT_CODE = re.compile(r"^[0-9A-Za-z]{4,20}$")


def check_new_node(node, manager_node):
    """Validate a node about to be created under ``node.parent`` by a user at ``manager_node``."""
    parent = node.parent
    if parent is None or not in_scope(parent, manager_node):
        raise ValueError(_l("Choose a parent unit inside your jurisdiction."))
    if node.kind not in CHILD_KINDS[parent.kind]:
        raise ValueError(_l("A %(kind)s cannot be placed under a %(parent)s.",
                            kind=KIND_LABELS[node.kind], parent=parent.kind_label))
    code = (node.code or "").strip()
    if node.kind in REGION_KINDS:
        # Administrative division codes: city 4101xx → county 4101xx shares the parent prefix.
        prefix = parent.code[:2] if node.kind == CITY else parent.code[:4]
        if not re.fullmatch(r"\d{6}", code) or not code.startswith(prefix):
            raise ValueError(_l("A region code is the 6-digit administrative division code "
                                "starting with %(prefix)s.", prefix=prefix))
    elif not _UNIT_CODE.fullmatch(code):
        raise ValueError(_l("A unit code has 4 to 20 letters or digits."))
    with db.session.no_autoflush:
        taken = db.session.execute(select(func.count()).where(Node.code == code)).scalar()
    if taken:
        raise ValueError(_l("The code %(code)s is already used.", code=code))
    node.code = code
    node.path = make_path(parent, code)


class NodeView(ScopedModelView):
    datamodel = SQLAInterface(Node)
    list_columns = ["code", "name", "kind_label", "parent", "contact", "phone", "active"]
    show_columns = ["code", "name", "kind_label", "parent", "contact", "phone", "address", "active"]
    add_columns = ["parent", "kind", "code", "name", "contact", "phone", "address", "active"]
    # Code, kind and parent define the path of a whole subtree: fixed once created.
    edit_columns = ["name", "contact", "phone", "address", "active"]
    search_columns = ["code", "name", "kind", "active"]
    order_columns = ["code", "name"]
    base_order = ("path", "asc")
    label_columns = {
        "code": _l("Code"), "name": _l("Name"), "kind": _l("Kind"), "kind_label": _l("Kind"),
        "parent": _l("Parent unit"), "contact": _l("Contact person"), "phone": _l("Phone"),
        "address": _l("Address"), "active": _l("Active"),
    }
    # FAB makes non-nullable booleans "required", i.e. impossible to untick.
    edit_form_extra_fields = {"active": BooleanField(_l("Active"), default=True)}
    add_form_extra_fields = {
        "kind": SelectField(_l("Kind"), validators=[DataRequired()],
                            choices=[(k, v) for k, v in KIND_LABELS.items() if k != "province"]),
        **edit_form_extra_fields,
    }

    def guard(self, item, is_add):
        if is_add:
            check_new_node(item, self._manager_node())
        else:
            super().guard(item, is_add)

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
        from .security import KsUser

        has_users = db.session.execute(
            select(func.count()).select_from(KsUser).where(KsUser.node_id == item.id)).scalar()
        if item.children or has_users:
            raise ValueError(_l("%(unit)s still has units or users below it.", unit=item.name))

    @staticmethod
    def _manager_node():
        from flask import g

        return g.user.node


class NodeApi(ScopedApi):
    resource_name = "node"
    datamodel = SQLAInterface(Node)
    allow_browser_login = True
    include_route_methods = {"get", "get_list", "info"}
    list_columns = show_columns = ["id", "code", "name", "kind", "path", "active", "parent.code"]
    search_columns = ["code", "name", "kind"]
