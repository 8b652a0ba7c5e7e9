"""ScopedModelView / ScopedApi: the jurisdiction filter on lists, show/edit/delete, actions,
form dropdowns and the REST API. Every model view of the project derives from these."""
from datetime import datetime

from flask import abort, flash, g, make_response, redirect, request, url_for
from flask_appbuilder import ModelRestApi, ModelView, expose
from flask_appbuilder.fields import QuerySelectField
from flask_appbuilder.fieldwidgets import Select2ManyWidget, Select2Widget
from flask_appbuilder.models.sqla.filters import FilterEqual, SQLAFilterConverter
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms.validators import StopValidation

from .extensions import db
from .jurisdiction import JurisdictionFilter, in_scope, is_scoped_model, scoped
from .list_counts import bounded_page, counted_interface
from .list_inputs import INT32, sane_filter_converter, sane_list_args
from .refusals import NotAllowed

SCOPE = [["id", JurisdictionFilter, None]]


class CodedFilterConverter(SQLAFilterConverter):
    """A coded column (a state, a kind, an anomaly) is searched on a select of labelled codes,
    so it offers “equal to” only: “starts with” on a select would be noise."""

    conversion_table = (("is_coded", [FilterEqual]),) + SQLAFilterConverter.conversion_table


class CodedInterface(SQLAInterface):
    """FAB's interface for ``model`` whose ``coded`` columns filter by equality only."""

    filter_converter_class = CodedFilterConverter

    def __init__(self, model, coded=(), **kw):
        super().__init__(model, **kw)
        self.coded = tuple(coded)

    def is_coded(self, col_name):
        return col_name in self.coded


def is_row_id(value):
    """Whether a form or URL value can be a row id: ids are Integer columns, and a larger
    number is a database error (PostgreSQL: out of range; SQLite: cannot bind), not a 404."""
    text = str(value).strip()
    return text.isdigit() and int(text) <= INT32[1]


def rows_by_id(model, values, scope=True):
    """The rows of ``model`` whose ids are in ``values`` (form strings, junk ignored), through
    the user's scope unless ``scope`` is False."""
    ids = {int(v) for v in values if is_row_id(v)}
    if not ids:
        return []
    stmt = select(model).where(model.id.in_(ids))
    if scope:
        stmt = scoped(stmt, model)
    return list(db.session.execute(stmt).scalars())


def scoped_items(model, pks):
    """Load the rows of a list action through the scope (FAB's own action_post does not)."""
    return rows_by_id(model, pks)


class OfferedSelectField(QuerySelectField):
    """A dropdown that lists only ``offered()`` (what the user may choose) but resolves any
    existing row by its id. A forged id then reaches the view's guard, whose refusal says why
    ("outside your jurisdiction", "you may not grant …"), instead of WTForms' bare
    "Not a valid choice"; the guard, not the dropdown, is the check."""

    widget = Select2Widget()

    def __init__(self, label, model, offered, **kwargs):
        super().__init__(label, query_func=offered, get_pk_func=lambda obj: obj.id, **kwargs)
        self.model = model
        self.unknown = False

    def process_formdata(self, valuelist):
        values = [v for v in valuelist[:1] if v not in ("", "__None")]
        rows = rows_by_id(self.model, values, scope=False)
        self.unknown = len(rows) != len(values)
        self.data = rows[0] if rows else None

    def pre_validate(self, form):
        if self.unknown:
            raise StopValidation(_l("The selected entry does not exist."))


class OfferedSelectMultipleField(OfferedSelectField):
    """The multiple-choice form of OfferedSelectField."""

    widget = Select2ManyWidget()

    def __init__(self, label, model, offered, **kwargs):
        super().__init__(label, model, offered, default=[], **kwargs)

    def process_formdata(self, valuelist):
        values = {v for v in valuelist if v}
        rows = rows_by_id(self.model, values, scope=False)
        self.unknown = len(rows) != len(values)
        self.data = rows

    def iter_choices(self):
        chosen = self.data or []
        for pk, obj in self._get_object_list():
            yield pk, self.get_label(obj), obj in chosen, {}


def display_value(value):
    """How list and show pages print a plain value: nothing for None, 是 / 否 for booleans
    (FAB prints Python's "None" and "False") and a timestamp to the minute (FAB prints
    "2026-12-03 14:05:07.123456")."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return value


class HardenedViewMixin:
    """What every FAB model view of the project needs beyond FAB's defaults.

    * No ``/<view>/download/<filename>`` route nor ``can_download`` permission: it serves any
      file of UPLOAD_FOLDER with no row scope (and fails without that setting); our files are
      served only by scoped views (photos, prints, import reports).
    * Actions: FAB's ``action`` / ``action_post`` load rows with ``datamodel.get()`` and no
      base filter, fail with a 500 on an unknown action name, and send an anonymous caller to
      "/". Here an unknown action is 404, a caller without the permission gets the login page
      (anonymous) or 403, and rows are loaded through the scope (another county's row: 404
      for a single row, silently left out of a selection).
    """

    exclude_route_methods = {"download"}

    def __init__(self, **kwargs):
        self.datamodel.filter_converter_class = sane_filter_converter(
            self.datamodel.filter_converter_class)
        super().__init__(**kwargs)
        shown = {*(self.list_columns or ()), *(self.show_columns or ())}
        self.formatters_columns = {**dict.fromkeys(shown, display_value),
                                   **self.formatters_columns}

    def create_blueprint(self, appbuilder, *args, **kwargs):
        blueprint = super().create_blueprint(appbuilder, *args, **kwargs)
        # Before FAB's list, show and edit pages parse page, size and order arguments.
        blueprint.before_request(self._sane_request_args)
        return blueprint

    def _sane_request_args(self):
        request.args = sane_list_args(request.args, self._order_columns_of)
        # FAB binds the <pk> of show/edit/delete as is: "abc" or 20 digits failed in the
        # database (a 500); no row has such an id.
        pk = (request.view_args or {}).get("pk")
        if pk is not None and not is_row_id(pk) and \
                self.datamodel.is_integer(self.datamodel.get_pk_name()):
            abort(404)

    def _order_columns_of(self, view_name):
        # Related views on a show page read their arguments from the same URL.
        return next((view.order_columns or () for view in self.appbuilder.baseviews
                     if type(view).__name__ == view_name
                     and isinstance(view, HardenedViewMixin)), ())

    def refusal(self, message, status=400):
        """A page saying ``message`` (translated), answered with ``status``."""
        return make_response(self.render_template("kaosheng/refusal.html", message=message),
                             status)

    @expose("/action/<string:name>/<pk>", methods=["GET", "POST"])
    def action(self, name, pk):
        self._check_action(name)
        if not self._action_rows([pk]):
            abort(404)
        return super().action(name, pk)

    @expose("/action_post", methods=["POST"])
    def action_post(self):
        name = request.form.get("action", "")
        self._check_action(name)
        rows = self._action_rows(request.form.getlist("rowid"))
        if self.actions[name].multiple:
            return self.actions[name].func(rows)  # an empty selection is the action's to tell
        # A one-row action (e.g. resetting a password) takes an item, not a list.
        if len(rows) != 1:
            return self.refusal(_("This action works on one row at a time: select one row."))
        return self.actions[name].func(rows[0])

    def _check_action(self, name):
        if not current_user.is_authenticated:
            login = self.appbuilder.sm.auth_view.__class__.__name__ + ".login"
            abort(redirect(url_for(login, next=request.url)))
        if name not in self.actions:
            abort(404)
        if not self.appbuilder.sm.has_access(self.get_action_permission_name(name),
                                             self.class_permission_name):
            abort(403)

    def _action_rows(self, pks):
        model = self.datamodel.obj
        return rows_by_id(model, pks, scope=is_scoped_model(model))


class GuardedMixin(HardenedViewMixin):
    """Runs ``guard(item, is_add)`` before writes; a refusal rolls back the populated form data
    so nothing half-edited can be flushed later in the request. Every model view of the project
    derives from it, so it also carries HardenedViewMixin."""

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
            # The half-populated item must not be flushed by a query the guard makes.
            with db.session.no_autoflush:
                self.guard(item, is_add)
        except Exception:
            db.session.rollback()
            raise


class ScopedModelView(GuardedMixin, ModelView):
    """A ModelView whose every read and write stays inside the user's subtree.

    ``large_list = True`` (lists that grow with the candidates): the count stays cheap for a
    province and no page beyond the first ``LIST_COUNT_CAP`` rows is served (list_counts.py)."""

    base_filters = SCOPE
    large_list = False

    def __init__(self, **kwargs):
        if self.large_list:
            self.datamodel = counted_interface(self.datamodel)
        # Relation dropdowns to the tree only offer nodes of the user's subtree.
        rels = {name: [["id", JurisdictionFilter, None]]
                for name in self._scoped_relations()}
        self.add_form_query_rel_fields = {**rels, **(self.add_form_query_rel_fields or {})}
        self.edit_form_query_rel_fields = {**rels, **(self.edit_form_query_rel_fields or {})}
        self.search_form_query_rel_fields = {**rels, **(self.search_form_query_rel_fields or {})}
        super().__init__(**kwargs)

    def _sane_request_args(self):
        super()._sane_request_args()
        if self.large_list and request.endpoint == f"{self.endpoint}.list":
            request.args, beyond = bounded_page(request.args, type(self).__name__,
                                                self.page_size)
            if beyond is not None:
                flash(beyond, "warning")

    def _scoped_relations(self):
        model = self.datamodel.obj
        return [rel.key for rel in model.__mapper__.relationships if is_scoped_model(rel.mapper.class_)]

    def guard(self, item, is_add):
        if not in_scope(item, g.user.node):
            raise NotAllowed(_l("That unit is outside your jurisdiction."))


class ScopedApi(ModelRestApi):
    """REST API restricted to the caller's subtree (GET one outside it answers 404)."""

    base_filters = SCOPE
    datamodel: SQLAInterface
