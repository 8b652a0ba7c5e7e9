"""Candidate screens (考生信息): list with filters and masked ID numbers, detail with guardians,
study history and quality evaluation, edit forms running the validators of validators.py.
The forms follow the record's exam kind (its categories, its fields), offer only active exams,
and pick 户籍所在地 by name (``divisions.py``).

Packages above this one (review, photos, gaokao) add to these pages without being imported
here: the composition root (``app/menu.py``) fills :class:`PageParts` and the related views."""
import json
from dataclasses import dataclass
from typing import Callable

from flask import abort, flash, g, has_request_context, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.actions import action
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import FilterEqual, SQLAFilterConverter
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.urltools import get_order_args, get_page_args, get_page_size_args
from flask_appbuilder.widgets import ListWidget
from flask_babel import lazy_gettext as _l
from sqlalchemy import String, false, select
from sqlalchemy.orm import joinedload
from wtforms import SelectChoice, SelectField
from wtforms.validators import DataRequired, Optional, ValidationError

from .. import codes
from . import policy, tabs
from ..base_views import OfferedSelectField, ScopedModelView, is_row_id, scoped_items
from ..codes import EXAM_KIND_LABELS
from ..exams.models import Exam
from ..exams.picker import active_exams, named_exam
from ..extensions import db
from ..refusals import BadInput
from ..jurisdiction import Node, subtree_ids
from .states import STATE_LABELS
from .export_views import export_response
from .divisions import division_field, division_name
from .guards import check_candidate, check_change_allowed
from .labels import LABELS
from .models import Candidate
from .part_views import GuardianView, QualityEvaluationView, StudyHistoryView, code_select
from ..validators import (EXAM_FIELDS, exam_kinds_label, form_validator,
                         validate_candidate_number,
                         document_number_field, validate_mobile, validate_name, validate_past_date,
                         validate_postcode)

#: coded columns: the code table each one's label comes from.
CODED = codes.COLUMN_CODES


def _categories_by_kind():
    """Categories grouped by exam kind; the value names both (``kind:code``), since codes
    repeat across kinds (01 is 学籍户籍一致 for 中招, 普通高中应届 for 高考)."""
    return [SelectChoice(f"{kind}:{code}", name, optgroup=str(EXAM_KIND_LABELS[kind]))
            for kind, table in codes.CANDIDATE_CATEGORIES.items()
            for code, name in codes.choices(table, lang=None)]


def _categories_of(kind):
    """The categories of exam kind ``kind`` (plain codes: the edit form of such a record)."""
    return [("", "")] + codes.choices(codes.CANDIDATE_CATEGORIES.get(kind, ()), lang=None)


def _exam_kind_of(form):
    """The exam kind a candidate form is for: the chosen exam's on add, the stored record's on
    edit (FAB sets ``form._id`` before validating an edit)."""
    exam = form.exam.data if "exam" in form else None
    if exam is None and getattr(form, "_id", None) is not None:
        stored = db.session.get(Candidate, form._id)
        exam = stored.exam if stored is not None else None
    return exam.kind if exam is not None else None


def _same_kind_as_exam(form, field):
    kind, _sep, code = (field.data or "").rpartition(":")
    exam_kind = _exam_kind_of(form)
    if kind and exam_kind and kind != exam_kind:
        table = codes.CANDIDATE_CATEGORIES.get(kind, ())
        raise ValidationError(_l(
            "%(category)s is a category of %(owner)s candidates; the exam is a %(kind)s exam.",
            category=codes.label(table, code, lang=None, default=code),
            owner=EXAM_KIND_LABELS.get(kind, kind), kind=EXAM_KIND_LABELS[exam_kind]))


class CategoryField(SelectField):
    """考生类别 of the record's exam kind. The add form's options are every kind's, grouped
    (``kind:code``; the page's script offers the chosen exam's group only, and a category of
    another kind is refused beside the field); the edit form's are the record's kind's codes
    (:meth:`CandidateView._get_edit_widget`). The record stores the code; a code the exam's
    kind lacks is refused by ``guards.check_candidate``."""

    def __init__(self, label, **kwargs):
        kwargs.setdefault("choices", lambda: [SelectChoice("", ""), *_categories_by_kind()])
        kwargs.setdefault("validators", [Optional(), _same_kind_as_exam])
        super().__init__(label, validate_choice=False, **kwargs)

    def populate_obj(self, obj, name):
        setattr(obj, name, (self.data or "").rpartition(":")[2])


class FilterCategory(BaseFilter):
    """考生类别 of one exam kind (codes repeat across kinds, so the value is ``kind:code``)."""

    name = _l("Equal to")
    arg_name = "eq"

    def apply(self, query, value):
        kind, _sep, code = str(value).partition(":")
        return query.filter(Candidate.category == code, Candidate.exam_id.in_(
            select(Exam.id).where(Exam.kind == kind)))


class FilterUnitSubtree(BaseFilter):
    """报考单位 "this unit or below" (``_flt_2_node=<unit id>``): the progress links of the home
    page open a unit's whole subtree. An unknown id matches nothing."""

    name = _l("Unit or below")
    arg_name = "subtree"

    def apply(self, query, value):
        path = db.session.execute(select(Node.path).where(
            Node.id == int(value))).scalar_one_or_none() if is_row_id(value) else None
        if path is None:
            return query.filter(false())
        return query.filter(Candidate.node_id.in_(subtree_ids(path)))


class _CandidateFilters(SQLAFilterConverter):
    """Coded columns filter by equality with a select of labels, not by text prefixes; the
    unit also by its subtree, after FAB's "equal" / "not equal" (indices 0 and 1)."""

    def convert(self, col_name):
        if col_name == "category":
            return [FilterCategory(col_name, self.datamodel)]
        if col_name in ("gender", "state"):
            return [FilterEqual(col_name, self.datamodel)]
        if col_name == "node":
            return [*super().convert(col_name), FilterUnitSubtree(col_name, self.datamodel)]
        return super().convert(col_name)


#: The list URL argument of :class:`FilterUnitSubtree` (its index among the unit's filters).
UNIT_SUBTREE_ARG = "_flt_2_node"


@dataclass
class PageParts:
    """What the packages above ``candidates`` add to its pages; ``app/menu.py`` sets
    :attr:`CandidateView.parts` once every package is imported. The defaults leave them out."""

    #: candidate → the show page's dossier (review timeline, lock and print status, the notice
    #: when the data is frozen), or None.
    dossier: Callable = lambda candidate: None
    #: candidate → the markup of the ``photo_thumb`` column (list and show pages).
    thumbnail: Callable = lambda candidate: ""
    #: rows of a list page → None, after reading what ``thumbnail`` needs in one query.
    remember_photos: Callable = lambda rows: None


class _CandidateInterface(SQLAInterface):
    filter_converter_class = _CandidateFilters

    def query(self, *args, **kwargs):
        count, rows = super().query(*args, **kwargs)
        CandidateView.parts.remember_photos(rows)
        return count, rows

    def _get_attr_value(self, item, col):
        # ``photo_thumb`` is drawn by the photos package, not read from the record.
        if col == "photo_thumb":
            return CandidateView.parts.thumbnail(item)
        return super()._get_attr_value(item, col)


def _preference_row(pref):
    return {"seq": pref.seq, "school": f"{pref.school_name}（{pref.school_code}）",
            "major": f"{pref.major_name}（{pref.major_code}）", "duration": pref.duration or "",
            "level": codes.label(codes.CANDIDATE_CATEGORIES[codes.ADULT], pref.level, lang=None,
                                 default=pref.level),
            "study_form": codes.label(codes.STUDY_FORMS, pref.study_form, lang=None,
                                      default=pref.study_form or ""),
            "adjust": pref.adjust}


def _label_formatter(table):
    return lambda code: codes.label(table, code, lang=None, default=code or "")


BASIC = ["exam", "node", "name", "gender", "id_type", "id_number", "birth_date", "ethnicity",
         "political_status", "category", "student_number", "candidate_number", "class_name"]
CONTACT = ["phone", "address", "postcode", "hukou"]


def _kind_groups(kinds):
    """[(owning kinds, fields)] of the exam-specific fields of ``kinds``: one group per set of
    kinds sharing fields, so a field two kinds record (外语语种: 高考 and 成人高考) is on a
    page once, in the group of both."""
    groups = {}
    for kind in kinds:
        for field in EXAM_FIELDS[kind]:
            owners = tuple(k for k in kinds if field in EXAM_FIELDS[k])
            if owners[0] == kind:
                groups.setdefault(owners, []).append(field)
    return list(groups.items())


def _form_fieldsets(kinds, edit=False):
    # The add form offers every kind's part, folded; an edit form only its record's, open.
    # The exam is chosen once, on add: a record never moves to another exam (its windows,
    # fields and numbers are that exam's).
    basic = [f for f in BASIC if f != "exam"] if edit else BASIC
    return [(_l("Basic information"), {"fields": basic}), (_l("Contact"), {"fields": CONTACT}),
            *[(_l("Only for %(kind)s candidates", kind=exam_kinds_label(owners)),
               {"fields": fields, "expanded": len(kinds) == 1})
              for owners, fields in _kind_groups(kinds)]]


def _show_fieldsets(kind):
    basic = ["photo_thumb", "exam", "node", "name", "gender_label", "id_type", "id_display",
             "birth_date",
             "ethnicity", "political_status", "category_label", "state_label",
             "student_number", "candidate_number", "class_name"]
    sets = [(_l("Basic information"), {"fields": basic}), (_l("Contact"), {"fields": CONTACT})]
    if kind in EXAM_FIELDS:
        sets.append((EXAM_KIND_LABELS[kind], {"fields": list(EXAM_FIELDS[kind])}))
    return sets


#: The show page's field groups for a record of exam kind ``kind`` (also the review page's).
show_fieldsets_of = _show_fieldsets


class EditableListWidget(ListWidget):
    """The list without the edit icon on rows whose data may not change now."""

    template = "review/editable_list.html"


_OPTIONAL_TEXT = [c.key for c in Candidate.__table__.columns
                  if c.nullable and isinstance(c.type, String)]


#: The tabs of the candidate's own rows; upper packages' come after (:meth:`CandidateView.attach`).
OWN_RELATED_VIEWS = (GuardianView, StudyHistoryView, QualityEvaluationView)


def _frozen_ids(ids):
    """The ids among a list page's ``ids`` whose data may not change now, in one query."""
    ids = [int(i) for i in ids]
    if not ids:
        return set()
    return policy.frozen_ids(db.session.execute(
        select(Candidate.id, Candidate.name, Candidate.state, Candidate.locked)
        .where(Candidate.id.in_(ids))))


class CandidateView(ScopedModelView):
    datamodel = _CandidateInterface(Candidate)
    list_title, show_title = _l("Candidates"), _l("Candidate")
    add_title, edit_title = _l("Add candidate"), _l("Edit candidate")
    related_views = list(OWN_RELATED_VIEWS)
    parts = PageParts()
    list_columns = ["photo_thumb", "name", "gender_label", "id_display", "candidate_number",
                    "class_name", "node", "category_label", "state_label", "exam"]
    search_columns = ["name", "id_number", "candidate_number", "exam", "node", "class_name",
                      "state", "category", "gender", "student_number"]
    search_form_extra_fields = {
        "gender": SelectField(_l("Gender"),
                              choices=lambda: codes.choices(codes.GENDERS, lang=None)),
        "state": SelectField(_l("Review state"), choices=list(STATE_LABELS.items())),
        "category": SelectField(_l("Candidate category"), choices=_categories_by_kind),
    }
    order_columns = ["name", "candidate_number", "class_name"]
    base_order = ("id", "asc")
    page_size = 50
    large_list = True
    list_template = "candidates/list.html"
    list_widget = EditableListWidget
    show_template = "candidates/show.html"
    add_template, edit_template = "candidates/add.html", "candidates/edit.html"
    # The screens show 户籍所在地 by name; the import keeps LABELS' "code" wording.
    label_columns = {**LABELS, "hukou": _l("Hukou location")}
    # Every field of every kind is a show column; each record shows its own kind's part.
    show_fieldsets = _show_fieldsets(None) + [
        (exam_kinds_label(owners), {"fields": fields})
        for owners, fields in _kind_groups(list(EXAM_FIELDS))]
    formatters_columns = {**{col: _label_formatter(table) for col, table in CODED.items()},
                          "hukou": division_name}
    add_fieldsets = _form_fieldsets(EXAM_FIELDS)
    edit_fieldsets = _form_fieldsets(EXAM_FIELDS, edit=True)
    edit_form_extra_fields = {
        "gender": code_select(_l("Gender"), codes.GENDERS, required=True),
        **{col: code_select(LABELS[col], table) for col, table in CODED.items()},
        # A form posted without it (an older page, a script) keeps the record's document
        # type, and a new record holds a 居民身份证.
        "id_type": SelectField(LABELS["id_type"], default=codes.ID_CARD,
                               choices=lambda: codes.choices(codes.ID_TYPES, lang=None),
                               validators=[DataRequired()]),
        "category": CategoryField(_l("Candidate category")),
        "hukou": division_field(label_columns["hukou"]),
    }
    # New records: only active exams are offered (the guard refuses any other).
    add_form_extra_fields = {**edit_form_extra_fields, "exam": OfferedSelectField(
        LABELS["exam"], Exam, active_exams, validators=[DataRequired()])}
    validators_columns = {
        "id_number": [document_number_field],
        "name": [form_validator(validate_name)],
        "phone": [form_validator(validate_mobile)],
        "postcode": [form_validator(validate_postcode)],
        "candidate_number": [form_validator(validate_candidate_number)],
        "work_start": [form_validator(validate_past_date)],
        "graduation_date": [form_validator(validate_past_date)],
    }

    @classmethod
    def attach(cls, related_views=(), **parts):
        """What the upper packages add, set by the composition root before the view is
        registered: ``related_views`` after the candidate's own rows, :class:`PageParts`."""
        cls.related_views = [*OWN_RELATED_VIEWS, *related_views]
        cls.parts = PageParts(**parts)

    @property
    def _related_views(self):
        """Tabs follow permissions: a related list shows only to users who may list it (FAB
        shows every tab to every reader; physical results and integrity records are not for
        schools)."""
        views = self.get_init_inner_views()
        if not has_request_context():
            return views
        # The record shown (set by _get_show_widget): a tab declaring the exam kinds it holds
        # data for (``tab_exam_kinds``) is left out for another kind's record, and its queries
        # with it (a 中招 record has no 体检 or 报名信息 of the 高考 archive).
        kind = g.get("ks_show_exam_kind")
        return [v for v in views
                if (kind is None or kind in getattr(v, "tab_exam_kinds", (kind,)))
                and self.appbuilder.sm.has_access("can_list", v.class_permission_name)]

    @_related_views.setter
    def _related_views(self, views):
        self.__dict__["_all_related_views"] = views

    def get_init_inner_views(self):
        # FAB appends the related view instances to this list when it registers them.
        return self.__dict__.setdefault("_all_related_views", [])

    def _show(self, pk):
        """FAB's ``_show`` with the record read together with its exam and unit (the page shows
        both: two statements less), and the tabs without rows rendered without queries."""
        item = self._record_to_show(pk)
        if item is None:
            abort(404)
        widgets = self._get_show_widget(pk, item)
        self.update_redirect()
        views = self._related_views
        with_rows = tabs.tabs_with_rows(views, Candidate, item.id)
        tabs.mark_empty([v for v in views if v not in with_rows])
        try:
            return self._get_related_views_widgets(
                item, orders=get_order_args(), pages=get_page_args(),
                page_sizes=get_page_size_args(), widgets=widgets)
        finally:
            tabs.clear_empty()

    def _record_to_show(self, pk):
        # FAB's datamodel.get: the base filters (the user's subtree) and the primary key (a
        # row id: _sane_request_args answered 404 to anything else), applied directly (FAB's
        # apply_all builds every column's search filters first).
        query = db.session.query(Candidate).options(joinedload(Candidate.exam),
                                                    joinedload(Candidate.node))
        return self._base_filters.apply_all(query).filter(
            Candidate.id == int(pk)).one_or_none()

    def _get_related_view_widget(self, item, related_view, order_column="",
                                 order_direction="", page=None, page_size=None):
        """FAB's, with :class:`tabs.TabFilters` (no search-filter catalogue per tab)."""
        fk = related_view.datamodel.get_related_fk(Candidate)
        if not related_view.datamodel.is_relation_many_to_one(fk):
            return super()._get_related_view_widget(item, related_view, order_column,
                                                    order_direction, page, page_size)
        filters = tabs.TabFilters(related_view.datamodel)
        filters.add_filter_related_view(fk, self.datamodel.FilterRelationOneToManyEqual,
                                        item.id)
        return related_view._get_view_widget(filters=filters, order_column=order_column,
                                             order_direction=order_direction, page=page,
                                             page_size=page_size)

    def _get_show_widget(self, pk, item, widgets=None, actions=None, show_fieldsets=None):
        g.ks_show_exam_kind = item.exam.kind if item.exam else None
        # The dossier first: it reads the pictures, which the photo column then reuses.
        dossier = self.parts.dossier(item)
        widgets = super()._get_show_widget(
            pk, item, widgets, actions, show_fieldsets or _show_fieldsets(item.exam.kind))
        widgets["dossier"] = dossier
        # A travel permit or passport is reviewed by the city (证件审核, candidates/documents.py).
        widgets["document_review"] = item.id_type not in (None, codes.ID_CARD)
        if item.exam.kind == codes.ADULT:
            # 成人高考 preferences (志愿), read-only here: the candidate fills them in.
            widgets["preferences"] = [_preference_row(p) for p in item.preferences]
        return widgets

    def _get_list_widget(self, **kwargs):
        widgets = super()._get_list_widget(**kwargs)
        listing = widgets["list"]
        listing.template_args["frozen"] = _frozen_ids(listing.template_args["pks"])
        return widgets

    @expose("/edit/<pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        """A record whose data may not change (signed, or approved) opens read-only: its show
        page says who locked it, when, and how to get it changed; a post changes nothing."""
        item = self.datamodel.get(pk, self._base_filters)
        if item is not None and policy.refusal(item, policy.STAFF) is not None:
            return redirect(url_for(".show", pk=item.id))
        return super().edit(pk)

    def _get_add_widget(self, form, exclude_cols=None, widgets=None):
        # What candidate_form.js needs to follow the chosen exam: its kind, the kinds' fields.
        form.exam.render_kw = {
            "data-exam-kinds": json.dumps({str(e.id): e.kind for e in active_exams()}),
            "data-kind-fields": json.dumps(EXAM_FIELDS)}
        return super()._get_add_widget(form, exclude_cols, widgets)

    def _get_edit_widget(self, form, exclude_cols=None, widgets=None):
        # The edit form offers the fields and the categories of the record's own exam kind only.
        item = self.datamodel.get(request.view_args.get("pk"), self._base_filters)
        kinds = [item.exam.kind] if item is not None and item.exam.kind in EXAM_FIELDS else []
        if item is not None:
            form.category.choices = _categories_of(item.exam.kind)
        widgets = widgets or {}
        widgets["edit"] = self.edit_widget(form=form, include_cols=self.edit_columns,
                                           exclude_cols=exclude_cols or [],
                                           fieldsets=_form_fieldsets(kinds, edit=True))
        return widgets

    @expose("/export/<fmt>")
    @has_access
    def export(self, fmt):
        """The list as filtered on screen, inside the user's subtree, as XLSX or CSV; logged.
        Streamed, or above EXPORT_INLINE_MAX rows a background job (export_views.py)."""
        return export_response(self, fmt)

    @action("batch_print", _l("Batch print"), None, "fa-print", multiple=True, single=False)
    def batch_print(self, items):
        """Open the batch-print page for the selected candidates."""
        items = items if isinstance(items, list) else [items]
        # Actions load rows through the scope (FAB's own loading skips the base filters).
        ids = [str(c.id) for c in scoped_items(Candidate, [i.id for i in items])]
        if not ids:
            flash(_l("Select the candidates to print."), "warning")
            return redirect(url_for(".list"))
        return redirect(url_for("PrintView.batch_form", ids=",".join(ids)))

    def guard(self, item, is_add):
        # An empty input means "not given": NULL, never "" (a second "" 考生号 would collide).
        for key in _OPTIONAL_TEXT:
            if getattr(item, key) == "":
                setattr(item, key, None)
        if is_add and named_exam(item.exam.id if item.exam else None) is None:
            raise BadInput(_l("New candidates are registered for an active exam only; "
                              "choose one of the exams offered."))
        check_candidate(item, g.user.node)
        # ``locked`` is not on the form, so it still holds the stored value here.
        check_change_allowed(item)

    def pre_delete(self, item):
        check_change_allowed(item)
