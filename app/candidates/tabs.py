"""The tabs of the candidate page (guardians, study history, the 高考 archive's parts, data
reports …): FAB renders every related view's list inline, each with a count and a select,
so a record with seven tabs paid fourteen statements though most records have rows in few
of them (none at all for the candidates a registry import loaded).

One statement tells which tabs hold rows of the record (an EXISTS per tab); an empty tab's
list is rendered by its own view as before (title, add button, "no records") from an empty
answer, without asking the database. A tab with rows queries as FAB does, through the
view's scope. The EXISTS ignores the tab's scope on purpose: no row at all means no row the
user may see, while a row the user may not see is left to the scoped query to hide."""
from flask import g
from flask_appbuilder.models.filters import Filters
from sqlalchemy import exists, inspect, select

from ..extensions import db


class TabFilters(Filters):
    """FAB's ``Filters`` of a tab's list: the tab's relation filter and its view's base filters
    (the user's scope), without the catalogue of every column's search filters FAB builds with
    each ``Filters`` (a type inspection per column, twice per tab: two thirds of the page's
    time in Python went there). A tab offers no search, so nothing reads the catalogue."""

    def __init__(self, datamodel):  # not super().__init__: the catalogue is what it builds
        self.search_columns = []
        self.filter_converter = datamodel.filter_converter_class
        self.datamodel = datamodel
        self._search_filters, self._all_filters = {}, {}
        self.clear_filters()

    def get_joined_filters(self, filters):
        joined = TabFilters(self.datamodel)
        joined.filters = self.filters + filters.filters
        joined.values = self.values + filters.values
        return joined

    def copy(self):
        return self.get_joined_filters(TabFilters(self.datamodel))


def _fk_column(view, parent_model):
    """The column of the tab's model holding the record's id (FAB's own relation lookup)."""
    relation = view.datamodel.get_related_fk(parent_model)
    prop = inspect(view.datamodel.obj).relationships[relation]
    (column,) = prop.local_columns
    return column


def tabs_with_rows(views, parent_model, pk):
    """The ``views`` (tabs) holding rows of record ``pk``, in one statement."""
    if not views:
        return set()
    probes = [exists().where(_fk_column(view, parent_model) == pk).label(f"t{i}")
              for i, view in enumerate(views)]
    row = db.session.execute(select(*probes)).one()
    return {view for view, found in zip(views, row) if found}


def _answer_empty(query):
    """The datamodel's ``query`` answering "no rows" for an empty tab of this request (the
    request's own set in ``g``), and as before everywhere else (list pages, other tabs)."""
    def tab_query(*args, **kwargs):
        if id(tab_query) in g.get("ks_empty_tabs", ()):
            return 0, []
        return query(*args, **kwargs)
    return tab_query


def empty_query_of(view):
    """Install (once) the empty-tab answer on ``view``'s datamodel; returns its key."""
    datamodel = view.datamodel
    if "ks_tab_query" not in vars(datamodel):
        datamodel.ks_tab_query = datamodel.query = _answer_empty(datamodel.query)
    return id(datamodel.ks_tab_query)


def mark_empty(views):
    """Let ``views`` (tabs without rows) render without a query for the rest of the request."""
    g.ks_empty_tabs = {empty_query_of(view) for view in views}


def clear_empty():
    g.pop("ks_empty_tabs", None)
