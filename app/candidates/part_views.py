"""Screens for the rows that belong to a candidate: guardians (监护人), study history
(学习简历) and the school's comprehensive quality evaluation (综合素质评定).

They change only while their candidate may change (lock, staff-entry window). A row never
moves to another candidate: the candidate is chosen when the row is added (searched in the
user's subtree by the candidate picker, never a dropdown of every candidate) and is not on the
edit form. Lists are searched by the candidate's name, ID number or 考生号 as typed text.
"""
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import SelectField
from wtforms.validators import DataRequired, Optional

from ..base_views import ScopedModelView
from ..extensions import db
from .. import codes
from ..refusals import BadInput
from .guards import check_change_allowed
from .labels import LABELS
from .models import (EVALUATION_DIMENSIONS, GRADES, Candidate, Guardian, QualityEvaluation,
                     StudyHistory)
from .picker import CandidatePickerField, search_by_candidate
from ..validators import form_validator, validate_mobile, validate_name


def code_select(label, table, required=False):
    """A select of a codes.py table, labelled in the request's language."""
    if required:
        return SelectField(label, choices=lambda: codes.choices(table, lang=None),
                           validators=[DataRequired()])
    # Optional() also clears the "not a valid choice" error of an empty optional select.
    return SelectField(label, choices=lambda: [("", "")] + codes.choices(table, lang=None),
                       validators=[Optional()])


def candidates_touched(item):
    """The candidate a row belongs to now and the one it was stored under (the same unless
    something moved it): a write must be allowed for both."""
    with db.session.no_autoflush:
        stored = db.session.get(Candidate, item.candidate_id) if item.candidate_id else None
    touched = [item.candidate] if item.candidate is not None else []
    if stored is not None and stored is not item.candidate:
        touched.append(stored)
    return touched


#: the search form's candidate filter is on ``candidate_id`` (see picker.search_by_candidate).
PART_LABELS = {**LABELS, "candidate_id": LABELS["candidate"]}


class CandidatePartView(ScopedModelView):
    """Rows of a candidate change only while that candidate may change."""

    def guard(self, item, is_add):
        super().guard(item, is_add)
        for candidate in candidates_touched(item):
            check_change_allowed(candidate)

    def pre_delete(self, item):
        for candidate in candidates_touched(item):
            check_change_allowed(candidate)


class GuardianView(CandidatePartView):
    datamodel = search_by_candidate(SQLAInterface(Guardian))
    list_title = _l("Guardians")
    show_title, add_title, edit_title = _l("Guardian"), _l("Add guardian"), _l("Edit guardian")
    list_columns = ["name", "relation_label", "phone", "work_unit"]
    edit_columns = ["name", "relation", "phone", "work_unit"]
    add_columns = ["candidate", *edit_columns]
    show_columns = ["candidate", "name", "relation_label", "phone", "work_unit"]
    search_columns = ["candidate_id", "name", "relation", "phone", "work_unit"]
    label_columns = PART_LABELS
    edit_form_extra_fields = {
        "relation": code_select(_l("Relation"), codes.GUARDIAN_RELATIONS, required=True)}
    add_form_extra_fields = {**edit_form_extra_fields, "candidate": CandidatePickerField()}
    validators_columns = {"name": [form_validator(validate_name)],
                          "phone": [form_validator(validate_mobile)]}


class StudyHistoryView(CandidatePartView):
    datamodel = search_by_candidate(SQLAInterface(StudyHistory))
    list_title = show_title = _l("Study history")
    add_title, edit_title = _l("Add study period"), _l("Edit study period")
    list_columns = ["start", "end", "school", "role"]
    edit_columns = ["start", "end", "school", "role"]
    add_columns = show_columns = ["candidate", *edit_columns]
    search_columns = ["candidate_id", *edit_columns]
    base_order = ("start", "asc")
    label_columns = PART_LABELS
    add_form_extra_fields = {"candidate": CandidatePickerField()}

    def guard(self, item, is_add):
        super().guard(item, is_add)
        if item.end is not None and item.start is not None and item.end < item.start:
            raise BadInput(_l("The end of a study period cannot be before its start."))


DIMENSIONS = list(EVALUATION_DIMENSIONS)


class QualityEvaluationView(CandidatePartView):
    """综合素质评定: the school grades each dimension A–D; one evaluation per candidate."""

    datamodel = search_by_candidate(SQLAInterface(QualityEvaluation))
    list_title = show_title = _l("Comprehensive quality evaluation")
    add_title, edit_title = _l("Enter quality evaluation"), _l("Edit quality evaluation")
    list_columns = [*DIMENSIONS, "remark"]
    edit_columns = [*DIMENSIONS, "remark"]
    add_columns = show_columns = ["candidate", *edit_columns]
    search_columns = ["candidate_id", *edit_columns]
    label_columns = {**PART_LABELS, **EVALUATION_DIMENSIONS, "remark": _l("Remark")}
    edit_form_extra_fields = {
        key: SelectField(label, choices=[("", "")] + list(GRADES), validators=[DataRequired()])
        for key, label in EVALUATION_DIMENSIONS.items()}
    add_form_extra_fields = {**edit_form_extra_fields, "candidate": CandidatePickerField()}

    def guard(self, item, is_add):
        super().guard(item, is_add)
        with db.session.no_autoflush:
            other = db.session.execute(
                select(QualityEvaluation.id).where(
                    QualityEvaluation.candidate_id == item.candidate.id,
                    QualityEvaluation.id != (item.id or 0))).first()
        if other is not None:
            raise BadInput(_l("%(name)s already has a quality evaluation; edit that one.",
                              name=item.candidate.name))
