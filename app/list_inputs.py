"""What FAB reads from a list URL, made safe before FAB reads it.

FAB parses list arguments unchecked: ``int()`` on ``page_*`` / ``psize_*``, an order column
given to ``order_by`` as is, filter values pasted into LIKE patterns or bound as integers. Any
garbage was a 500 (a trailing backslash on PostgreSQL, a 20-digit number on SQLite, an
unknown ``_oc_`` column). HardenedViewMixin (base_views.py) applies both helpers below to every
model view: ``sane_list_args`` to the request, ``sane_filter_converter`` to its filters.
"""
import re
from decimal import Decimal, InvalidOperation

from flask_appbuilder.models.sqla import filters as fab_filters
from sqlalchemy import BigInteger
from werkzeug.datastructures import ImmutableMultiDict

#: rows per list page at most, whatever ``psize_<View>`` asks (a page is rendered row by row).
MAX_PAGE_SIZE = 100
#: FAB multiplies the page by the page size into an OFFSET; no list has this many pages.
MAX_PAGE = 1_000_000
#: what an Integer / BigInteger column holds: PostgreSQL casts the bound value to the column's
#: type ("integer out of range"), SQLite refuses a Python int beyond 64 bits outright.
INT32, INT64 = (-(2 ** 31), 2 ** 31 - 1), (-(2 ** 63), 2 ** 63 - 1)


def _clamped_int(text, low, high):
    try:
        return str(min(max(int(text), low), high))
    except (TypeError, ValueError):
        return None


def sane_list_args(args, order_columns_of):
    """FAB's list arguments made safe to hand to FAB: ``page_*`` / ``psize_*`` (FAB calls
    ``int()`` on any argument whose name contains them) are integers in range or dropped,
    ``psize`` at most MAX_PAGE_SIZE; an ``_oc_<View>`` order is kept only for a column that
    view offers and a direction of asc/desc; NUL characters (PostgreSQL refuses them in text)
    are removed. ``order_columns_of(view_name)`` gives a view's order columns."""
    kept = []
    for key, value in args.items(multi=True):
        value = value.replace("\x00", "")
        if re.search("psize_", key):
            value = _clamped_int(value, 1, MAX_PAGE_SIZE)
        elif re.search("page_", key):
            value = _clamped_int(value, 0, MAX_PAGE)
        elif (match := re.search("_o[cd]_(.*)", key)) is not None:
            name = match.group(1)
            column, direction = args.get(f"_oc_{name}"), args.get(f"_od_{name}")
            if direction not in ("asc", "desc") or column not in order_columns_of(name):
                value = None
        if value is not None:
            kept.append((key, value))
    return ImmutableMultiDict(kept)


def like_literal(value):
    """``value`` for a LIKE pattern in which it matches itself: its wildcards and the escape
    character escaped (a trailing backslash is an error on PostgreSQL)."""
    return (str(value).replace("\\", "\\\\").replace("%", "\\%")
            .replace("_", "\\_"))


class _SaneValue:
    """Filter mixin: a typed value the database can compare with the column. FAB binds it
    as typed where it cannot convert it: "abc" for a boolean or a relation's id was a
    DataError on PostgreSQL, a 20-digit integer an OverflowError on SQLite."""

    def apply(self, query, value):
        if isinstance(value, (list, tuple)):
            value = [self._sane(v) for v in value]
        else:
            value = self._sane(value)
        return super().apply(query, value)

    def _sane(self, value):
        if not isinstance(value, str):
            return value
        column, model = self.column_name, self.datamodel
        if model.is_integer(column):
            # Not a number: left to FAB, which compares with None.
            return _clamped_int(value.strip(), *self._int_range()) or value
        if model.is_numeric(column) or model.is_float(column):
            # "abc" against a numeric column was an UndefinedFunction on PostgreSQL (a 500):
            # not a finite number selects what no value does.
            try:
                number = Decimal(value.strip())
            except InvalidOperation:
                return None
            return number if number.is_finite() else None
        if model.is_boolean(column):
            return "y" if value == "y" else False  # FAB's search form sends "y" for yes
        if model.is_relation(column):
            # No row has id 0: a junk id selects what an unknown id does.
            return value if value.isdigit() and int(value) <= INT32[1] else "0"
        return value

    def _int_range(self):
        column = self.datamodel.list_columns.get(self.column_name)
        return INT64 if isinstance(getattr(column, "type", None), BigInteger) else INT32


class _LiteralLike(_SaneValue):
    """FAB's "starts with" / "contains" … filters, matching the typed text literally."""

    template = "{}"
    negate = False

    def apply(self, query, value):
        query, field = fab_filters.get_field_setup_query(query, self.model, self.column_name)
        # Text without upper and lower case (a Chinese name, digits) matches the same with
        # LIKE, which a prefix can take through a b-tree index (text_pattern_ops on
        # PostgreSQL, migration 0025); ILIKE never can.
        text = str(value)
        compare = field.like if text.lower() == text.upper() else field.ilike
        condition = compare(self.template.format(like_literal(value)), escape="\\")
        return query.filter(~condition if self.negate else condition)


_LIKE_TEMPLATES = {
    fab_filters.FilterStartsWith: ("{}%", False), fab_filters.FilterNotStartsWith: ("{}%", True),
    fab_filters.FilterEndsWith: ("%{}", False), fab_filters.FilterNotEndsWith: ("%{}", True),
    fab_filters.FilterContains: ("%{}%", False), fab_filters.FilterNotContains: ("%{}%", True),
}
_sane_classes = {}


def _sane_filter_class(cls):
    if issubclass(cls, _SaneValue):
        return cls
    if cls not in _sane_classes:
        if cls in _LIKE_TEMPLATES:
            template, negate = _LIKE_TEMPLATES[cls]
            attrs = {"template": template, "negate": negate}
            _sane_classes[cls] = type(cls.__name__, (_LiteralLike, cls), attrs)
        else:
            _sane_classes[cls] = type(cls.__name__, (_SaneValue, cls), {})
    return _sane_classes[cls]


def sane_filter_converter(base):
    """``base`` (a view's filter converter) whose filters take any typed value without a
    database error: text matched literally, integers clamped."""
    if getattr(base, "sane_values", False):
        return base

    class SaneFilterConverter(base):
        sane_values = True

        def convert(self, col_name):
            converted = super().convert(col_name)
            for flt in converted or ():
                flt.__class__ = _sane_filter_class(type(flt))
            return converted

    return SaneFilterConverter
