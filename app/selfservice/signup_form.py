"""The form of the public sign-up page (成人高考 网上报名): the person, the account and the two
acknowledgements. Fields are checked with the shared validators; the account's password and
recovery answer follow the rules of activation (:class:`forms.RecoveryForm`), the password
checked against the person typed here (:meth:`SignupForm.person`).

What the form cannot know (the unit exists and belongs to the exam, the window is open there,
the number or the user name is free) is asked by the view."""
import datetime as dt
import re
import unicodedata
from types import SimpleNamespace

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import ValidationError

from .. import codes
from ..adult.pledge import PLEDGE_VERSION
from ..validators import (DERIVING_TYPES, InvalidValue, check_document_consistency,
                          document_number_field, form_validator, id_birth_date, id_gender,
                          validate_division_code, validate_mobile, validate_name,
                          validate_past_date)
from . import auth
from .forms import RecoveryForm, squash

#: How a birth date may be typed (a date picker sends the first).
BIRTH_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d")
#: User names that look like a travel permit or a Chinese passport number: the log-in field
#: takes both, so such a name could open somebody else's account list.
_DOCUMENT_LIKE = re.compile(r"[hm][0-9]{8}(?:[0-9]{2})?|e[0-9a-z][0-9]{7}|g[0-9]{8}")


def required(message):
    def _check(form, field):
        if not field.data:
            raise ValidationError(message)

    return _check


def parse_birth(text):
    """A typed birth date, or None when blank; ValueError (translated) when unreadable."""
    text = (text or "").strip()
    if not text:
        return None
    for fmt in BIRTH_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(_l("Enter the birth date as YYYY-MM-DD."))


class SignupForm(RecoveryForm):
    """Sign-up: ``password``, ``password2``, ``question`` and ``answer`` come from
    :class:`RecoveryForm`."""

    notices_read = StringField(validators=[required(_l(
        "Read the notices to candidates and tick the box."))])
    pledge = StringField()
    username = StringField(filters=[auth.normalise_username])
    phone = StringField(filters=[squash], validators=[
        required(_l("Enter your mobile number.")), form_validator(validate_mobile)])
    id_type = StringField(default=codes.ID_CARD)
    id_number = StringField(filters=[squash], validators=[
        required(_l("Enter the document number.")), document_number_field])
    name = StringField(filters=[squash], validators=[
        required(_l("Enter your name as on your document.")), form_validator(validate_name)])
    gender = StringField()
    birth_date = StringField(filters=[squash])
    hukou = StringField(filters=[squash], validators=[
        required(_l("Enter the division code of your household registration (户籍).")),
        form_validator(validate_division_code)])
    county_id = StringField()
    challenge = StringField()
    website = StringField()  # the honeypot: hidden from people, filled by naive robots

    #: the birth date read from ``birth_date`` or the document (set by :meth:`validate`).
    birth = None

    def validate_pledge(self, field):
        if field.data != PLEDGE_VERSION:
            raise ValidationError(_l("Read the integrity pledge and tick the box to accept it."))

    def validate_username(self, field):
        if not auth.USERNAME_RE.fullmatch(field.data or ""):
            raise ValidationError(_l("A user name has 4 to 20 letters, digits or “_” and "
                                     "starts with a letter."))
        if _DOCUMENT_LIKE.fullmatch(field.data):
            raise ValidationError(_l("This user name looks like a document number; choose "
                                     "another."))

    def validate_id_type(self, field):
        if codes.label(codes.ID_TYPES, field.data) is None:
            raise ValidationError(_l("Choose the document type."))

    def validate_gender(self, field):
        if field.data and field.data not in {code for code, *_ in codes.GENDERS}:
            raise ValidationError(_l("Choose the gender."))

    def validate_question(self, field):
        super().validate_question(field)
        if any(unicodedata.category(ch) == "Cc" for ch in field.data or ""):
            raise ValidationError(_l("Choose or write a question (up to 100 characters)."))

    def validate_answer(self, field):
        super().validate_answer(field)
        if len(field.data) > 100:
            raise ValidationError(_l("At most %(n)d characters.", n=100))

    def validate_county_id(self, field):
        if not re.fullmatch(r"[0-9]{1,9}", (field.data or "").strip()):
            raise ValidationError(_l("Choose the county (city, district) where you register."))

    def county(self):
        """The chosen unit's id (valid once :meth:`validate` passed)."""
        return int(self.county_id.data.strip())

    def validate(self, extra_validators=None):
        # The fields' own checks (RecoveryForm's password check is done below, against the
        # person typed here).
        valid = FlaskForm.validate(self, extra_validators)
        valid = self._identity() and valid
        problems = auth.check_new_password(self.person(), self.password.data or "",
                                           self.password2.data or "",
                                           extra=(self.username.data, self.phone.data))
        if problems:
            self.password.errors = [*self.password.errors, *problems]
        return valid and not problems

    def _identity(self):
        """Birth date and gender: read from a number that carries them (and compared with
        what was typed), otherwise required."""
        try:
            self.birth = parse_birth(self.birth_date.data)
            if self.birth is not None:
                validate_past_date(self.birth)
        except (ValueError, InvalidValue) as exc:
            self.birth_date.errors = [*self.birth_date.errors, str(exc)]
            return False
        kind = self.id_type.data
        if kind in DERIVING_TYPES and self.id_number.data and not self.id_number.errors:
            return self._derive()
        ok = True
        if self.birth is None:
            self.birth_date.errors = [*self.birth_date.errors, _l("Enter your birth date.")]
            ok = False
        if not self.gender.data:
            self.gender.errors = [*self.gender.errors, _l("Choose the gender.")]
            ok = False
        return ok

    def _derive(self):
        number = self.id_number.data
        if self.gender.errors:
            return False
        for field, typed in ((self.birth_date, {"birth_date": self.birth}),
                             (self.gender, {"gender": self.gender.data or None})):
            try:
                check_document_consistency(self.id_type.data, number, **typed)
            except InvalidValue as exc:
                field.errors = [*field.errors, str(exc)]
                return False
        self.birth = id_birth_date(number)
        self.gender.data = codes.gender_code(id_gender(number))
        return True

    def person(self):
        """The typed identity as far as it reads, for the password's personal values."""
        return SimpleNamespace(id_number=self.id_number.data or "",
                               name=self.name.data or "", birth_date=self.birth,
                               candidate_number=None)

    def values(self):
        """The candidate record's columns."""
        return {"name": self.name.data, "gender": self.gender.data,
                "id_type": self.id_type.data, "id_number": self.id_number.data,
                "birth_date": self.birth, "phone": self.phone.data, "hukou": self.hukou.data}
