"""ScopedModelView / ScopedApi: the jurisdiction filter on lists, show/edit/delete, actions,
form dropdowns and the REST API. Every model view of the project derives from these."""
from flask import abort, flash, g, redirect, request
from flask_appbuilder import ModelRestApi, ModelView, expose
from flask_appbuilder._compat import as_unicode
from flask_appbuilder.const import FLAMSG_ERR_SEC_ACCESS_DENIED
from flask_babel import lazy_gettext as _l
from flask_appbuilder.models.sqla.interface import SQLAInterface
from sqlalchemy import select

from .extensions import db
from .jurisdiction import JurisdictionFilter, in_scope, is_scoped_model, scoped

SCOPE = [["id", JurisdictionFilter, None]]


def scoped_items(model, pks):
    """Load the rows of a list action through the scope (FAB's own action_post does not)."""
    ids = []
    for pk in pks:
        try:
            ids.append(int(pk))
        except (TypeError, ValueError):
            continue
    if not ids:
        return []
    return list(db.session.execute(scoped(select(model).where(model.id.in_(ids)), model)).scalars())


class GuardedMixin:
    """Runs ``guard(item, is_add)`` before writes; a refusal rolls back the populated form data
    so nothing half-edited can be flushed later in the request."""

    def guard(self, item, is_add):
        """Override: raise an exception with a translated message to refuse the write."""

    def pre_add(self, item):
        self._guarded(item, True)
        super().pre_add(item)

    def pre_update(self, item):
        self._guarded(item, False)
        super().pre_update(item)

    def _guarded(self, item, is_add):
        try:
            self.guard(item, is_add)
        except Exception:
            db.session.rollback()
            raise


class ScopedModelView(GuardedMixin, ModelView):
    """A ModelView whose every read and write stays inside the user's subtree."""

    base_filters = SCOPE

    def __init__(self, **kwargs):
        # Relation dropdowns to the tree only offer nodes of the user's subtree.
        rels = {name: [["id", JurisdictionFilter, None]]
                for name in self._scoped_relations()}
        self.add_form_query_rel_fields = {**rels, **(self.add_form_query_rel_fields or {})}
        self.edit_form_query_rel_fields = {**rels, **(self.edit_form_query_rel_fields or {})}
        self.search_form_query_rel_fields = {**rels, **(self.search_form_query_rel_fields or {})}
        super().__init__(**kwargs)

    def _scoped_relations(self):
        model = self.datamodel.obj
        return [rel.key for rel in model.__mapper__.relationships if is_scoped_model(rel.mapper.class_)]

    @expose("/action/<string:name>/<pk>", methods=["GET", "POST"])
    def action(self, name, pk):
        if not scoped_items(self.datamodel.obj, [pk]):
            abort(404)
        return super().action(name, pk)

    @expose("/action_post", methods=["POST"])
    def action_post(self):
        # FAB loads the selected rows with datamodel.get() and no base filter; re-scope them.
        name = request.form.get("action", "")
        if name not in self.actions:
            abort(404)
        permission = self.get_action_permission_name(name)
        if not self.appbuilder.sm.has_access(permission, self.class_permission_name):
            flash(as_unicode(FLAMSG_ERR_SEC_ACCESS_DENIED), "danger")
            return redirect(".")
        items = scoped_items(self.datamodel.obj, request.form.getlist("rowid"))
        return self.actions[name].func(items)

    def guard(self, item, is_add):
        if not in_scope(item, g.user.node):
            raise PermissionError(_l("That unit is outside your jurisdiction."))


class ScopedApi(ModelRestApi):
    """REST API restricted to the caller's subtree (GET one outside it answers 404)."""

    base_filters = SCOPE
    datamodel: SQLAInterface
