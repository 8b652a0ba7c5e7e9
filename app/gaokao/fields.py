"""Form fields of the 高考 archive screens: numbers of the paper form, the candidate named by
number (the picker of candidates/picker.py offers them as they are typed), and the checks
across fields. A refusal keeps everything typed on the form."""
from flask import request
from flask_appbuilder.fieldwidgets import BS3TextFieldWidget
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import StringField
from wtforms.validators import StopValidation
from wtforms.validators import ValidationError as FormError

from ..candidates.lookup import find_candidates
from ..candidates.models import Candidate
from ..codes import GAOKAO
from ..extensions import db
from ..jurisdiction import scoped
from ..refusals import BadInput
from ..validators import InvalidValue
from . import rules


class MeasureField(StringField):
    """A number of the paper form typed as text and read by ``rules.parse_measure``: a bad
    entry is shown back as typed, with the reason."""

    widget = BS3TextFieldWidget()

    def __init__(self, key, **kwargs):
        super().__init__(rules.MEASURES[key].label, **kwargs)
        self.key = key
        self.raw = None
        self.problem = None

    def process_formdata(self, valuelist):
        self.raw = valuelist[0] if valuelist else ""
        self.problem = None
        try:
            self.data = rules.parse_measure(self.key, self.raw)
        except InvalidValue as exc:
            self.data, self.problem = None, str(exc)

    def pre_validate(self, form):
        if self.problem:
            raise StopValidation(self.problem)

    def _value(self):
        return self.raw if self.raw is not None else rules.fmt(self.data, self.key)


def form_values(form):
    """The form's values under the names the rules use."""
    values = {name: field.data for name, field in form._fields.items()}
    values["restrictions"] = values.get("restriction_list") or []
    return values


def consistent(form, field):
    """Report on ``field`` its check of ``rules.CONSISTENCY`` (values of other fields that
    failed on their own decide nothing)."""
    problem = rules.CONSISTENCY[field.name](form_values(form))
    if problem is not None:
        raise FormError(str(problem))


def gaokao_candidate(ref, kinds=(GAOKAO,), check=rules.check_gaokao):
    """The one candidate of an exam of ``kinds`` (default: 高考) in the user's jurisdiction
    named by an ID number, 考生号 or system id; FormError with the reason (``check``'s for a
    candidate of another kind) otherwise."""
    found = find_candidates(ref)
    gaokao = [c for c in found if c.exam is not None and c.exam.kind in kinds]
    if not found:
        raise FormError(_l("No candidate with that ID number, candidate number or system id "
                           "is in your jurisdiction."))
    if not gaokao:
        try:
            check(found[0])
        except BadInput as exc:
            raise FormError(str(exc)) from None
    if len(gaokao) > 1:
        raise FormError(_l("That ID number is registered for several 高考 exams; enter the "
                           "candidate number."))
    return gaokao[0]


def integrity_candidate(ref):
    """The candidate of an integrity record: 普通高考 or 成人高考 (rules.INTEGRITY_KINDS)."""
    return gaokao_candidate(ref, rules.INTEGRITY_KINDS, rules.check_integrity_candidate)


def candidate_from_link():
    """The candidate's 考生号 (else ID number) when the add form is opened from its page
    (FAB's related-list link carries ``_flt_0_candidate=<id>``); empty otherwise."""
    value = request.args.get("_flt_0_candidate", "")
    if not value.isdigit():
        return ""
    candidate = db.session.execute(scoped(select(Candidate).where(
        Candidate.id == int(value)), Candidate)).scalar_one_or_none()
    if candidate is None:
        return ""
    return candidate.candidate_number or candidate.id_number
