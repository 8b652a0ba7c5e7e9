"""成人高考 basic information (基本信息) on the self-service: the items seed 004 has every
candidate fill online besides the preferences — 民族, 政治面貌, 考生特征, 招生类别, 文化程度,
毕业学校, 毕业日期, 毕业证书编号, 医学类执业资格证书编号, 职业类别, 工作日期, 外语语种,
通讯地址, 邮政编码.

Written like every other self-service change: ``refused_write`` asks ``candidates.policy``
(editable until the candidate confirms, frozen after; the self-registration window open), only
the fields declared on :class:`BasicInfoForm` are read, and the model's audit hooks record each
change with its values before and after. :func:`missing_basic_info` is what the confirmation
(``views.completeness``) and the status page ask.
"""
import datetime as dt

from flask import g
from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, StopValidation, ValidationError

from .. import codes
from ..adult.rules import is_medical
from ..candidates import policy
from ..candidates.labels import LABELS
from ..candidates.models import Candidate
from ..validators import form_validator, validate_past_date, validate_postcode
from .adult import _commit, adult_only
from .forms import MonthField, SelfServiceForm, at_most, date_required, or_none, squash
from .views import SELF_REGISTRATION, _page, bp, refused_write

#: 文化程度 codes that come with no diploma (其他): 毕业证书编号 may stay empty.
NO_DIPLOMA_LEVELS = frozenset({"90"})
#: Nobody starts work before this age (工作日期).
WORK_AGE = 16
#: Required on the form and before confirming; 毕业证书编号 and 医学类执业资格证书编号 follow
#: the rules of :func:`needs_diploma` and :func:`needs_medical_license`.
REQUIRED = ("candidate_feature", "enrolment_type", "education_level", "graduation_school",
            "graduation_date", "occupation", "foreign_language", "address", "postcode")
#: The text fields' limits: their columns' lengths.
LIMITS = {f: Candidate.__table__.c[f].type.length for f in (
    "graduation_school", "diploma_number", "medical_license", "address", "postcode")}
#: The notice's own names where they differ from the staff screens' (职业类别, 工作日期, 通讯地址).
FIELD_LABELS = {**LABELS, "occupation": _l("Occupation category"),
                "work_start": _l("Work start date"), "address": _l("Mailing address")}


def needs_diploma(education_level):
    """Whether a candidate of this 文化程度 holds a diploma whose number is asked (unknown
    level: yes)."""
    return education_level not in NO_DIPLOMA_LEVELS


def needs_medical_license(candidate):
    """Whether one of the candidate's preferences is of the medical major category (医学类).
    Seed 004 ties 医卫类 candidates to designated points whatever their level, and names no
    level without the certificate: any preference of the category asks for it."""
    return any(is_medical(p.major_category) for p in candidate.preferences)


def missing_basic_info(candidate):
    """The basic-information fields the candidate still has to fill, in form order."""
    def asked(field):
        if field == "diploma_number":
            return needs_diploma(candidate.education_level)
        if field == "medical_license":
            return needs_medical_license(candidate)
        return field in REQUIRED

    return [f for f in FIELDS if asked(f) and getattr(candidate, f) in (None, "")]


def basic_info_problems(candidate):
    """:func:`missing_basic_info` as the confirmation's list of problems (one line)."""
    missing = missing_basic_info(candidate)
    if not missing:
        return []
    return [_l("Fill in your basic information: %(fields)s.",
               fields="、".join(str(FIELD_LABELS[f]) for f in missing))]


# --- the form ---------------------------------------------------------------------------------


class CodeField(SelectField):
    """A select of a code table (labels in the page's language); empty is None, a code the
    table lacks is refused."""

    def __init__(self, table, validators=None, **kwargs):
        self.table = table
        super().__init__(choices=lambda: codes.choices(table, lang=None), filters=[or_none],
                         validators=validators, **kwargs)

    def pre_validate(self, form):
        if self.data is not None and self.data not in {row[0] for row in self.table}:
            raise StopValidation(_l("Choose a value from the list."))


def required():
    """DataRequired with the wording of the preference form's required fields."""
    return DataRequired(_l("This field is required."))


class BasicInfoForm(SelfServiceForm):
    """The basic information; ``candidate`` (set by the view) gives the birth date and the
    preferences the rules ask about."""

    candidate = None
    ethnicity = CodeField(codes.ETHNICITIES)
    political_status = CodeField(codes.POLITICAL_STATUS)
    candidate_feature = CodeField(codes.ADULT_FEATURES, [required()])
    enrolment_type = CodeField(codes.ENROLMENT_TYPES, [required()])
    education_level = CodeField(codes.EDUCATION_LEVELS, [required()])
    graduation_school = StringField(filters=[squash, or_none], validators=[
        required(), at_most(LIMITS["graduation_school"])])
    graduation_date = MonthField(validators=[date_required,
                                             form_validator(validate_past_date)])
    diploma_number = StringField(filters=[squash, or_none],
                                 validators=[at_most(LIMITS["diploma_number"])])
    medical_license = StringField(filters=[squash, or_none],
                                 validators=[at_most(LIMITS["medical_license"])])
    occupation = CodeField(codes.OCCUPATIONS, [required()])
    work_start = MonthField(validators=[form_validator(validate_past_date)])
    foreign_language = CodeField(codes.FOREIGN_LANGUAGES, [required()])
    address = StringField(filters=[squash, or_none],
                          validators=[required(), at_most(LIMITS["address"])])
    postcode = StringField(filters=[squash, or_none], validators=[
        required(), form_validator(validate_postcode)])

    def validate_graduation_date(self, field):
        if field.data and field.data < self.candidate.birth_date:
            raise ValidationError(_l("The graduation date cannot be before your birth date."))

    def validate_work_start(self, field):
        earliest = birthday(self.candidate.birth_date, WORK_AGE)
        if field.data and field.data < earliest:
            raise ValidationError(_l("The work start date cannot be before your 16th birthday "
                                     "(%(date)s).", date=earliest.isoformat()))

    def validate_diploma_number(self, field):
        if not field.data and needs_diploma(self.education_level.data):
            raise ValidationError(_l(
                "Enter your diploma number; only the education level “%(level)s” goes "
                "without one.", level=codes.label(codes.EDUCATION_LEVELS,
                                                  min(NO_DIPLOMA_LEVELS), lang=None)))

    def validate_medical_license(self, field):
        if not field.data and needs_medical_license(self.candidate):
            raise ValidationError(_l("One of your preferences is a medical major: enter your "
                                     "medical practice qualification certificate number."))


#: The fields of the page, in its order (the only ones a post writes).
FIELDS = tuple(name for name in BasicInfoForm.__dict__ if not name.startswith("_")
               and hasattr(BasicInfoForm.__dict__[name], "field_class"))


def birthday(birth, years):
    """The day ``birth`` turns ``years`` old (a 29 February birthday: 1 March)."""
    try:
        return birth.replace(year=birth.year + years)
    except ValueError:
        return dt.date(birth.year + years, 3, 1)


# --- the page ---------------------------------------------------------------------------------


def _info_page(status=200, form=None):
    cand = g.candidate
    if form is None:
        form = BasicInfoForm(obj=cand, formdata=None)
    return _page("adult_info.html", status, cand=cand, form=form, fields=FIELDS,
                 labels=FIELD_LABELS, required=REQUIRED, limits=LIMITS,
                 refusal=policy.refusal(cand, policy.CANDIDATE, SELF_REGISTRATION),
                 missing=[FIELD_LABELS[f] for f in missing_basic_info(cand)],
                 no_diploma=NO_DIPLOMA_LEVELS,
                 medical=needs_medical_license(cand))


@bp.route("/adult/info")
@adult_only
def adult_info():
    return _info_page()


@bp.route("/adult/info", methods=["POST"])
@adult_only
def adult_info_save():
    cand = g.candidate
    if refused_write(SELF_REGISTRATION) is not None:
        return _info_page(403)
    form = BasicInfoForm()
    form.candidate = cand
    if not form.validate():
        return _info_page(400, form)
    for key, value in form.values().items():
        setattr(cand, key, value)
    return _commit(".adult_info")
