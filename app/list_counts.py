"""Counts and page range of the lists that grow with the candidates (a view with
``large_list = True``, see ``base_views.ScopedModelView``).

FAB counts every list page with an exact ``COUNT(*)`` of the scoped, filtered query and pages
with OFFSET: a province's count and its last page read the whole subtree. Here

* a list filtered only in ways counters the database keeps can answer is counted from them
  (the candidates: scope, exam and review state by the progress counters, registered by
  ``app/list_progress.py``): exact, at a cost that follows the number of units, not of rows;
* any other filter is counted up to ``LIST_COUNT_CAP`` rows (``COUNT`` over a ``LIMIT cap+1``
  subquery): exact below the cap, "more than <cap>" above it;
* the pager offers the first ``LIST_COUNT_CAP`` rows only, and a page asked beyond them is
  served as the last page within them with a notice saying how to reach the rest (narrow the
  search), so no OFFSET exceeds the cap.

The count reaches FAB's list templates as a :class:`ListCount`: an ``int`` whose value is the
pageable rows (what FAB's pager computes its pages from) and whose HTML says the count and its
kind, so FAB's own list header, pager and page-size menu are kept unchanged.
"""
import copy

from flask import current_app
from flask_babel import gettext as _
from markupsafe import Markup
from werkzeug.datastructures import ImmutableMultiDict

EXACT, COUNTERS, AT_LEAST = "exact", "counters", "at-least"


def count_cap():
    """Rows a list counts exactly and pages through (``LIST_COUNT_CAP``, default in config.py)."""
    return int(current_app.config["LIST_COUNT_CAP"])


class ListCount(int):
    """A list's count as FAB's templates use it: the ``int`` is the rows that may be paged
    (at most the cap: FAB's pager offers no page beyond it), ``rows`` the count shown,
    ``kind`` how it was obtained (EXACT, COUNTERS, AT_LEAST: more than ``cap``)."""

    def __new__(cls, rows, kind, cap):
        count = super().__new__(cls, min(rows, cap))
        count.rows, count.kind, count.cap = rows, kind, cap
        return count

    def __html__(self):
        """What ``{{ count }}`` prints in FAB's list header ("Record Count: …")."""
        if self.kind == AT_LEAST:
            text = _("More than %(cap)s", cap=f"{self.cap:,}")
            hint = _("Counted up to %(cap)s rows only; narrow the search for an exact count.",
                     cap=f"{self.cap:,}")
        elif self.kind == COUNTERS:
            text = _("%(rows)s (progress counters)", rows=f"{self.rows:,}")
            hint = _("Exact, from the progress counters of your units.")
        else:
            text, hint = f"{self.rows:,}", _("Counted exactly.")
        if self.rows > self.cap:
            text += _("; the first %(cap)s can be paged", cap=f"{self.cap:,}")
        return Markup('<span class="ks-list-count" data-count-kind="{}" title="{}">{}</span>'
                      ).format(self.kind, hint, text)


#: model → ``counter(filters)``: the list's exact count from counters the database keeps, or
#: None when ``filters`` ask for more than those count (registered by the composition root:
#: ``app/list_progress.py`` for the candidates).
_COUNTERS = {}


def count_by_counters(model, counter):
    """Large lists of ``model`` take their count from ``counter`` where it can answer."""
    _COUNTERS[model] = counter


class CountedListInterface:
    """FAB interface mixin: the list's count as a :class:`ListCount` (see the module)."""

    def query_count(self, query, filters=None, select_columns=None):
        cap = count_cap()
        counter = _COUNTERS.get(self.obj)
        counted = counter(filters) if counter is not None and filters is not None else None
        if counted is not None:
            return ListCount(counted, COUNTERS, cap)
        inner = self._apply_inner_all(query, filters, select_columns=select_columns,
                                      aliases_mapping={})
        key = getattr(self.obj, self.get_pk_name())
        rows = inner.order_by(None).with_entities(key).limit(cap + 1).count()
        return ListCount(rows, AT_LEAST if rows > cap else EXACT, cap)


_counted_classes = {}


def counted_interface(datamodel):
    """A copy of a view's ``datamodel`` whose list count is :class:`CountedListInterface`'s
    (a copy: other views holding the same interface keep FAB's count)."""
    base = type(datamodel)
    if base not in _counted_classes:
        _counted_classes[base] = type(base.__name__, (CountedListInterface, base), {})
    counted = copy.copy(datamodel)
    counted.__class__ = _counted_classes[base]
    return counted


def bounded_page(args, view_name, page_size):
    """``(args, message)``: the request's sanitized list ``args`` with a page beyond the first
    ``LIST_COUNT_CAP`` rows brought back to the last page within them, and the message saying
    so (None when the page was within them)."""
    cap = count_cap()
    page_key, size = f"page_{view_name}", int(args.get(f"psize_{view_name}") or page_size)
    page = int(args.get(page_key) or 0)
    if page * size < cap:
        return args, None
    last = max(-(-cap // size) - 1, 0)
    kept = [(k, v) for k, v in args.items(multi=True) if k != page_key] + [(page_key, str(last))]
    return ImmutableMultiDict(kept), _(
        "This list pages through its first %(rows)s rows only (%(pages)s pages of %(size)s); "
        "the last of them is shown. Narrow the search (unit, state, name) to reach the others.",
        rows=f"{cap:,}", pages=f"{last + 1:,}", size=size)
