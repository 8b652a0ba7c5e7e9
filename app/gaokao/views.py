"""Screens of the 高考 archive: physical examination results (体检信息), entered by the county's
exam clerk from the paper 考生体格检查表, and integrity records (考试诚信记录), kept by county and
city offices. Both are scoped through the candidate, audited, and show their change history."""
import datetime as dt

from flask import abort, flash, redirect, url_for
from flask_appbuilder import expose
from flask_appbuilder.fieldwidgets import Select2ManyWidget
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import SelectField, SelectMultipleField
from wtforms.validators import DataRequired
from wtforms.validators import ValidationError as FormError

from ..base_views import ScopedModelView
from .. import codes as candidate_codes
from ..candidates.picker import CandidatePickerField
from ..codes import GAOKAO
from ..validators import form_validator, validate_past_date
from ..extensions import db
from . import codes, rules
from .fields import MeasureField, candidate_from_link, consistent, gaokao_candidate
from .history import record_history
from .models import IntegrityRecord, PhysicalExam
from ..refusals import Refused

SECTIONS = (
    (_l("Examination"), ["serial", "hospital", "exam_date", "doctor", "history"]),
    (_l("Eyes"), ["vision_naked_right", "vision_naked_left", "vision_corrected_right",
                  "vision_corrected_left", "lens_right", "lens_left", "colour_vision",
                  "eye_disease"]),
    (_l("Internal medicine"), ["bp_systolic", "bp_diastolic", "heart", "lungs", "abdomen",
                               "nervous"]),
    (_l("Surgery"), ["height", "weight", "skin", "spine", "limbs"]),
    (_l("Ear, nose and throat"), ["hearing_right", "hearing_left", "smell", "ent"]),
    (_l("Mouth"), ["lips_palate", "teeth"]),
    (_l("Further tests"), ["chest_xray", "alt", "other"]),
    (_l("Conclusion"), ["restriction_list", "conclusion"]),
)
#: the show page prints code labels instead of codes.
SHOWN_AS = {"colour_vision": "colour_vision_label", "smell": "smell_label",
            "conclusion": "conclusion_label", "restriction_list": "restrictions_label"}
PHYSICAL_LABELS = {
    "candidate": _l("Candidate"), "candidate_ref": _l("Candidate"),
    "serial": _l("Examination number"), "hospital": _l("Examining hospital"),
    "exam_date": _l("Examination date"), "doctor": _l("Chief examining doctor"),
    "history": _l("Medical history"),
    **{key: spec.label for key, spec in rules.MEASURES.items()},
    "colour_vision": _l("Colour vision"), "colour_vision_label": _l("Colour vision"),
    "eye_disease": _l("Eye diseases"), "heart": _l("Heart and blood vessels"),
    "lungs": _l("Respiratory system"), "abdomen": _l("Abdominal organs"),
    "nervous": _l("Nervous system"), "skin": _l("Skin"), "spine": _l("Spine"),
    "limbs": _l("Limbs and joints"), "smell": _l("Sense of smell"),
    "smell_label": _l("Sense of smell"), "ent": _l("Ear, nose and throat"),
    "lips_palate": _l("Lips and palate"), "teeth": _l("Teeth"),
    "chest_xray": _l("Chest X-ray"), "other": _l("Other"),
    "conclusion": _l("Conclusion"), "conclusion_label": _l("Conclusion"),
    "restriction_list": _l("Restriction codes"), "restrictions": _l("Restriction codes"),
    "restrictions_label": _l("Restriction codes"),
}
_CODED = {"colour_vision": codes.COLOUR_VISION, "smell": codes.SMELL,
          "conclusion": codes.CONCLUSIONS, "kind": codes.VIOLATION_KINDS}


def _code_select(label, table, *validators):
    return SelectField(label, validators=[DataRequired(), *validators],
                       choices=lambda: [("", "")] + candidate_codes.choices(table, lang=None))


def show_value(column, value):
    """A stored value as the history shows it: code labels, measurement decimals."""
    if value in (None, "", []):
        return ""
    if column in _CODED:
        return candidate_codes.label(_CODED[column], value, lang=None, default=value)
    if column == "restrictions":
        return "；".join(candidate_codes.label(codes.RESTRICTIONS, c, lang=None, default=c)
                        for c in str(value).split(","))
    if column in rules.MEASURES:
        return rules.fmt(value, column)
    return value


def _no_record_yet(candidate):
    existing = db.session.execute(select(PhysicalExam.id).where(
        PhysicalExam.candidate_id == candidate.id)).scalar()
    if existing is not None:
        raise FormError(_l("%(name)s already has a physical examination record; edit that one.",
                           name=candidate.name))


def _may_change(candidate):
    try:
        rules.check_physical_change(candidate)
    except Refused as exc:
        raise FormError(str(exc)) from None


def candidate_picker(*checks):
    """The 高考 candidate of a new record, searched in the subtree as it is typed (the tab's
    add link fills it in); ``checks(candidate)`` may refuse it with FormError."""
    return CandidatePickerField(resolve=lambda _form, ref: gaokao_candidate(ref), checks=checks,
                                kind=GAOKAO, default=candidate_from_link)


def touch(candidate):
    """The printed 体检表 shows these results and its verification code binds the candidate's
    version: a change moves that version (as versioning.py does for the other printed parts),
    so a form printed before no longer verifies as current."""
    candidate.changed_on = dt.datetime.now()


class ArchiveView(ScopedModelView):
    """Show pages with the record's change history from the audit trail."""

    show_template = "gaokao/show.html"

    def guard(self, item, is_add):
        if is_add:
            # The picker resolved the candidate through the scope and its checks. Both values
            # are set now, before the insert is audited, so the history can find that insert
            # (history.py).
            item.candidate = item.candidate_ref
            item.candidate_id, item.created_on = item.candidate.id, dt.datetime.now()
        super().guard(item, is_add)

    def _get_show_widget(self, pk, item, widgets=None, actions=None, show_fieldsets=None):
        widgets = super()._get_show_widget(pk, item, widgets, actions, show_fieldsets)
        widgets["history"] = record_history(item, self.label_columns, show_value)
        return widgets


class PhysicalExamView(ArchiveView):
    datamodel = SQLAInterface(PhysicalExam)
    route_base = "/physical"
    list_title = _l("Physical examinations")
    show_title = _l("Physical examination")
    add_title, edit_title = _l("Enter physical examination"), _l("Edit physical examination")
    list_columns = ["candidate", "serial", "exam_date", "hospital", "conclusion_label"]
    # Explicit: a candidate filter would preload every candidate of the subtree.
    search_columns = ["serial", "hospital", "exam_date", "doctor"]
    order_columns = ["serial", "exam_date"]
    base_order = ("id", "desc")
    label_columns = PHYSICAL_LABELS
    show_fieldsets = [(_l("Candidate"), {"fields": ["candidate"]})] + [
        (title, {"fields": [SHOWN_AS.get(f, f) for f in fields]}) for title, fields in SECTIONS]
    edit_fieldsets = [(title, {"fields": fields}) for title, fields in SECTIONS]
    add_fieldsets = [(_l("Candidate"), {"fields": ["candidate_ref"]})] + edit_fieldsets
    formatters_columns = {key: (lambda value, key=key: rules.fmt(value, key))
                          for key in rules.MEASURES}
    description_columns = {
        "vision_naked_right": _l("Five-point notation (5.0 = 1.0), e.g. 4.8."),
        "lens_right": _l("Degrees; negative for short sight, e.g. -350."),
        "hearing_right": _l("Whisper distance in metres; 5 is normal."),
        "restriction_list": _l("Codes of the 普通高等学校招生体检工作指导意见 marked by the "
                               "doctor; the conclusion follows the most severe section."),
    }
    validators_columns = {"exam_date": [form_validator(validate_past_date)]}
    edit_form_extra_fields = {
        **{key: MeasureField(key, validators=[consistent] if key in rules.CONSISTENCY else [])
           for key in rules.MEASURES},
        "colour_vision": _code_select(_l("Colour vision"), codes.COLOUR_VISION),
        "smell": _code_select(_l("Sense of smell"), codes.SMELL),
        "conclusion": _code_select(_l("Conclusion"), codes.CONCLUSIONS, consistent),
        "restriction_list": SelectMultipleField(
            _l("Restriction codes"), widget=Select2ManyWidget(), validators=[consistent],
            choices=lambda: candidate_codes.choices(codes.RESTRICTIONS, lang=None),
            # A cleared select posts one empty value: no restriction, not a code "".
            filters=[lambda chosen: [c for c in chosen or () if c]]),
    }
    add_form_extra_fields = {**edit_form_extra_fields,
                             "candidate_ref": candidate_picker(_may_change, _no_record_yet)}

    def _get_show_widget(self, pk, item, widgets=None, actions=None, show_fieldsets=None):
        widgets = super()._get_show_widget(pk, item, widgets, actions, show_fieldsets)
        widgets["print_candidate"] = item.candidate_id  # its 体检表 prints these results
        return widgets

    @expose("/edit/<pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        # Refused before anything is typed: only a 高考 candidate's results can be edited.
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            abort(404)
        try:
            rules.check_physical_change(item.candidate)
        except Refused as exc:
            flash(str(exc), "danger")
            return redirect(url_for(".show", pk=pk))
        return super().edit(pk)

    def guard(self, item, is_add):
        super().guard(item, is_add)
        rules.check_physical_change(item.candidate)
        if is_add:
            _no_record_yet(item.candidate)  # again: another clerk may have entered it since
        if is_add or db.session.is_modified(item):
            touch(item.candidate)

    def pre_delete(self, item):
        rules.check_physical_change(item.candidate)
        touch(item.candidate)


class IntegrityRecordView(ArchiveView):
    """考试诚信记录: any number per candidate; not bound by the record's lock (violations are
    found at or after the exam, when every record is signed)."""

    datamodel = SQLAInterface(IntegrityRecord)
    route_base = "/integrity"
    list_title = _l("Integrity records")
    show_title = _l("Integrity record")
    add_title, edit_title = _l("Record a violation"), _l("Edit integrity record")
    list_columns = ["candidate", "occurred_on", "kind_label", "decision", "document_number"]
    search_columns = ["occurred_on", "kind", "document_number", "decision"]
    search_form_extra_fields = {"kind": SelectField(
        _l("Kind of violation"),
        choices=lambda: candidate_codes.choices(codes.VIOLATION_KINDS, lang=None))}
    order_columns = ["occurred_on", "document_number"]
    base_order = ("occurred_on", "desc")
    label_columns = {
        "candidate": _l("Candidate"), "candidate_ref": _l("Candidate"),
        "occurred_on": _l("Date of the violation"), "kind": _l("Kind of violation"),
        "kind_label": _l("Kind of violation"), "description": _l("Facts"),
        "decision": _l("Decision"), "document_number": _l("Document number"),
    }
    description_columns = {
        "decision": _l("The penalty as decided, e.g. 取消当次考试各科成绩."),
        "document_number": _l("Number of the decision document, e.g. 豫招考〔2026〕12号."),
    }
    edit_columns = ["occurred_on", "kind", "description", "decision", "document_number"]
    add_columns = ["candidate_ref", *edit_columns]
    show_columns = ["candidate", "occurred_on", "kind_label", "description", "decision",
                    "document_number"]
    validators_columns = {"occurred_on": [form_validator(validate_past_date)]}
    edit_form_extra_fields = {"kind": _code_select(_l("Kind of violation"),
                                                   codes.VIOLATION_KINDS)}
    add_form_extra_fields = {**edit_form_extra_fields, "candidate_ref": candidate_picker()}

    def guard(self, item, is_add):
        super().guard(item, is_add)
        rules.check_gaokao(item.candidate)
