"""The self-service forms as Flask-WTF forms: 我的信息 (contact, a guardian, a study period)
and the account's (log-in, activation, recovery, password change).

Fields are checked by the shared validators (``app.validators``, through ``form_validator``,
which writes the normalised value back: mobile numbers as 11 digits, postcodes, names with
the middle dot unified); text is trimmed and inner runs of whitespace become one space. Only
the fields declared here are read: anything else a post carries (ids…) is ignored. The CSRF
token is checked like every post of the site. The templates draw the inputs themselves (one
page holds a form per guardian and per study period) and show ``form.errors`` per field.
Secrets (codes, passwords, recovery answers) are checked by the views against the account,
with the same answer and the same work whether or not the account exists (``auth``).
"""
import datetime as dt

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, PasswordField, StringField
from wtforms.validators import AnyOf, DataRequired, Length, StopValidation, ValidationError

from .. import codes
from . import auth
from ..validators import (NAME_MAX, NAME_MIN, form_validator, validate_mobile, validate_name,
                          validate_postcode)

#: How a study period's dates may be typed: a day, or a month (its first day is stored).
DATE_FORMATS = ("%Y-%m-%d", "%Y-%m", "%Y.%m", "%Y/%m")


def squash(value):
    """Trim and collapse whitespace (IMEs and copy-paste leave runs of spaces)."""
    return " ".join(value.split()) if isinstance(value, str) else value


def or_none(value):
    """An empty optional field is stored as NULL, not as an empty string."""
    return value or None


def at_most(limit):
    return Length(max=limit, message=_l("At most %(n)d characters.", n=limit))


class SelfServiceForm(FlaskForm):
    """A form of these pages: its cleaned values by column name."""

    def values(self):
        return {name: field.data for name, field in self._fields.items()
                if name != "csrf_token"}


class ContactForm(SelfServiceForm):
    phone = StringField(filters=[squash], validators=[
        DataRequired(_l("Enter your mobile number.")), form_validator(validate_mobile)])
    address = StringField(filters=[squash, or_none], validators=[at_most(200)])
    postcode = StringField(filters=[squash, or_none], validators=[
        form_validator(validate_postcode)])


class GuardianForm(SelfServiceForm):
    # The name rule's own message when the name is missing, as for a too short one.
    name = StringField(filters=[squash], validators=[
        DataRequired(_l("Name must be %(min)d to %(max)d characters long.",
                        min=NAME_MIN, max=NAME_MAX)),
        form_validator(validate_name)])
    relation = StringField(validators=[AnyOf([code for code, *_ in codes.GUARDIAN_RELATIONS],
                                             message=_l("Choose the relation."))])
    phone = StringField(filters=[squash, or_none], validators=[form_validator(validate_mobile)])
    work_unit = StringField(filters=[squash, or_none], validators=[at_most(100)])


class MonthField(DateField):
    """A date typed as in :data:`DATE_FORMATS`; blank is None."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, format=list(DATE_FORMATS), **kwargs)

    def process_formdata(self, valuelist):
        text = " ".join(valuelist).strip()
        if not text:
            self.data = None
            return
        try:
            super().process_formdata([text])
        except ValueError:
            raise ValueError(_l("Enter a date as YYYY-MM or YYYY-MM-DD.")) from None


def date_required(form, field):
    """Blank is "enter a date"; a date that could not be read has said so already."""
    if field.data is None and not field.process_errors:
        raise StopValidation(_l("Enter a date."))


class StudyForm(SelfServiceForm):
    start = MonthField(validators=[date_required])
    end = MonthField()
    school = StringField(filters=[squash], validators=[
        DataRequired(_l("Enter the school.")), at_most(100)])
    role = StringField(filters=[squash, or_none], validators=[at_most(50)])

    def validate_start(self, field):
        if field.data and field.data > dt.date.today():
            raise ValidationError(_l("The start cannot be in the future."))

    def validate_end(self, field):
        if field.data and self.start.data and field.data < self.start.data:
            raise ValidationError(_l("The end of a study period cannot be before its start."))


# --- the account ------------------------------------------------------------------------------


class LoginForm(SelfServiceForm):
    id_number = StringField()  # or the 考生号: ``auth.accounts_for`` reads either
    password = PasswordField()


class NewPasswordForm(SelfServiceForm):
    """A new password typed twice. ``candidate`` (set by the view once it knows whose account
    this is) gives the personal values a password may not contain (``auth.check_new_password``,
    which reports every rule broken at once)."""

    password = PasswordField()
    password2 = PasswordField()
    candidate = None

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        problems = auth.check_new_password(self.candidate, self.password.data or "",
                                           self.password2.data or "")
        if problems:
            self.password.errors = [*self.password.errors, *problems]
        return valid and not problems


class RecoveryForm(NewPasswordForm):
    """A new password with the recovery question and its answer (密码验证信息); the answer is
    kept normalised (case and spaces ignored, ``auth.normalise_answer``)."""

    question = StringField(filters=[squash])
    answer = StringField(filters=[auth.normalise_answer])

    def recovery_given(self):
        """Whether this post sets the question and answer (always, when activating)."""
        return True

    def validate_question(self, field):
        if self.recovery_given() and not 2 <= len(field.data or "") <= 100:
            raise ValidationError(_l("Choose or write a question (up to 100 characters)."))

    def validate_answer(self, field):
        if not self.recovery_given():
            return
        if len(field.data) < 2:
            raise ValidationError(_l("The answer must have at least 2 characters."))
        if field.data == (self.password.data or "").lower():
            raise ValidationError(_l("The answer may not be your password."))


class ActivationForm(RecoveryForm):
    id_number = StringField()  # or the 考生号
    code = StringField(filters=[auth.normalise_code])


class PasswordChangeForm(RecoveryForm):
    """The own password page: the current password, a new one, and optionally a new recovery
    question (only when an answer is typed)."""

    current = PasswordField()

    def recovery_given(self):
        return bool(self.answer.raw_data and self.answer.raw_data[0])


class ResetForm(NewPasswordForm):
    """Forgot password: the number, then the recovery answer with the new password."""

    id_number = StringField(filters=[squash])
    step = StringField()
    answer = StringField(filters=[auth.normalise_answer])
