"""Candidate screens (考生信息): list with filters and masked ID numbers, detail with guardians
and study history, edit forms running the validators of validators.py."""
from flask import Response, abort, g, request
from flask_appbuilder import expose
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.urltools import get_filter_args
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import SelectField
from wtforms.validators import DataRequired, Optional

from ..base_views import ScopedModelView
from ..extensions import db
from ..jurisdiction import POINT, SCHOOL, in_scope
from ..audit import log_event
from . import codes
from .export import to_csv, to_xlsx
from .models import Candidate, Guardian, StudyHistory
from .validators import (ValidationError, check_id_consistency, form_validator,
                         validate_division_code, validate_id_number, validate_mobile,
                         validate_name, validate_postcode)

LABELS = {
    "exam": _l("Exam"), "node": _l("School / point"), "name": _l("Name"), "gender": _l("Gender"),
    "gender_label": _l("Gender"), "id_number": _l("ID number"), "id_display": _l("ID number"),
    "birth_date": _l("Birth date"), "ethnicity": _l("Ethnicity"), "ethnicity_label": _l("Ethnicity"),
    "political_status": _l("Political status"), "political_status_label": _l("Political status"),
    "phone": _l("Mobile phone"), "address": _l("Address"), "postcode": _l("Postcode"),
    "hukou": _l("Hukou location code"), "student_number": _l("Student registry number"),
    "category": _l("Candidate category"), "category_label": _l("Candidate category"),
    "subject_track": _l("Subject track"), "foreign_language": _l("Foreign language"),
    "graduation_school": _l("Graduation school"), "education_level": _l("Education level"),
    "occupation": _l("Occupation"), "work_start": _l("Started work"),
    "relation": _l("Relation"), "relation_label": _l("Relation"), "work_unit": _l("Work unit"),
    "candidate": _l("Candidate"), "start": _l("From"), "end": _l("To"), "school": _l("School"),
    "role": _l("Position held"), "photo_thumb": _l("Photo"),
}


def _category_choices():
    # Category codes repeat across exam kinds; one option per code, labelled for every kind.
    merged = {}
    for table in codes.CANDIDATE_CATEGORIES.values():
        for code, zh, _en in table:
            merged.setdefault(code, []).append(zh)
    return [("", "")] + [(c, f"{c} " + "／".join(names)) for c, names in sorted(merged.items())]


def _select(label, table, required=False):
    # Optional() also clears the "not a valid choice" error of an empty optional select.
    if required:
        return SelectField(label, choices=codes.choices(table), validators=[DataRequired()])
    return SelectField(label, choices=[("", "")] + codes.choices(table), validators=[Optional()])


def check_change_allowed(candidate):
    """Lock and staff-entry window: every staff write to a candidate's data goes through here."""
    from ..phases.rules import check_open
    from ..review.workflow import check_editable

    check_editable(candidate)
    exam_id = candidate.exam.id if candidate.exam is not None else candidate.exam_id
    check_open("staff_entry", exam_id, candidate.category, candidate.node)


def check_candidate(item, user_node):
    """Raise ValueError with a translated message unless ``item`` may be stored."""
    if item.node is None or item.node.kind not in (SCHOOL, POINT):
        raise ValueError(_l("A candidate belongs to a school or a registration point."))
    if not in_scope(item.node, user_node):
        raise ValueError(_l("That unit is outside your jurisdiction."))
    try:
        check_id_consistency(item.id_number, item.birth_date, item.gender)
    except ValidationError as exc:
        raise ValueError(str(exc)) from exc
    if item.category and item.exam is not None:
        allowed = {c for c, _zh, _en in codes.CANDIDATE_CATEGORIES.get(item.exam.kind, ())}
        if item.category not in allowed:
            raise ValueError(_l("That candidate category does not exist for this exam."))
    # Form data sets the relationships; the foreign-key columns stay empty until a flush.
    exam_id = item.exam.id if item.exam is not None else item.exam_id
    with db.session.no_autoflush:
        holder = db.session.execute(
            select(Candidate).where(Candidate.exam_id == exam_id,
                                    Candidate.id_number == item.id_number,
                                    Candidate.id != (item.id or 0))).scalar_one_or_none()
    if holder is not None:
        unit = holder.node.name if not in_scope(holder, user_node) else \
            f"{holder.node.name}（{holder.node.code}）"
        raise ValueError(_l("This ID number is already registered for this exam by %(unit)s.",
                            unit=unit))


def log_export(count, fmt, args):
    log_event("export", Candidate.__tablename__, {"format": fmt, "rows": count, "filters": args})


class _CandidatePartView(ScopedModelView):
    """Guardians and study history change only while their candidate may change."""

    def guard(self, item, is_add):
        super().guard(item, is_add)
        check_change_allowed(item.candidate)

    def pre_delete(self, item):
        check_change_allowed(item.candidate)


class GuardianView(_CandidatePartView):
    datamodel = SQLAInterface(Guardian)
    list_columns = ["name", "relation_label", "phone", "work_unit"]
    add_columns = edit_columns = ["candidate", "name", "relation", "phone", "work_unit"]
    show_columns = ["candidate", "name", "relation_label", "phone", "work_unit"]
    label_columns = LABELS
    add_form_extra_fields = edit_form_extra_fields = {
        "relation": _select(_l("Relation"), codes.GUARDIAN_RELATIONS, required=True)}
    validators_columns = {"name": [form_validator(validate_name)],
                          "phone": [form_validator(validate_mobile)]}


class StudyHistoryView(_CandidatePartView):
    datamodel = SQLAInterface(StudyHistory)
    list_columns = ["start", "end", "school", "role"]
    add_columns = edit_columns = show_columns = ["candidate", "start", "end", "school", "role"]
    base_order = ("start", "asc")
    label_columns = LABELS

    def guard(self, item, is_add):
        super().guard(item, is_add)
        if item.end is not None and item.start is not None and item.end < item.start:
            raise ValueError(_l("The end of a study period cannot be before its start."))


class CandidateView(ScopedModelView):
    datamodel = SQLAInterface(Candidate)
    related_views = [GuardianView, StudyHistoryView]
    list_columns = ["photo_thumb", "name", "gender_label", "id_display", "node", "category_label",
                    "exam"]
    search_columns = ["name", "id_number", "exam", "node", "category", "gender", "student_number"]
    order_columns = ["name"]
    base_order = ("id", "asc")
    page_size = 50
    list_template = "candidates/list.html"
    show_template = "candidates/show.html"
    label_columns = LABELS
    show_fieldsets = [
        (_l("Basic information"), {"fields": [
            "photo_thumb", "exam", "node", "name", "gender_label", "id_display", "birth_date",
            "ethnicity_label", "political_status_label", "category_label", "student_number"]}),
        (_l("Contact"), {"fields": ["phone", "address", "postcode", "hukou"]}),
        (_l("Exam-specific"), {"fields": [
            "subject_track", "foreign_language", "graduation_school", "education_level",
            "occupation", "work_start"], "expanded": False}),
    ]
    add_columns = edit_columns = [
        "exam", "node", "name", "gender", "id_number", "birth_date", "ethnicity",
        "political_status", "category", "phone", "address", "postcode", "hukou", "student_number",
        "subject_track", "foreign_language", "graduation_school", "education_level",
        "occupation", "work_start"]
    add_form_extra_fields = edit_form_extra_fields = {
        "gender": _select(_l("Gender"), codes.GENDERS, required=True),
        "ethnicity": _select(_l("Ethnicity"), codes.ETHNICITIES),
        "political_status": _select(_l("Political status"), codes.POLITICAL_STATUS),
        "category": SelectField(_l("Candidate category"), choices=_category_choices(),
                                validators=[Optional()]),
        "subject_track": _select(_l("Subject track"), codes.SUBJECT_TRACKS),
        "foreign_language": _select(_l("Foreign language"), codes.FOREIGN_LANGUAGES),
        "education_level": _select(_l("Education level"), codes.EDUCATION_LEVELS),
        "occupation": _select(_l("Occupation"), codes.OCCUPATIONS),
    }
    validators_columns = {
        "id_number": [form_validator(validate_id_number)],
        "name": [form_validator(validate_name)],
        "phone": [form_validator(validate_mobile)],
        "postcode": [form_validator(validate_postcode)],
        "hukou": [form_validator(validate_division_code)],
    }

    @expose("/export/<fmt>")
    @has_access
    def export(self, fmt):
        """The list as filtered on screen, inside the user's subtree, as XLSX or CSV; logged."""
        if fmt not in ("xlsx", "csv"):
            abort(404)
        get_filter_args(self._filters)
        filters = self._filters.get_joined_filters(self._base_filters)
        query = self.datamodel.apply_all(self.datamodel.session.query(Candidate), filters,
                                         order_column="id", order_direction="asc")
        candidates = query.yield_per(2000)
        data, count = (to_xlsx if fmt == "xlsx" else to_csv)(candidates)
        log_export(count, fmt, dict(request.args))
        mimetype = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                    if fmt == "xlsx" else "text/csv; charset=utf-8")
        return Response(data, mimetype=mimetype, headers={
            "Content-Disposition": f"attachment; filename=candidates.{fmt}"})

    def guard(self, item, is_add):
        for key in ("ethnicity", "political_status", "category", "subject_track",
                    "foreign_language", "education_level", "occupation"):
            if getattr(item, key) == "":
                setattr(item, key, None)
        check_candidate(item, g.user.node)
        # ``locked`` is not on the form, so it still holds the stored value here.
        check_change_allowed(item)

    def pre_delete(self, item):
        check_change_allowed(item)
