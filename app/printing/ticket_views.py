"""准考证管理: county and higher administrators enter and correct admission tickets (number,
site, room, seat, subject timetable) for candidates of their subtree."""
from flask import request
from flask_appbuilder.fields import QuerySelectField
from flask_appbuilder.fieldwidgets import BS3TextAreaFieldWidget, BS3TextFieldWidget, Select2Widget
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Optional, StopValidation
from wtforms.validators import ValidationError as FormError

from ..base_views import ScopedModelView
from ..candidates.lookup import find_candidates
from ..candidates.picker import CandidatePickerField
from ..validators import form_validator
from ..exams.picker import active_exams
from ..extensions import db
from .models import AdmissionTicket
from .render import ticket_for
from .tickets import check_timetable, normalise_ticket_number, number_conflict

TIMETABLE_HELP = _l("One subject per line: subject, date, start-end, e.g. "
                    "“语文 2026-06-07 09:00-11:30”.")


def ticket_candidate(exam, ref):
    """The one candidate of ``exam`` in scope named by ``ref``; FormError otherwise."""
    found = find_candidates(ref, exam.id)
    if not found:
        raise FormError(_l("No candidate of this exam with that ID number, candidate number or "
                           "system id is in your jurisdiction."))
    if len(found) > 1:
        raise FormError(_l("That entry matches several candidates; enter the ID number."))
    return found[0]


def _ticket_candidate_of_form(form, ref):
    """The picker's candidate, in the exam chosen on the same form."""
    if form.exam.data is None:
        raise StopValidation()  # the exam field says what is missing
    return ticket_candidate(form.exam.data, ref)


def _no_ticket_yet(candidate):
    existing = ticket_for(candidate)
    if existing is not None:
        raise FormError(_l("%(name)s already has an admission ticket (%(number)s).",
                           name=candidate.name, number=existing.ticket_number))


def _check_number_free(form, field):
    if "exam" in form:  # adding: the exam chosen on the form
        exam_id = form.exam.data.id if form.exam.data else None
        ticket_id = None
    else:  # editing: the exam of the ticket's candidate
        ticket = db.session.get(AdmissionTicket, (request.view_args or {}).get("pk") or 0)
        exam_id = ticket.candidate.exam_id if ticket else None
        ticket_id = ticket.id if ticket else None
    conflict = number_conflict(field.data, exam_id, ticket_id) if field.data else None
    if conflict is not None:
        raise FormError(str(conflict))


def _number_field():
    return StringField(_l("Ticket number"), widget=BS3TextFieldWidget(), validators=[
        DataRequired(), form_validator(normalise_ticket_number), _check_number_free])


def _timetable_field():
    return TextAreaField(_l("Subjects and times"), description=TIMETABLE_HELP,
                         widget=BS3TextAreaFieldWidget(),
                         validators=[Optional(), form_validator(check_timetable)])


class AdmissionTicketView(ScopedModelView):
    datamodel = SQLAInterface(AdmissionTicket)
    route_base = "/tickets"
    list_title = show_title = _l("Admission tickets")
    add_title = _l("Issue an admission ticket")
    edit_title = _l("Edit an admission ticket")
    list_columns = ["ticket_number", "candidate", "exam_name", "site", "room", "seat"]
    show_columns = ["candidate", "exam_name", "ticket_number", "site", "room", "seat",
                    "timetable_text"]
    add_columns = ["exam", "candidate_ref", "ticket_number", "site", "room", "seat",
                   "timetable_text"]
    edit_columns = ["ticket_number", "site", "room", "seat", "timetable_text"]
    # Explicit: the default would offer a filter preloading every candidate of the subtree.
    search_columns = ["ticket_number", "site", "room"]
    order_columns = ["ticket_number", "site", "room"]
    base_order = ("ticket_number", "asc")
    label_columns = {
        "ticket_number": _l("Ticket number"), "candidate": _l("Candidate"),
        "exam_name": _l("Exam"), "exam": _l("Exam"), "site": _l("Exam site"),
        "room": _l("Exam room"), "seat": _l("Seat"), "timetable_text": _l("Subjects and times"),
        "candidate_ref": _l("Candidate"),
    }
    add_form_extra_fields = {
        "exam": QuerySelectField(_l("Exam"), query_func=active_exams, get_pk_func=lambda e: e.id,
                                 widget=Select2Widget(), validators=[DataRequired()]),
        "candidate_ref": CandidatePickerField(resolve=_ticket_candidate_of_form,
                                              checks=[_no_ticket_yet], exam_field="exam"),
        "ticket_number": _number_field(),
        "timetable_text": _timetable_field(),
    }
    edit_form_extra_fields = {
        "ticket_number": _number_field(),
        "timetable_text": _timetable_field(),
    }

    def guard(self, item, is_add):
        if is_add:
            # The picker resolved it in the form's exam, through the scope.
            item.candidate = item.candidate_ref
        super().guard(item, is_add)
